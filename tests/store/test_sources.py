"""Sources and batches as every front end lists them: a recorder sees only their sources; the
unreadable values and the rows kept aside are there to review later."""

from __future__ import annotations

import csv
import json

import pytest

from everyname.core.errors import NotFound, PermissionDenied
from everyname.store.imports import import_list
from everyname.store.sources import batch, get_or_create_source, sources

pytestmark = pytest.mark.django_db

SEES_ALL = ("admin", "analyst", "reviewer")


@pytest.fixture
def batches(tmp_path, key_file, cast):
    """One batch in src-a (an unreadable age, a row kept aside) and one in src-b."""
    made = {}
    for code, rows in (
        ("src-a", [["name", "age"], ["Ahmad Khalil", "430"], ["Huda Ali", "9", "x"]]),
        ("src-b", [["name", "age"], ["Omar Saleh", "41"]]),
    ):
        get_or_create_source(code, "setup", name=f"Source {code}")
        path = tmp_path / f"{code}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
        made[code] = import_list(cast["admin"], code, path, skip_invalid=True).batch_id
    return made


def test_sources_for_every_member_of_the_cast(batches, cast):
    for member in SEES_ALL:
        listed = sources(cast[member])
        assert [s.code for s in listed] == ["src-a", "src-b"]
    a, b = sources(cast["admin"])
    assert (a.name, a.records, b.records) == ("Source src-a", 1, 1)
    (only,) = a.batches
    assert (only.id, only.file_name, only.records, only.rejected, only.unreadable) == (
        batches["src-a"],
        "src-a.csv",
        1,
        1,
        1,
    )
    assert [s.code for s in sources(cast["recorder_a"])] == ["src-a"]
    assert [s.code for s in sources(cast["recorder_b"])] == ["src-b"]
    with pytest.raises(PermissionDenied):
        sources(cast["viewer"])
    json.dumps(a.to_dict())  # plain data for the API


def test_batch_for_every_member_of_the_cast(batches, cast):
    for member in (*SEES_ALL, "recorder_a"):
        detail = batch(cast[member], batches["src-a"])
        assert (detail.source, detail.records, detail.rejected) == ("src-a", 1, 1)
        assert detail.rejected_rows_kept == 1
        ((row, column, value),) = [(p.row, p.column, p.value) for p in detail.unreadable]
        assert (row, column, value) == (2, "age", "430")
    with pytest.raises(NotFound) as hidden:
        batch(cast["recorder_b"], batches["src-a"])
    assert hidden.value.field == "batch"
    assert f"batches: {batches['src-b']}" in str(hidden.value)  # only the batches they may see
    with pytest.raises(PermissionDenied):
        batch(cast["viewer"], batches["src-a"])
    with pytest.raises(NotFound):
        batch(cast["admin"], max(batches.values()) + 1)
    data = batch(cast["admin"], batches["src-a"]).to_dict()
    assert data["unreadable"][0]["value"] == "430"
    json.dumps(data)
