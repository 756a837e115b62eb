"""A link run that fails releases its engine: the DuckDB connection holding every intermediate
table is closed whether the run ends in a result or in an error."""

from __future__ import annotations

import duckdb
import pytest

from everyname.core.demo.link_input import demo_link_records
from everyname.core.link import pipeline
from everyname.core.link.pipeline import link_records


class Interrupted(RuntimeError):
    pass


@pytest.fixture
def opened(monkeypatch):
    """Every Splink database API the pipeline opens (the real ones, only remembered here)."""
    made = []
    real = pipeline.make_db_api

    def remembered(*args, **kwargs):
        db_api = real(*args, **kwargs)
        made.append(db_api)
        return db_api

    monkeypatch.setattr(pipeline, "make_db_api", remembered)
    return made


def closed(db_api) -> bool:
    try:
        db_api._con.execute("select 1")
    except duckdb.ConnectionException:
        return True
    return False


@pytest.mark.parametrize("stage", ["train", "score", "cluster"])
def test_a_failing_run_leaves_no_open_connection(opened, stage):
    records = demo_link_records().head(120)

    def progress(name: str, step: int, steps: int) -> None:
        if name == stage:
            raise Interrupted(name)

    with pytest.raises(Interrupted):
        link_records(records, progress=progress)
    assert len(opened) == 1, "the run got as far as opening DuckDB"
    assert closed(opened[0])


def test_a_run_that_succeeds_closes_its_connection_too(opened):
    result = link_records(demo_link_records().head(120))
    assert result.counts["records"] == 120
    assert len(opened) == 1 and closed(opened[0])
