"""The reviewed TSV tables of linguistic decisions (``tables/*.tsv``) as test parameters.

A test argument named ``row_<table>`` (in a test module of this folder, not its sub-folders)
runs once per line of ``tables/<table>.tsv`` and receives
that line as a dict keyed by the table's header (``# `` lines are comments). Cells are not
stripped, so a table can test surrounding spaces. The tables are the place for a speaker to
review and extend the decisions without reading Python.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TABLES = Path(__file__).parent / "tables"


def read_table(name: str) -> list[dict[str, str]]:
    lines = (TABLES / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        if line.startswith("#"):
            continue
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Only for the test modules beside this file: sub-folders have tables of their own.
    if Path(metafunc.definition.path).parent != Path(__file__).parent:
        return
    for argument in metafunc.fixturenames:
        if argument.startswith("row_") and (TABLES / f"{argument[4:]}.tsv").exists():
            rows = read_table(argument[4:])
            ids = [f"line{i + 2}:{next(iter(r.values()))!r}" for i, r in enumerate(rows)]
            metafunc.parametrize(argument, rows, ids=ids)
