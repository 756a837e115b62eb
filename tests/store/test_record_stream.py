"""Parsing in worker processes gives exactly what parsing in-process gives, in file order."""

from __future__ import annotations

from pathlib import Path

import pytest

from everyname.core.errors import InputRejected
from everyname.core.ingest import open_source
from everyname.store import record_stream


def write_list(path: Path, rows: int, bad_every: int = 0) -> Path:
    """Every ``bad_every``-th row has an unreadable age (flagged, kept) and the one after it a
    cell past the header (rejected)."""
    lines = ["name,age,date of death,sex"]
    for i in range(rows):
        age = "430" if bad_every and i % bad_every == 0 else str(i % 90)
        extra = ",x" if bad_every and i % bad_every == 1 else ""
        lines.append(
            f"Ahmad Khalil {i},{age},2012-02-{i % 28 + 1:02d},{'m' if i % 2 else 'f'}{extra}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def collect(path: Path, parallel: bool) -> tuple[list, list, list]:
    rows, rejected, flags = [], [], []
    with open_source(path) as source_file:
        # many small batches and an uneven end, so that both workers take turns
        batches = record_stream.encoded_batches(
            path, None, source_file, parallel=parallel, batch_rows=7
        )
        for batch in batches:
            rows.extend(batch.rows)
            rejected.extend((r.row_number, r.problems) for r in batch.rejected)
            flags.extend(batch.unreadable)
    return rows, rejected, flags


@pytest.mark.parametrize("n_rows", [1, 7, 14, 100])
def test_workers_match_in_process_parsing(tmp_path, key_file, n_rows):
    path = write_list(tmp_path / "list.csv", n_rows, bad_every=9)
    in_process = collect(path, False)
    in_workers = collect(path, True)
    assert in_workers == in_process
    numbers = [row[0] for row in in_process[0]] + [n for n, _ in in_process[1]]
    assert sorted(numbers) == list(range(2, n_rows + 2))
    assert [row[0] for row in in_workers[0]] == sorted(row[0] for row in in_workers[0])
    flagged = [row[0] for row in in_process[0] if row[-1] != "[]"]
    assert flagged == [f["row"] for f in in_process[2]] == list(range(2, n_rows + 2, 9))
    assert [n for n, _ in in_process[1]] == list(range(3, n_rows + 2, 9))


def test_a_worker_error_reaches_the_importing_process(tmp_path, key_file):
    path = tmp_path / "late_bad_byte.csv"
    good = "name\n" + "".join(f"Ahmad Khalil {i}\n" for i in range(80_000))  # past the 1 MiB sample
    path.write_bytes(good.encode("utf-8") * 1 + "Omar \xe9\n".encode("latin-1"))
    with pytest.raises(InputRejected), open_source(path) as source_file:
        for _ in record_stream.encoded_batches(path, None, source_file, parallel=True):
            pass
