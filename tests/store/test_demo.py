"""The demo as a use case: it imports, links and analyses, so only admins and analysts may run
it; anyone else is refused before a file or a row is written."""

from __future__ import annotations

import pytest

from everyname.core.errors import PermissionDenied
from everyname.store.demo import DEMO_FIELDS, run_demo
from everyname.store.estimating import get_estimate
from everyname.store.models import Record, StoredReport
from everyname.store.reporting import get_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["reviewer", "recorder_a", "recorder_b", "viewer"])
def test_roles_that_may_not_import_link_and_analyse_are_refused(
    name, cast, snapshot, tmp_path, key_file
):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        run_demo(cast[name], tmp_path / "demo")
    assert snapshot() == before and not (tmp_path / "demo").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["admin", "analyst"])
def test_the_demo_runs_the_pipeline_through_the_services(name, cast, tmp_path, key_file):
    actor = cast[name]
    result = run_demo(actor, tmp_path / "demo")
    assert len(result.imports) == 5 and Record.objects.count() == sum(
        i.records for i in result.imports
    )
    assert result.claims > 0 and result.link.persons >= result.count.total > 0
    assert set(result.count.by) == set(DEMO_FIELDS) and result.count.total > 0
    assert result.report_path.read_bytes() == get_report(actor, result.report.id).content
    assert any(result.tables_path.glob("*.csv"))
    assert StoredReport.objects.get().created_by == actor.username
    stored = get_estimate(actor, result.report.estimate_ids[0])
    assert result.estimate is not None and stored.seed == result.estimate.seed
    assert result.to_dict()["estimate"]["observed"] == result.count.total
