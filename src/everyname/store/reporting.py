"""Reports and estimates from the latest link run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from everyname.core.count import CountFilters, CountInput
from everyname.core.count.breakdown import PLACE_LEVELS, UNRESOLVED, place_labels, place_values
from everyname.core.count.compute import select_persons
from everyname.core.errors import EverynameError
from everyname.core.estimate import CaptureHistories, EstimateResult, estimate
from everyname.core.report import build_report, render_html, render_pdf, write_tables
from everyname.core.report.build import Report
from everyname.core.schema import UNKNOWN
from everyname.store.counting import count_input, gazetteer


def histories_of(
    data: CountInput, person_ids: pd.Series, *, pending_merged: bool = False
) -> CaptureHistories:
    """Capture histories of these persons over every source of the run (one list each).

    With ``pending_merged``, of the groups these persons would form if every pair awaiting
    review were a match: a group is on every list any of its persons is on."""
    members = data.memberships[data.memberships["person_id"].isin(person_ids)]
    if pending_merged:
        members = _as_merged(data, members)
    lists = sorted(data.memberships["source"].unique())
    return CaptureHistories.from_person_sources(members, lists=lists)


def _as_merged(data: CountInput, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each person id replaced by its merged group's (see CountInput)."""
    groups = data.merged_groups
    if groups is None:
        return frame
    return frame.assign(person_id=frame["person_id"].map(lambda p: groups.get(p, p)))


def histories_for(
    data: CountInput, filters: CountFilters | None = None, *, pending_merged: bool = False
) -> CaptureHistories:
    """Capture histories of the persons a count keeps: each person's set of sources."""
    selected = select_persons(data, filters or CountFilters(), gazetteer()).inside
    return histories_of(data, selected["person_id"], pending_merged=pending_merged)


def estimate_for(
    data: CountInput,
    filters: CountFilters | None = None,
    method: str | None = None,
    seed: int | None = 2012,
    *,
    pending_merged: bool = False,
) -> EstimateResult | None:
    """An MSE estimate for the persons a count keeps, or None when the data cannot carry one
    (fewer than two lists, nobody named). ``pending_merged``: for the persons as they would
    be if every pair awaiting review were a match (None when nothing awaits review)."""
    if pending_merged and data.merged_groups is None:
        return None
    histories = histories_for(data, filters, pending_merged=pending_merged)
    if histories.n_lists < 2 or histories.observed == 0:
        return None
    try:
        return estimate(histories, method=method, seed=seed)
    except EverynameError:
        return None


STRATUM_LEVELS = ("neighbourhood", "locality", "governorate")
MAX_STRATA = 20
MIN_STRATUM = 20
"""Places naming fewer persons than this are pooled as "other places": an estimate from a
handful of persons says nothing."""


def _places_at(persons: pd.DataFrame, level: str) -> pd.Series:
    """Each person's gazetteer place at ``level`` by its English name (``unresolved`` and
    ``unknown`` as counts have them)."""
    places = gazetteer()
    values, _ = place_values(persons, level, places)
    labels = place_labels(places, set(values))
    return values.map(lambda v: labels[v][0] if v in labels else v)


def estimates_by_place(data: CountInput, filters: CountFilters | None = None) -> list[dict]:
    """One estimate per place, at the finest gazetteer level that splits the counted persons
    into 2 to ``MAX_STRATA`` known places of at least ``MIN_STRATUM`` persons (smaller places
    are pooled, and persons whose place is not known at that level form a stratum of their
    own). Places are the gazetteer's, so "Baba Amr" and "بابا عمرو" are one.

    Each stratum keeps the warnings of its own estimate: strata are smaller than the whole and
    their estimates less certain, which the report shows rather than hides.
    """
    selected = select_persons(data, filters or CountFilters(), gazetteer()).inside
    for level in STRATUM_LEVELS:
        values = _places_at(selected, level)
        sizes = values.value_counts()
        small = set(sizes[sizes < MIN_STRATUM].index) - {UNKNOWN, UNRESOLVED}
        values = values.where(~values.isin(small), "other places")
        known = set(values) - {UNKNOWN, UNRESOLVED, "other places"}
        if not 2 <= len(known) <= MAX_STRATA:
            continue
        strata = []
        rest = [v for v in ("other places", UNRESOLVED, UNKNOWN) if v in set(values)]
        for value in sorted(known) + rest:
            ids = selected.loc[values == value, "person_id"]
            histories, _dropped = histories_of(data, ids).without_empty_lists()
            if histories.n_lists < 2:
                continue
            try:
                fitted = estimate(histories, seed=2012)
            except EverynameError:
                continue
            strata.append({"value": f"{level}: {value}", **fitted.to_dict()})
        return strata
    return []


def write_report(
    out: Path,
    filters: CountFilters,
    *,
    tables: Path | None = None,
    with_estimate: bool = True,
    data: CountInput | None = None,
    estimate: EstimateResult | None = None,
    pending_estimate: EstimateResult | None = None,
) -> Report:
    """Write the report for ``filters`` (HTML, or PDF when ``out`` ends in .pdf).

    ``data`` and ``estimate`` (and ``pending_estimate``, the fit with every pair awaiting
    review merged) may be passed when the caller already has them (the demo prints them too);
    otherwise they are computed from the latest link run."""
    data = data if data is not None else count_input()
    result = estimate
    if result is None and with_estimate:
        result = estimate_for(data, filters)
    if pending_estimate is None and result is not None:
        pending_estimate = estimate_for(data, filters, result.method, pending_merged=True)
    strata = estimates_by_place(data, filters) if with_estimate else None
    report = build_report(
        data,
        filters,
        gazetteer=gazetteer(),
        estimate=result,
        estimate_strata=strata or None,
        estimate_pending_merged=pending_estimate,
    )
    html = render_html(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        out.write_bytes(render_pdf(html))
    else:
        out.write_text(html, encoding="utf-8")
    if tables is not None:
        write_tables(report, tables)
    return report


def person_sources(
    data: CountInput, by: str | None = None, *, pending_merged: bool = False
) -> pd.DataFrame:
    """person_id, source (and the ``by`` field of each person) for stratified estimates.

    With ``pending_merged`` the persons are the groups every pair awaiting review would
    form; a group whose persons differ in ``by`` is in each of their strata, as in counts."""
    frame = data.memberships[["person_id", "source"]]
    if by is None:
        return _as_merged(data, frame) if pending_merged else frame
    if by not in data.persons.columns:
        raise EverynameError(
            f"--by {by}: persons have no field {by!r}; choose one of "
            + ", ".join(sorted(c for c in data.persons.columns if c != "person_id"))
        )
    values = data.persons[["person_id", by]].fillna("unknown")
    if by in PLACE_LEVELS:  # gazetteer places, as counts have them: one stratum per place
        values = values.assign(**{by: place_values(data.persons, by, gazetteer())[0]})
    frame = frame.merge(values, on="person_id", how="left")
    if pending_merged:
        frame = _as_merged(data, frame)
        frame["person_id"] = frame["person_id"] + "\x1f" + frame[by].astype(str)
    return frame


def publish_release(out: Path, *, withhold: str, actor: str):  # type: ignore[no-untyped-def]
    """Write the next public release of the latest link run (with an audit entry).

    Only the resolved, public fields of persons are written (``release.public_persons`` is an
    allow-list): never reporter identities, national ids or source contacts.
    """
    from everyname.core.release import write_release
    from everyname.store.audit import Action, record_event

    data = count_input()
    manifest = write_release(
        out,
        data.persons,
        data.memberships,
        link_run=data.link_run,
        withhold=withhold,
        copy_groups=data.copy_groups,
        conflicts=data.conflicts,
        gazetteer=gazetteer(),
    )
    record_event(
        Action.RELEASE_PUBLISHED,
        actor,
        None,
        version=manifest.version,
        folder=str(manifest.folder),
        link_run=manifest.link_run,
        withhold=withhold,
        persons=manifest.persons,
        changes=dict(manifest.changes),
    )
    return manifest
