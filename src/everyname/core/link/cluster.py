"""Clustering scored pairs into persons, with the reviewers' decisions enforced.

Plain connected components let one wrong link chain two different people together, and it
cannot honour "these two are different". We use constrained connected components (a greedy,
order-dependent agglomeration in the manner of constrained single-link clustering):

1. every "different" decision becomes a cannot-link between its two records;
2. every "same" decision joins its records first, whatever the model says; a "same" that
   would join records a "different" keeps apart is an error listing the decisions;
3. the remaining pairs at or above the threshold are taken in descending probability (ties
   by record ids, so the result is deterministic) and two groups are joined only if no
   cannot-link crosses them. A cannot-link is never bridged by a chain of links, because
   every join is checked against the groups as they stand after all earlier joins;
4. "a list rarely names the same person twice": with ``one_record_per_source``, two groups
   that both hold a record of the same source may join only if every such same-source pair
   is linked directly at ``same_source_threshold`` (or by a "same" decision). Siblings and
   cousins in one list are kept apart this way, while a list's true duplicates, which agree
   on everything, still join;
5. pairs a prior holds apart (``apart``: records of one list that look like siblings, see
   ``siblings.py``) are cannot-links too, unless a reviewer decided the pair; a pair held
   apart this way is listed with that rule.

Because strong links are taken first, a record's best match claims it before a weaker rival
(a cousin in another list) can.

:func:`merge_pending` applies the same rules to a finished run's persons to ask how few
persons there would be if every pair still awaiting review were a match: the low end of the
range every count gives until the pairs are reviewed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from everyname.core.errors import EverynameError

Verdict = Literal["same", "different"]


@dataclass(frozen=True)
class MatchDecision:
    """A reviewer's verdict on a pair of records. Overrides the model in every later run."""

    record_id_l: str
    record_id_r: str
    verdict: Verdict

    def __post_init__(self) -> None:
        if self.verdict not in ("same", "different"):
            raise InvalidDecision(
                f"a decision's verdict must be 'same' or 'different', got {self.verdict!r}"
            )
        if self.record_id_l == self.record_id_r:
            raise InvalidDecision(f"a decision needs two different records ({self.record_id_l})")

    @property
    def key(self) -> tuple[str, str]:
        """The pair in a canonical order (smaller id first)."""
        a, b = str(self.record_id_l), str(self.record_id_r)
        return (a, b) if a <= b else (b, a)


class InvalidDecision(EverynameError):
    """A decision that cannot be applied (bad verdict, unknown record, contradiction)."""


@dataclass(frozen=True)
class Clustering:
    """``labels[i]`` is the group number of ``record_ids[i]``; groups are numbered 0..n-1."""

    record_ids: np.ndarray
    labels: np.ndarray
    held_apart: pd.DataFrame
    """Pairs at or above the threshold that were not joined, with the rule that kept them
    apart (``different`` decision or ``one_record_per_source``)."""
    index: pd.Index
    """``record_ids`` as an index (record id → position), reusable for lookups."""


class _Groups:
    """Union-find over record indices, each root holding its members, sources, cannot-links."""

    def __init__(self, sources: np.ndarray) -> None:
        n = len(sources)
        self.parent = np.arange(n, dtype=np.int64)
        self.source = sources
        self.members: dict[int, list[int]] = {}
        self.by_source: dict[int, dict[object, list[int]]] = {}
        self.cannot: dict[int, set[int]] = {}
        self.rule_of: dict[tuple[int, int], str] = {}
        """Cannot-links that are not reviewers' "different" decisions: (a, b) → rule."""

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = int(parent[root])
        while parent[i] != root:
            parent[i], i = root, int(parent[i])
        return root

    def members_of(self, root: int) -> list[int]:
        return self.members.get(root) or [root]

    def sources_of(self, root: int) -> dict[object, list[int]]:
        found = self.by_source.get(root)
        return found if found is not None else {self.source[root]: [root]}

    def forbidden(self, ra: int, rb: int) -> bool:
        ca, cb = self.cannot.get(ra), self.cannot.get(rb)
        if not ca and not cb:
            return False
        if ca and any(m in ca for m in self.members_of(rb)):
            return True
        return bool(cb and any(m in cb for m in self.members_of(ra)))

    def crossing_rule(self, ra: int, rb: int, default: str) -> str:
        """The rule of a cannot-link between the two groups (``default``: a decision's)."""
        if not self.rule_of:
            return default
        ma, mb = self.members_of(ra), self.members_of(rb)
        for a in ma:
            for b in mb:
                rule = self.rule_of.get((min(a, b), max(a, b)))
                if rule is not None:
                    return rule
        return default

    def union(self, ra: int, rb: int) -> int:
        ma, mb = self.members_of(ra), self.members_of(rb)
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        self.parent[rb] = ra
        merged_members = self.members.get(ra)
        if merged_members is None:
            merged_members = self.members[ra] = [ra]
        merged_members.extend(mb)
        self.members.pop(rb, None)
        sa, sb = self.sources_of(ra), self.sources_of(rb)
        merged = sa if ra in self.by_source else {k: list(v) for k, v in sa.items()}
        for src, recs in sb.items():
            merged.setdefault(src, []).extend(recs)
        self.by_source[ra] = merged
        self.by_source.pop(rb, None)
        cb = self.cannot.pop(rb, None)
        if cb:
            self.cannot.setdefault(ra, set()).update(cb)
        return ra


def cluster_pairs(
    record_ids: Sequence[str] | np.ndarray,
    sources: Sequence[str] | np.ndarray,
    pairs: pd.DataFrame,
    threshold: float,
    decisions: Iterable[MatchDecision] = (),
    *,
    one_record_per_source: bool = True,
    same_source_threshold: float = 0.999,
    apart: pd.DataFrame | None = None,
    apart_rule: str = "siblings",
) -> Clustering:
    """Group records into persons; see the module docstring for the rules.

    ``apart`` (``record_id_l``, ``record_id_r``): pairs a prior keeps apart unless a reviewer
    decided them, listed with ``apart_rule`` when held apart.

    ``pairs`` has columns ``record_id_l``, ``record_id_r``, ``match_probability``; pairs below
    ``threshold`` are ignored. Records in no pair are persons of their own.
    """
    ids = np.asarray(record_ids, dtype=object)
    src = np.asarray(sources, dtype=object)
    index = pd.Index(ids)
    if not index.is_unique:
        raise InvalidDecision("record ids must be unique to cluster them")
    groups = _Groups(src)
    decisions = list(decisions)
    decided: set[tuple[int, int]] = set()
    strong: set[tuple[int, int]] = set()

    def idx(record_id: str) -> int:
        pos = index.get_indexer([record_id])[0]
        if pos < 0:
            raise InvalidDecision(f"a decision names record {record_id!r}, which is not linked")
        return int(pos)

    latest: dict[tuple[str, str], MatchDecision] = {}
    for d in decisions:  # a later decision on the same pair replaces an earlier one
        latest[d.key] = d
    for d in latest.values():
        if d.verdict == "different":
            a, b = idx(d.key[0]), idx(d.key[1])
            groups.cannot.setdefault(a, set()).add(b)
            groups.cannot.setdefault(b, set()).add(a)
            decided.add((min(a, b), max(a, b)))
    for key in sorted(k for k, d in latest.items() if d.verdict == "same"):
        a, b = idx(key[0]), idx(key[1])
        decided.add((min(a, b), max(a, b)))
        strong.add((min(a, b), max(a, b)))
        ra, rb = groups.find(a), groups.find(b)
        if ra == rb:
            continue
        if groups.forbidden(ra, rb):
            raise InvalidDecision(
                f"the 'same' decision on {key[0]} and {key[1]} contradicts a 'different' "
                "decision between records these 'same' decisions join; review the decisions "
                "on these records"
            )
        groups.union(ra, rb)

    if apart is not None and len(apart):
        left = index.get_indexer(apart["record_id_l"].astype(str).to_numpy())
        right = index.get_indexer(apart["record_id_r"].astype(str).to_numpy())
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            key = (min(a, b), max(a, b))
            if a < 0 or b < 0 or a == b or key in decided:
                continue
            if groups.find(a) == groups.find(b):  # "same" decisions joined them already
                continue
            groups.cannot.setdefault(groups.find(a), set()).add(b)
            groups.cannot.setdefault(groups.find(b), set()).add(a)
            groups.rule_of[key] = apart_rule
    held: list[tuple[str, str, float, str]] = []
    troubled: np.ndarray | None = None
    components: np.ndarray | None = None
    if len(pairs):  # record positions of every pair, looked up once
        left = index.get_indexer(pairs["record_id_l"].astype(str).to_numpy())
        right = index.get_indexer(pairs["record_id_r"].astype(str).to_numpy())
        prob = pairs["match_probability"].to_numpy(dtype=float)
        keep = (left >= 0) & (right >= 0) & (prob >= threshold) & (left != right)
    if len(pairs) and not one_record_per_source and not latest:
        plain = _components(ids, index, left, right, keep)
        if not groups.rule_of:
            # nothing can hold two records apart: persons are the connected components
            return plain
        # only the components holding a prior's cannot-link need the greedy rules: the
        # others are persons as they stand (the greedy order within a component is the
        # global order restricted to it, so this is the same clustering, only faster)
        components = plain.labels
        troubled = np.zeros(int(components.max()) + 1, dtype=bool)
        for a, b in groups.rule_of:
            troubled[components[a]] = troubled[components[b]] = True
    if len(pairs):
        left, right, prob = left[keep], right[keep], prob[keep]
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        order = np.lexsort((hi, lo, -prob))
        lo, hi, prob = lo[order], hi[order], prob[order]
        if troubled is not None and components is not None:
            inside = troubled[components[lo]]
            lo, hi, prob = lo[inside], hi[inside], prob[inside]
        if one_record_per_source:
            same_src = src[lo] == src[hi]
            ss = same_src & (prob >= same_source_threshold)
            strong.update(zip(lo[ss].tolist(), hi[ss].tolist(), strict=True))
        for a, b, p in zip(lo.tolist(), hi.tolist(), prob.tolist(), strict=True):
            if (a, b) in decided:
                continue
            ra, rb = groups.find(a), groups.find(b)
            if ra == rb:
                continue
            if groups.forbidden(ra, rb):
                held.append((ids[a], ids[b], p, groups.crossing_rule(ra, rb, "different")))
                continue
            if one_record_per_source and not _sources_compatible(groups, ra, rb, strong):
                held.append((ids[a], ids[b], p, "one_record_per_source"))
                continue
            groups.union(ra, rb)

    roots = np.arange(len(ids), dtype=np.int64)  # records never joined are their own root
    for root, members in groups.members.items():
        roots[members] = root
    if troubled is not None and components is not None:
        # untroubled records keep their component; the others their greedy group
        roots = np.where(troubled[components], roots + len(troubled), components)
    _, labels = np.unique(roots, return_inverse=True)
    held_df = pd.DataFrame(
        held, columns=["record_id_l", "record_id_r", "match_probability", "rule"]
    )
    return Clustering(
        record_ids=ids, labels=labels.astype(np.int64), held_apart=held_df, index=index
    )


def _components(
    ids: np.ndarray, index: pd.Index, left: np.ndarray, right: np.ndarray, keep: np.ndarray
) -> Clustering:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(ids)
    graph = coo_matrix((np.ones(int(keep.sum())), (left[keep], right[keep])), shape=(n, n))
    _, components = connected_components(graph, directed=False)
    # number persons in order of their first record, as the general path does
    _, first = np.unique(components, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    labels = rank[components]
    held = pd.DataFrame(columns=["record_id_l", "record_id_r", "match_probability", "rule"])
    return Clustering(record_ids=ids, labels=labels, held_apart=held, index=index)


def _sources_compatible(groups: _Groups, ra: int, rb: int, strong: set[tuple[int, int]]) -> bool:
    sa, sb = groups.sources_of(ra), groups.sources_of(rb)
    if len(sa) > len(sb):
        sa, sb = sb, sa
    for source, recs_a in sa.items():
        recs_b = sb.get(source)
        if recs_b is None:
            continue
        for x in recs_a:
            for y in recs_b:
                if (min(x, y), max(x, y)) not in strong:
                    return False
    return True


def merge_pending(
    memberships: pd.DataFrame,
    pending: pd.DataFrame,
    decisions: Iterable[MatchDecision] = (),
    *,
    one_record_per_source: bool = True,
) -> dict[str, str]:
    """Person id → the group it would belong to if every pair awaiting review were a match.

    Until its pairs are reviewed a link run's number of persons is a range: the persons as
    linked, and as few as this merge leaves. The merge takes the run's persons as they are and
    joins them along ``pending`` pairs (``record_id_l``, ``record_id_r``, optionally
    ``match_probability``: strongest first) and along "same" decisions made since the run,
    under the clustering's rules: a "different" decision is never bridged, and with
    ``one_record_per_source`` two persons that both hold a record of one source join only when
    every such pair of records is itself pending or decided "same" (a pending pair is treated
    as the strong evidence a reviewer's "same" would be). Pairs naming a record outside
    ``memberships`` (``record_id``, ``person_id``, ``source``) are ignored.

    A group is named by its smallest person id; a person nothing joins is its own group.
    """
    persons = memberships["person_id"].astype(str).to_numpy(dtype=object)
    record_ids = memberships["record_id"].astype(str).to_numpy(dtype=object)
    out = {p: p for p in persons.tolist()}
    latest: dict[tuple[str, str], MatchDecision] = {}
    for d in decisions:
        latest[d.key] = d
    joins = _pending_joins(pending, latest)
    if not joins:
        return out
    person_of = dict(zip(record_ids.tolist(), persons.tolist(), strict=True))
    # only the persons a join touches can change: the rest stay singletons, unread
    touched = {person_of[r] for pair in joins for r in pair if r in person_of}
    keep = pd.Series(persons).isin(touched).to_numpy()
    ids, owners = record_ids[keep], persons[keep]
    src = memberships["source"].to_numpy(dtype=object)[keep]
    index = pd.Index(ids)
    groups = _Groups(src)
    for key, d in latest.items():  # before any join: cannot-links are kept on the roots
        if d.verdict == "different" and key[0] in index and key[1] in index:
            a, b = index.get_loc(key[0]), index.get_loc(key[1])
            groups.cannot.setdefault(a, set()).add(b)
            groups.cannot.setdefault(b, set()).add(a)
    first_of: dict[str, int] = {}
    for i, owner in enumerate(owners.tolist()):  # the run's persons, as linked
        ra, rb = groups.find(first_of.setdefault(owner, i)), groups.find(i)
        if ra != rb:
            groups.union(ra, rb)
    positions = [
        (index.get_loc(a), index.get_loc(b), (a, b) in latest)
        for a, b in joins
        if a in index and b in index
    ]
    strong = {(min(a, b), max(a, b)) for a, b, _ in positions}
    for a, b, decided_same in positions:
        ra, rb = groups.find(a), groups.find(b)
        if ra == rb or groups.forbidden(ra, rb):
            continue
        if (
            one_record_per_source
            and not decided_same  # a reviewer's "same" overrides the rule, as in clustering
            and not _sources_compatible(groups, ra, rb, strong)
        ):
            continue
        groups.union(ra, rb)
    name: dict[int, str] = {}
    for i, owner in enumerate(owners.tolist()):
        root = groups.find(i)
        name[root] = min(name.get(root, owner), owner)
    for i, owner in enumerate(owners.tolist()):
        out[owner] = name[groups.find(i)]
    return out


def _pending_joins(
    pending: pd.DataFrame, latest: dict[tuple[str, str], MatchDecision]
) -> list[tuple[str, str]]:
    """The pairs to join, in order: "same" decisions first, then undecided pending pairs by
    descending probability (ties by record ids, so the merge is deterministic)."""
    joins = sorted(k for k, d in latest.items() if d.verdict == "same")
    if pending is None or not len(pending):
        return joins
    left = pending["record_id_l"].astype(str).tolist()
    right = pending["record_id_r"].astype(str).tolist()
    if "match_probability" in pending.columns:
        prob = pending["match_probability"].astype(float).fillna(0.0).tolist()
    else:
        prob = [0.0] * len(left)
    keyed = sorted(
        (-p, *((a, b) if a <= b else (b, a))) for a, b, p in zip(left, right, prob, strict=True)
    )
    joins += [(a, b) for _, a, b in keyed if a != b and (a, b) not in latest]
    return joins
