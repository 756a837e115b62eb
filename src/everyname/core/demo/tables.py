"""The name, place and label tables the demo generator draws from.

They live as small TSV files next to this module so that an Arabic speaker can review the
spellings and frequencies without reading Python. Every entry carries its Arabic form, its Latin
variants (the most common first) and a relative weight.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate
from random import Random


@dataclass(frozen=True)
class Entry:
    """One name or place: its Arabic spelling, its Latin spellings, and how common it is."""

    arabic: str
    latin: tuple[str, ...]
    weight: float
    extra: tuple[str, ...] = ()

    @property
    def has_article(self) -> bool:
        """Whether the Arabic name carries the definite article (ال), so Latin adds al-/el-."""
        return self.arabic.startswith("ال")


@dataclass(frozen=True)
class Table:
    """A weighted table with precomputed cumulative weights for fast seeded draws."""

    name: str
    entries: tuple[Entry, ...]
    cumulative: tuple[float, ...]

    def draw(self, rng: Random) -> Entry:
        return self.entries[bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]

    def __len__(self) -> int:
        return len(self.entries)


def _read_tsv(filename: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("tables", filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _table(name: str, rows: list[Entry]) -> Table:
    return Table(name, tuple(rows), tuple(accumulate(e.weight for e in rows)))


@cache
def names_table(kind: str) -> Table:
    """``kind`` is ``male``, ``female`` or ``family``."""
    filename = {
        "male": "given_male.tsv",
        "female": "given_female.tsv",
        "family": "families.tsv",
    }[kind]
    rows = [
        Entry(r["arabic"], tuple(r["latin"].split("|")), float(r["weight"]))
        for r in _read_tsv(filename)
    ]
    return _table(kind, rows)


@cache
def neighbourhoods() -> Table:
    """Homs neighbourhoods; ``extra[0]`` is the area (which field hospital is nearest)."""
    rows = [
        Entry(r["arabic"], tuple(r["latin"].split("|")), float(r["weight"]), (r["area"],))
        for r in _read_tsv("neighbourhoods.tsv")
    ]
    return _table("neighbourhoods", rows)


@cache
def syrian_places() -> Table:
    """Cities with their governorate: ``extra`` is (governorate Arabic, governorate Latin)."""
    rows = [
        Entry(
            r["city_arabic"],
            tuple(r["city_latin"].split("|")),
            float(r["weight"]),
            (r["governorate_arabic"], r["governorate_latin"]),
        )
        for r in _read_tsv("places_syria.tsv")
    ]
    return _table("places", rows)


@cache
def labels() -> dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]]:
    """(field, canonical value) → (Arabic labels, English labels), the usual label first."""
    return {
        (r["field"], r["value"]): (tuple(r["arabic"].split("|")), tuple(r["english"].split("|")))
        for r in _read_tsv("labels.tsv")
    }
