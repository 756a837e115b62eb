"""Reviewed tables of the name rules (``tables/*.tsv``), read as test parameters.

Each table has a header line; ``#`` lines are comments. A speaker can review and extend the
decisions there without reading Python.
"""

from __future__ import annotations

from pathlib import Path

TABLES = Path(__file__).parent / "tables"


def name_table(name: str) -> list[dict[str, str]]:
    lines = (TABLES / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        rows.append(dict(zip(header, cells, strict=True)))
    return rows
