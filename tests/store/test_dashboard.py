"""The dashboard as one use case: every role that may see figures gets the latest run's count,
its headline in both languages, the run, the latest imports and the newest whole estimate."""

from __future__ import annotations

import pytest

from everyname.core.count import CountFilters
from everyname.core.count.headline import headline_ar, headline_en
from everyname.store.counting import count
from everyname.store.dashboard import DASHBOARD_FIELDS, dashboard
from everyname.store.estimating import estimate
from everyname.store.linking import run_link
from everyname.store.models import Batch

pytestmark = pytest.mark.django_db


def test_before_a_link_run_the_dashboard_has_imports_and_no_figures(cast, demo_imported):
    for actor in cast.values():
        board = dashboard(actor)
        assert board.count is None and board.estimate is None and board.link_run == {}
        assert len(board.imports) == 5 == Batch.objects.count()
        assert board.to_dict()["count"] is None


@pytest.mark.slow
def test_every_role_sees_the_same_figures_of_the_latest_run(cast, demo_imported):
    run_link(cast["admin"])
    fitted = estimate(cast["analyst"], seed=7)
    estimate(cast["analyst"], by="sex", seed=7)  # stratified and newer: not the one shown
    expected = count(cast["viewer"], CountFilters(), DASHBOARD_FIELDS)
    boards = {name: dashboard(actor, imports=2) for name, actor in cast.items()}
    for name, board in boards.items():
        assert board.to_dict() == boards["viewer"].to_dict(), name
    board = boards["viewer"]
    assert board.count.to_dict() == expected.to_dict() and board.count.total > 0
    assert (board.headline_en, board.headline_ar) == (headline_en(expected), headline_ar(expected))
    assert board.link_run["id"] == int(expected.link_run)
    assert board.link_run["counts"]["persons"] >= expected.total
    newest = Batch.objects.order_by("-imported_at", "-id")[:2]
    assert [i.source for i in board.imports] == [b.source.code for b in newest]
    assert set(board.imports[0].to_dict()) == {"source", "imported_at", "records", "rejected"}
    assert board.estimate["id"] == fitted.stored_id and board.estimate["seed"] == 7
    assert board.estimate["observed"] == fitted.overall["observed"]
    assert board.estimate["lower"] <= board.estimate["estimate"] <= board.estimate["upper"]
    # its warnings as stored, with their codes and figures, for a page to say in its language
    assert board.estimate["warnings"] == fitted.overall["warnings"]
    assert all({"code", "message"} <= set(w) for w in board.estimate["warnings"])
