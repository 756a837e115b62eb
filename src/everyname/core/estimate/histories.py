"""Capture histories: for each combination of lists, how many persons appear on exactly those lists.

Multiple Systems Estimation never looks at names; it only needs, for every person, the set of
lists (sources) that name them. Persons with the same set are interchangeable, so the data is a
table of distinct patterns with counts. The all-zero pattern (on no list) is what we estimate, so
it is never part of the data.

Constructors:

* :meth:`CaptureHistories.from_csv` reads the interchange format of the ``estimate`` command
  (one 0/1 column per list and a ``count`` column); :func:`strata_from_csv` reads the same with a
  ``stratum`` column.
* :meth:`CaptureHistories.from_source_sets` takes one set of list names per person. This is the
  door for the linkage results: ``[{"VDC", "SNHR"}, {"VDC"}, ...]``.
* :meth:`CaptureHistories.from_person_sources` takes a data frame with one row per
  (person, source) pair, e.g. the ``export persons`` columns ``person_id, source``.
* :func:`stratify` / :func:`stratify_person_sources` return ``{stratum: CaptureHistories}``.

A histories object is immutable; :meth:`merge` and :meth:`select` return new ones. "Which sources
count as one list" is a decision the analyst makes (two committees that copy each other's lists
are not independent systems), so it is explicit and recorded in the result.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from everyname.core import csvout
from everyname.core.errors import EverynameError, InputRejected, Problem
from everyname.core.provenance import sha256_hex

COUNT_COLUMN = "count"
_WHOLE = re.compile(r"^\+?[0-9]+$")
STRATUM_COLUMN = "stratum"


class HistoriesError(EverynameError, ValueError):
    """Capture histories cannot be built as asked (unknown list, empty person, bad merge)."""


class CaptureHistories:
    """Distinct capture patterns over named lists, with the number of persons showing each.

    ``patterns`` is a read-only ``(m, k)`` array of 0/1 (``uint8``), one row per distinct observed
    pattern, ``counts`` a read-only ``(m,)`` array of positive integers. Rows are in a canonical
    order (fewest lists first, then lexicographic), so two objects built from the same persons in
    any order are equal and have the same :attr:`fingerprint`.
    """

    __slots__ = ("_counts", "_lists", "_patterns")

    def __init__(self, lists: Sequence[str], patterns: Any, counts: Any) -> None:
        names = tuple(str(name) for name in lists)
        if len(names) == 0:
            raise HistoriesError("capture histories need at least one list")
        if len(set(names)) != len(names):
            raise HistoriesError(f"list names must be distinct, got {list(names)}")
        pats = np.asarray(patterns, dtype=np.int64).reshape(-1, len(names))
        cnts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if pats.shape[0] != cnts.shape[0]:
            raise HistoriesError("patterns and counts must have the same number of rows")
        if pats.size and not np.isin(pats, (0, 1)).all():
            raise HistoriesError("patterns must be 0/1")
        if (cnts < 0).any():
            raise HistoriesError("counts must be non-negative")
        if pats.shape[0] and (pats.sum(axis=1) == 0)[cnts > 0].any():
            raise HistoriesError("the all-zero pattern (on no list) cannot be observed")
        # Sum duplicates, drop zero counts, order canonically.
        table: Counter[tuple[int, ...]] = Counter()
        for row, c in zip(map(tuple, pats.tolist()), cnts.tolist(), strict=True):
            if c > 0:
                table[row] += c
        keys = sorted(table, key=lambda r: (sum(r), tuple(-v for v in r)))
        out_p = np.array(keys, dtype=np.uint8).reshape(-1, len(names))
        out_c = np.array([table[r] for r in keys], dtype=np.int64)
        out_p.setflags(write=False)
        out_c.setflags(write=False)
        self._lists = names
        self._patterns = out_p
        self._counts = out_c

    # ------------------------------------------------------------------ properties
    @property
    def lists(self) -> tuple[str, ...]:
        return self._lists

    @property
    def patterns(self) -> np.ndarray:
        return self._patterns

    @property
    def counts(self) -> np.ndarray:
        return self._counts

    @property
    def n_lists(self) -> int:
        return len(self._lists)

    @property
    def observed(self) -> int:
        """Number of distinct persons on at least one list (the documented count)."""
        return int(self._counts.sum())

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical table, saved with every estimate so it can be reproduced."""
        rows = zip(self._patterns.tolist(), self._counts.tolist(), strict=True)
        return sha256_hex(
            [",".join(self._lists), *("\n" + "".join(map(str, row)) + f":{c}" for row, c in rows)]
        )

    def list_totals(self) -> dict[str, int]:
        """Persons named by each list."""
        tot = (self._patterns.astype(np.int64) * self._counts[:, None]).sum(axis=0)
        return {name: int(v) for name, v in zip(self._lists, tot, strict=True)}

    def overlap(self, a: str, b: str) -> int:
        """Persons named by both lists ``a`` and ``b`` (whatever other lists name them)."""
        ia, ib = self._index(a), self._index(b)
        both = (self._patterns[:, ia] == 1) & (self._patterns[:, ib] == 1)
        return int(self._counts[both].sum())

    def full_table(self) -> tuple[np.ndarray, np.ndarray]:
        """All ``2**k - 1`` observable patterns with their counts, zeros included.

        Log-linear models must see the empty cells: a pattern nobody shows is information.
        """
        k = self.n_lists
        if k > 20:
            raise HistoriesError(f"{k} lists are too many for a full contingency table")
        codes = np.arange(1, 2**k, dtype=np.int64)
        pats = ((codes[:, None] >> np.arange(k - 1, -1, -1)) & 1).astype(np.uint8)
        order = np.lexsort((-codes, pats.sum(axis=1)))
        pats = pats[order]
        weights = 1 << np.arange(k - 1, -1, -1)
        index = {int(c): i for i, c in enumerate(pats.astype(np.int64) @ weights)}
        counts = np.zeros(len(pats), dtype=np.int64)
        for row, c in zip(self._patterns.astype(np.int64) @ weights, self._counts, strict=True):
            counts[index[int(row)]] += c
        return pats, counts

    # ------------------------------------------------------------------ transformations
    def merge(self, groups: Mapping[str, Iterable[str]]) -> CaptureHistories:
        """Treat several lists as one: ``{"PFNCA": ["PF", "NCA"]}``.

        A person is on the merged list when any of its members names them. Lists not mentioned
        stay as they are; the merged list takes the place of its first member.
        """
        member_of: dict[str, str] = {}
        for new, members in groups.items():
            members = list(members)
            if not members:
                raise HistoriesError(f"merged list {new!r} has no members")
            for m in members:
                self._index(m)
                if m in member_of:
                    raise HistoriesError(f"list {m!r} is in two merged groups")
                member_of[m] = new
        new_lists: list[str] = []
        for name in self._lists:
            target = member_of.get(name, name)
            if target not in new_lists:
                new_lists.append(target)
        if len(set(new_lists)) != len(new_lists):
            raise HistoriesError("a merged list's name collides with an existing list")
        cols = []
        for target in new_lists:
            idx = [i for i, name in enumerate(self._lists) if member_of.get(name, name) == target]
            cols.append(self._patterns[:, idx].max(axis=1))
        return CaptureHistories(new_lists, np.stack(cols, axis=1), self._counts)

    def select(self, lists: Sequence[str]) -> CaptureHistories:
        """Keep only ``lists``; persons named only by the others drop out (they were unseen)."""
        idx = [self._index(name) for name in lists]
        if len(set(idx)) != len(idx):
            raise HistoriesError("a list is selected twice")
        pats = self._patterns[:, idx]
        keep = pats.sum(axis=1) > 0
        return CaptureHistories(list(lists), pats[keep], self._counts[keep])

    def without_empty_lists(self) -> tuple[CaptureHistories, tuple[str, ...]]:
        """Drop lists that name nobody (common in strata: a local list covers one area only).

        Returns the reduced histories and the names dropped.
        """
        totals = self.list_totals()
        empty = tuple(name for name in self._lists if totals[name] == 0)
        if not empty or len(empty) == len(self._lists):
            return self, ()
        return self.select([name for name in self._lists if totals[name] > 0]), empty

    # ------------------------------------------------------------------ output
    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._patterns.astype(int), columns=list(self._lists))
        frame[COUNT_COLUMN] = self._counts
        return frame

    def to_csv(self, path: str | Path) -> None:
        """Write the histories whole or not at all, through the one CSV writer (a list named
        like a formula is written as text; :meth:`from_csv` reads the name back as it was)."""
        csvout.write_frame(self.to_frame(), path, encoding="utf-8", private=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_source_sets(
        cls, persons: Iterable[Iterable[str]], lists: Sequence[str] | None = None
    ) -> CaptureHistories:
        """One iterable of list names per person (the lists that name that person).

        ``lists`` fixes the list order and lets a list that names nobody be kept; without it the
        lists are the names seen, sorted. A person with no list is an error: a linked person
        always comes from at least one record.
        """
        sets = [frozenset(str(s) for s in p) for p in persons]
        names = list(lists) if lists is not None else sorted(set().union(*sets) if sets else [])
        if not names:
            raise HistoriesError("no lists: every person needs at least one source")
        index = {name: i for i, name in enumerate(names)}
        tally: Counter[frozenset[str]] = Counter(sets)
        pats, counts = [], []
        for s, c in tally.items():
            if not s:
                raise HistoriesError("a person with no source cannot be part of capture histories")
            unknown = s - index.keys()
            if unknown:
                raise HistoriesError(f"source(s) {sorted(unknown)} are not among the lists {names}")
            row = [0] * len(names)
            for name in s:
                row[index[name]] = 1
            pats.append(row)
            counts.append(c)
        return cls(names, np.array(pats, dtype=np.int64).reshape(-1, len(names)), counts)

    @classmethod
    def from_person_sources(
        cls,
        frame: pd.DataFrame,
        person: str = "person_id",
        source: str = "source",
        lists: Sequence[str] | None = None,
    ) -> CaptureHistories:
        """A frame with one row per record (person id, source); duplicates are harmless.

        Several records of one person from the same source (a list that names someone twice)
        count once: capture is about being on a list, not how often.
        """
        _require_columns(frame, [person, source])
        grouped = frame[[person, source]].dropna().groupby(person, sort=False)[source]
        return cls.from_source_sets((set(g.astype(str)) for _, g in grouped), lists=lists)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, file: str = "<data frame>") -> CaptureHistories:
        """A histories table (0/1 list columns and ``count``) already in memory; validated."""
        strata = _parse_table(frame, file, allow_stratum=False)
        return strata[None]

    @classmethod
    def from_csv(cls, path: str | Path) -> CaptureHistories:
        """Read a histories CSV; every problem (file, row, column) is reported at once."""
        frame = _read_csv(path)
        return _parse_table(frame, str(path), allow_stratum=False)[None]

    # ------------------------------------------------------------------ dunder
    def _index(self, name: str) -> int:
        try:
            return self._lists.index(name)
        except ValueError:
            raise HistoriesError(f"no list named {name!r}; lists are {list(self._lists)}") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureHistories):
            return NotImplemented
        return (
            self._lists == other._lists
            and np.array_equal(self._patterns, other._patterns)
            and np.array_equal(self._counts, other._counts)
        )

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return (
            f"CaptureHistories(lists={list(self._lists)}, patterns={len(self._counts)}, "
            f"observed={self.observed})"
        )


# ---------------------------------------------------------------------- stratification
def stratify(
    persons: Iterable[tuple[Hashable, Iterable[str]]], lists: Sequence[str] | None = None
) -> dict[Hashable, CaptureHistories]:
    """``(stratum, sources)`` per person → ``{stratum: CaptureHistories}``.

    Every stratum uses the same lists (all lists seen anywhere unless ``lists`` is given), so
    strata can be compared and a list absent from one stratum shows as a list that named nobody.
    """
    by: dict[Hashable, list[frozenset[str]]] = {}
    for key, sources in persons:
        by.setdefault(key, []).append(frozenset(str(s) for s in sources))
    seen = {name for sets in by.values() for s in sets for name in s}
    names = list(lists) if lists is not None else sorted(seen)
    return {
        key: CaptureHistories.from_source_sets(sets, lists=names)
        for key, sets in sorted(by.items(), key=lambda kv: str(kv[0]))
    }


def stratify_person_sources(
    frame: pd.DataFrame,
    stratum: str,
    person: str = "person_id",
    source: str = "source",
    lists: Sequence[str] | None = None,
) -> dict[Hashable, CaptureHistories]:
    """Like :meth:`CaptureHistories.from_person_sources`, split by a per-person column.

    A person's stratum is taken from their first row; a person with two different stratum values
    is an error (resolve the person's value before estimating, do not guess).
    """
    _require_columns(frame, [person, source, stratum])
    keys = frame.groupby(person, sort=False)[stratum].nunique(dropna=False)
    bad = keys[keys > 1]
    if len(bad):
        raise HistoriesError(
            f"{len(bad)} person(s) have more than one {stratum!r} value; "
            "resolve them before stratifying"
        )
    items = []
    for _, group in frame.groupby(person, sort=False):
        items.append((group[stratum].iloc[0], set(group[source].dropna().astype(str))))
    return stratify(items, lists=lists)


def strata_from_csv(path: str | Path) -> dict[str, CaptureHistories]:
    """Read a histories CSV with a ``stratum`` column into ``{stratum: CaptureHistories}``."""
    frame = _read_csv(path)
    if STRATUM_COLUMN not in frame.columns:
        raise InputRejected(
            [Problem(file=str(path), expected=f"a {STRATUM_COLUMN!r} column to split by")],
            summary=f"{path}: no {STRATUM_COLUMN!r} column",
        )
    parsed = _parse_table(frame, str(path), allow_stratum=True)
    return {str(k): v for k, v in parsed.items()}


def pool(strata: Mapping[Any, CaptureHistories]) -> CaptureHistories:
    """All strata together (the same persons, counted once each; strata must share lists)."""
    tables = list(strata.values())
    if not tables:
        raise HistoriesError("no strata to pool")
    lists = tables[0].lists
    if any(t.lists != lists for t in tables):
        raise HistoriesError("strata with different lists cannot be pooled")
    return CaptureHistories(
        lists, np.vstack([t.patterns for t in tables]), np.concatenate([t.counts for t in tables])
    )


def read_histories_csv(path: str | Path) -> CaptureHistories | dict[str, CaptureHistories]:
    """A histories CSV: one table, or ``{stratum: table}`` when it has a ``stratum`` column."""
    frame = _read_csv(path)
    parsed = _parse_table(frame, str(path), allow_stratum=True)
    if STRATUM_COLUMN in frame.columns:
        return {str(k): v for k, v in parsed.items()}
    return parsed[None]


# ---------------------------------------------------------------------- parsing
def _read_csv(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputRejected(
            [Problem(file=str(path), expected="an existing histories CSV file")],
            summary=f"{path}: no such file",
        )
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError:
        raise InputRejected(
            [Problem(file=str(path), expected="a UTF-8 text CSV")],
            summary=f"{path}: not UTF-8 text",
        ) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InputRejected(
            [Problem(file=str(path), expected="a header row and at least one data row")],
            summary=f"{path}: empty file",
        )
    header = [csvout.restore(h.strip()) for h in rows[0]]
    body = rows[1:]
    problems = [
        Problem(file=str(path), row=i + 2, expected=f"{len(header)} cells like the header")
        for i, r in enumerate(body)
        if len(r) != len(header)
    ]
    if problems:
        raise InputRejected(problems, summary=f"{path}: {len(problems)} row(s) of the wrong width")
    frame = pd.DataFrame(body, columns=header, dtype=str)
    return frame


def _parse_table(
    frame: pd.DataFrame, file: str, allow_stratum: bool
) -> dict[Any, CaptureHistories]:
    """Validate a histories table; return ``{None: table}`` or ``{stratum: table}``."""
    problems: list[Problem] = []
    columns = [str(c).strip() for c in frame.columns]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        problems.append(Problem(file=file, row=1, expected=f"distinct column names, {dupes}"))
    if COUNT_COLUMN not in columns:
        problems.append(Problem(file=file, row=1, expected=f"a {COUNT_COLUMN!r} column"))
    has_stratum = allow_stratum and STRATUM_COLUMN in columns
    lists = [c for c in columns if c != COUNT_COLUMN and not (has_stratum and c == STRATUM_COLUMN)]
    if not lists:
        problems.append(Problem(file=file, row=1, expected="one 0/1 column per list"))
    if any(not c for c in lists):
        problems.append(Problem(file=file, row=1, expected="a name for every list column"))
    if problems:
        raise InputRejected(problems, summary=f"{file}: the header is not a histories table")

    frame = frame.copy()
    frame.columns = columns
    pats = np.zeros((len(frame), len(lists)), dtype=np.int64)
    counts = np.zeros(len(frame), dtype=np.int64)
    strata: list[Any] = []
    for i, rec in enumerate(frame.itertuples(index=False, name=None)):
        row_no = i + 2  # header is row 1
        values = dict(zip(columns, rec, strict=True))
        for j, name in enumerate(lists):
            v = _cell(values[name])
            if v not in ("0", "1"):
                problems.append(
                    Problem(file=file, row=row_no, column=name, value=v, expected="0 or 1")
                )
            else:
                pats[i, j] = int(v)
        c = _cell(values[COUNT_COLUMN])
        if _WHOLE.match(c):
            counts[i] = int(c)
        else:
            problems.append(
                Problem(
                    file=file,
                    row=row_no,
                    column=COUNT_COLUMN,
                    value=c,
                    expected="a whole number of persons, 0 or more",
                )
            )
        if pats[i].sum() == 0 and all(_cell(values[n]) in ("0", "1") for n in lists):
            problems.append(
                Problem(
                    file=file,
                    row=row_no,
                    expected="at least one list marked 1 (persons on no list are what MSE "
                    "estimates; leave that row out)",
                )
            )
        if has_stratum:
            s = _cell(values[STRATUM_COLUMN])
            if not s:
                problems.append(
                    Problem(file=file, row=row_no, column=STRATUM_COLUMN, expected="a stratum")
                )
            strata.append(s)
    if len(frame) == 0:
        problems.append(Problem(file=file, expected="at least one capture pattern row"))
    if problems:
        raise InputRejected(problems, summary=f"{file}: {len(problems)} problem(s); not estimated")
    if not has_stratum:
        hist = CaptureHistories(lists, pats, counts)
        if hist.observed == 0:
            raise InputRejected(
                [Problem(file=file, column=COUNT_COLUMN, expected="at least one person")],
                summary=f"{file}: every count is 0",
            )
        return {None: hist}
    out: dict[Any, CaptureHistories] = {}
    keys = np.array(strata, dtype=object)
    for key in sorted(set(strata)):
        sel = keys == key
        out[key] = CaptureHistories(lists, pats[sel], counts[sel])
    return out


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _require_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise HistoriesError(f"missing column(s) {missing}; have {list(frame.columns)}")
