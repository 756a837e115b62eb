"""Hostile input through the whole import into a database: a generated list is either imported
as one complete batch (every row read is a record or a kept rejected row) or refused with an
:class:`EverynameError`, and then the database is exactly as it was: never a traceback, never a
partial write."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from everyname.core.errors import EverynameError
from everyname.store.imports import import_file
from everyname.store.models import Batch, Record
from tests.store.conftest import database_snapshot

pytestmark = pytest.mark.django_db

CELL = st.text(
    alphabet=st.one_of(
        st.sampled_from(',;"\r\n\x00\x1b=+-@\u202e\u200b\ufeff ذكر أنثى قصف 2012-02-04 34'),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=30,
)
HEADERS = st.lists(
    st.sampled_from(["name", "الاسم", "sex", "age", "العمر", "date of death", "place", "reporter",
                     "phone", "notes", "x", ""]),
    min_size=1, max_size=5,
)  # fmt: skip


@st.composite
def lists(draw: st.DrawFn) -> tuple[str, bytes]:
    """A file name and its bytes: CSV or JSON built from generated cells, or plain bytes."""
    kind = draw(st.sampled_from(["csv", "csv", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.sampled_from(["l.csv", "l.json", "l.xlsx"])), draw(st.binary(max_size=300))
    header = ["name", *draw(HEADERS)]  # a name column, so that most lists can be imported
    name = st.sampled_from(["محمد عبد الرحمن", "Huda al-Khalidi", "مجهول"]) | CELL
    rows = draw(
        st.lists(
            st.tuples(name, st.lists(CELL, max_size=len(header))).map(lambda t: [t[0], *t[1]]),
            min_size=1,
            max_size=6,
        )
    )
    if kind == "json":
        objects = [dict(zip(header, row, strict=False)) for row in rows]
        return "l.json", json.dumps(objects, ensure_ascii=False).encode()
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1256"]))
    return "l.csv", buffer.getvalue().encode(encoding, errors="replace")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(listed=lists(), skip_invalid=st.booleans(), strict=st.booleans())
def test_an_import_is_whole_or_nothing_never_a_crash(
    key_file: Path, listed: tuple[str, bytes], skip_invalid: bool, strict: bool
) -> None:
    name, data = listed
    before = database_snapshot()
    batches = Batch.objects.count()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            report = import_file(
                path, "fuzz", actor="tester", skip_invalid=skip_invalid, strict=strict
            )
        except EverynameError as error:
            event(f"refused: {type(error).__name__}")
            assert database_snapshot() == before, "a refusal must leave the database as it was"
            return
    event("imported" if not report.rows_rejected else "imported, rows rejected")
    assert Batch.objects.count() == batches + 1
    batch = Batch.objects.get(pk=report.batch_id)
    stored = Record.objects.filter(batch=batch).count()
    assert stored == report.records_imported
    assert report.records_imported + report.rows_rejected == report.rows_read
    assert report.rows_rejected == 0 or skip_invalid
