"""The ways a name typed in a search box may be written in a stored record.

Arabic compound given names are written both as one word and as two ("محمدنور", "محمد نور"),
and a list's given-name column holds "محمد نور" as one part (key ``MHMDNR``) where another
list's full name has two (``MHMD NR``). A search compares keys part by part, so without these
readings "محمد نور الخالدي" would not find the record whose given name is "محمد نور", nor
"محمدنور" the one written "محمد نور".

A *reading* is a tuple of groups, in the order typed; a group is what must stand in the
stored key as one part ("MHMDNR") or as adjacent parts ("MHMD NR"), other parts allowed
between groups. Typed parts next to each other may be read as one part (their
:func:`~everyname.core.names.keys.joined_key`), and a part (or such a join) as two adjacent
stored parts that join to it, each of at least two letters (one letter would let "محمد" find
"M. Hamad"). Only readings whose parts some record holds are kept (``known``), so that the
search asks for a handful of readings, not every way of cutting a name.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from everyname.core.names.keys import NO_CONSONANT, joined_key

MAX_READINGS = 64
"""Readings asked for at most, the name as typed first and those that change it least next:
a name typed in more words than anyone's has stops growing the query there."""

MAX_JOINED = 5
"""Typed parts beyond which only two neighbours are joined at a time (all the ways of
joining six parts are 32 readings, before any split)."""

Known = Callable[[Iterable[str]], set[str]]


def key_readings(keys: Sequence[str], known: Known) -> list[tuple[str, ...]]:
    """The readings of the typed ``keys`` worth asking the records for, the keys as typed
    first; ``known(parts)`` says which of ``parts`` some stored record holds as a part."""
    keys = tuple(keys)
    if not keys:
        return []
    # a part with no consonant ("آية": V) joined to another would only drop it from the search
    groupings = [
        grouping
        for grouping in _groupings(keys)
        if not any(len(run) > 1 and NO_CONSONANT in run for run in grouping)
    ]
    joins = {joined_key(run) for grouping in groupings for run in grouping if len(run) > 1}
    cuts = {key: _cuts(key) for key in {*keys, *joins}}
    asked = joins | {piece for pieces in cuts.values() for cut in pieces for piece in cut}
    held = known(sorted(asked)) if asked else set()
    found: dict[tuple[str, ...], int] = {}
    for grouping in groupings:
        choices = []
        for run in grouping:
            key = joined_key(run) if len(run) > 1 else run[0]
            ways = [(key, 0)] if len(run) == 1 or key in held else []
            ways += [
                (f"{a} {b}", 1)
                for a, b in cuts[key]
                if a in held and b in held and not _rejoins(run, a, b)
            ]
            choices.append(ways)
        changed = sum(len(run) - 1 for run in grouping)
        for chosen in itertools.product(*choices):
            reading = tuple(group for group, _ in chosen)
            cost = changed + sum(split for _, split in chosen)
            if reading not in found or cost < found[reading]:
                found[reading] = cost
    ordered = sorted(found, key=lambda reading: (found[reading], reading != keys))
    return ordered[:MAX_READINGS]


def _groupings(keys: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], ...]]:
    """The ways of cutting ``keys`` into runs of neighbours: all of them up to
    :data:`MAX_JOINED` keys, else the keys alone and each pair of neighbours joined."""
    n = len(keys)
    if n > MAX_JOINED:
        yield tuple((key,) for key in keys)
        for i in range(n - 1):
            yield (*((k,) for k in keys[:i]), keys[i : i + 2], *((k,) for k in keys[i + 2 :]))
        return
    for cuts in itertools.product((False, True), repeat=n - 1):
        runs, start = [], 0
        for i, cut in enumerate(cuts, start=1):
            if cut:
                runs.append(keys[start:i])
                start = i
        runs.append(keys[start:])
        yield tuple(runs)


def _rejoins(run: tuple[str, ...], a: str, b: str) -> bool:
    """Whether cutting the join of ``run`` into ``a`` and ``b`` only gives back two runs of
    it (``MHMD NR`` from ``MHMD`` ``NR`` typed): a reading the grouping that cuts ``run``
    there already asks for, with any parts allowed between."""
    return any(joined_key(run[:k]) == a and joined_key(run[k:]) == b for k in range(1, len(run)))


def _cuts(key: str) -> list[tuple[str, str]]:
    """The two adjacent parts, each of two letters or more, that join to ``key``: cut between
    two letters, or with the letter before the cut starting the second part as well (``MHMD``
    and ``DWD`` join to ``MHMDWD``, the repeated letter written once)."""
    out = []
    for i in range(2, len(key)):
        out.append((key[:i], key[i:]))
        out.append((key[:i], key[i - 1 :]))
    return [(a, b) for a, b in dict.fromkeys(out) if len(a) >= 2 and len(b) >= 2]
