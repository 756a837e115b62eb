"""Large synthetic files: streamed, reproducible, with duplicates that are known and realistic."""

from __future__ import annotations

import csv
import itertools
import tracemalloc
from collections import defaultdict
from pathlib import Path

import pytest

from everyname.core.demo.large import CHUNK, LARGE_HEADER, generate_rows, write_large_csv
from everyname.core.demo.tables import labels
from everyname.core.ingest import open_source


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


@pytest.fixture(scope="module")
def rows() -> list[tuple[str, ...]]:
    return list(generate_rows(3 * CHUNK, seed=5))


def test_same_seed_same_bytes_and_file_matches_stream(tmp_path: Path) -> None:
    a = write_large_csv(tmp_path / "a.csv", 5_000, seed=3)
    b = write_large_csv(tmp_path / "b.csv", 5_000, seed=3)
    c = write_large_csv(tmp_path / "c.csv", 5_000, seed=4)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    with a.open(encoding="utf-8", newline="") as handle:
        parsed = [tuple(r) for r in csv.reader(handle)]
    assert parsed[0] == LARGE_HEADER
    assert parsed[1:] == list(generate_rows(5_000, seed=3))


def test_row_count_ids_and_duplicate_share(rows: list[tuple[str, ...]]) -> None:
    assert len(rows) == 3 * CHUNK
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    persons = {r[-1] for r in rows}
    share = 1 - len(persons) / len(rows)
    assert 0.08 <= share <= 0.12
    assert len(list(generate_rows(1_000, seed=5, duplicate_rate=0.0))) == 1_000
    assert len({r[-1] for r in generate_rows(1_000, seed=5, duplicate_rate=0.0)}) == 1_000


def test_duplicates_reach_back_across_chunks(rows: list[tuple[str, ...]]) -> None:
    """A duplicate's person may first appear far earlier: nothing ties them to one chunk."""
    first: dict[str, int] = {}
    distances = []
    for i, r in enumerate(rows):
        if r[-1] in first:
            distances.append(i - first[r[-1]])
        else:
            first[r[-1]] = i
    assert max(distances) > CHUNK
    assert sum(d > CHUNK for d in distances) > 0.2 * len(distances)


def test_records_of_one_person_agree_on_true_facts(rows: list[tuple[str, ...]]) -> None:
    sex_of = {
        text: value
        for (field, value), (ar, en) in labels().items()
        if field == "sex"
        for text in ar + en
    }
    by_person: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for r in rows:
        by_person[r[-1]].append(r)
    groups = [g for g in by_person.values() if len(g) > 1]
    assert len(groups) > 1_000
    scripts_differ = spelling_differs = 0
    for group in groups:
        sexes = {sex_of[r[5]] for r in group if r[5]}
        assert len(sexes) <= 1
        days = {r[7] for r in group if len(r[7]) == 10}
        assert len(days) <= 2
        for a, b in itertools.combinations(group, 2):
            if _is_arabic(a[1]) != _is_arabic(b[1]):
                scripts_differ += 1
            elif a[1:5] != b[1:5]:
                spelling_differs += 1
    assert scripts_differ > 300 and spelling_differs > 300


def test_both_scripts_and_messy_values(rows: list[tuple[str, ...]]) -> None:
    arabic = sum(_is_arabic(r[1]) for r in rows)
    assert 0.4 < arabic / len(rows) < 0.6
    assert any(r[7] and len(r[7]) == 7 for r in rows)  # partial dates
    assert any(r[6] and not r[6].isascii() for r in rows)  # Arabic-Indic digits
    for col in (3, 5, 6, 8, 9):
        assert any(r[col] == "" for r in rows), LARGE_HEADER[col]
    latin = {r[1] for r in rows if not _is_arabic(r[1])}
    assert {"Mohammed", "Muhammad", "Mohamad"} <= latin


def test_memory_does_not_grow_with_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    chunk = 2_000  # smaller chunks keep this test quick under tracemalloc
    monkeypatch.setattr("everyname.core.demo.large.CHUNK", chunk)

    def peak(n: int) -> int:
        tracemalloc.start()
        for _ in generate_rows(n, seed=1):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(2 * chunk), peak(8 * chunk)
    assert large < 1.3 * small


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate_rate"):
        list(generate_rows(10, duplicate_rate=1.0))
    with pytest.raises(ValueError, match="n_rows"):
        list(generate_rows(-1))


def test_large_csv_imports_without_problems(tmp_path: Path) -> None:
    path = write_large_csv(tmp_path / "large.csv", 3_000, seed=9)
    with open_source(path) as source:
        records = list(source.records())
        assert source.columns_unused == ["true_person_id"]
    assert len(records) == 3_000
    assert [str(p) for r in records for p in r.problems] == []
    assert sum(r.normalised["sex"] == "unknown" for r in records) < 0.05 * len(records)
