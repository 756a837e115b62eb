"""Estimating, the service every front end calls: one stratum loop, one set of rules.

:func:`estimate` fits Multiple Systems Estimation on the persons of the latest link run
(``everyname estimate``, the report, an estimates page), overall or one stratum per value of
a field; :func:`estimate_histories` does the same on capture histories given as a file.
Both go through :func:`fit_strata`, so the command line and the report follow the same rules:

- a list that names nobody in a stratum is left out there, and a warning says so;
- a stratum that cannot be estimated (fewer than two lists, nobody named, a model that does
  not exist) is reported as failed with its reason, never dropped;
- while pairs await review, each stratum is fitted twice (as linked, and with every pending
  pair merged) and a warning says when the two disagree;
- the seed is never hidden: one seed is used for every stratum, recorded in each result
  and in the stored estimate (the reference packages' 1234 unless one is given; a drawn one,
  recorded, for LCMCR, whose chains are otherwise random).

Every estimate of a link run is stored (:class:`~everyname.store.models.StoredEstimate`)
with its settings, seed, input fingerprint and library versions, and can be read back
(:func:`list_estimates`, :func:`get_estimate`) without refitting. Estimates from a file
touch no database and are not stored: the file is the record of their input.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import transaction

from everyname.core.count import CountFilters, CountInput, select_persons
from everyname.core.count.breakdown import PLACE_LEVELS, UNRESOLVED, place_labels, place_values
from everyname.core.errors import InvalidInput, NotFound
from everyname.core.provenance import json_safe, sha256_hex
from everyname.core.schema import UNKNOWN
from everyname.store.audit import Action, record_event
from everyname.store.counting import count_input, gazetteer
from everyname.store.models import LinkRun, StoredEstimate
from everyname.store.permissions import Actor, Permission, require

METHODS = ("chapman", "loglinear", "lcmcr")
INTERVALS = ("profile", "wald-log", "bootstrap")
CRITERIA = ("aic", "bic")
REFERENCE_SEED = 1234
"""The seed when none is given: ``iseed`` of SparseMSE and MultipleSystemsEstimation, which
the log-linear bootstrap uses by default, so their published intervals reproduce."""

STRATUM_COLUMN = "stratum"  # a histories file's stratum column
PLACE_STRATA = "places"
"""``by`` for one stratum per gazetteer place at the finest level that splits the persons
into a few places of a useful size (what the report shows; see :func:`place_strata`)."""
STRATUM_LEVELS = ("neighbourhood", "locality", "governorate")
MAX_STRATA = 20
MIN_STRATUM = 20
"""Places naming fewer persons than this are pooled as "other places": an estimate from a
handful of persons says nothing."""


class InvalidSettings(InvalidInput):
    """An estimation setting cannot be used (before any fitting); ``field`` names it."""


# --- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimateOptions:
    """What to fit: the method (None: Chapman for two lists, log-linear for more), which
    lists (after ``merge``, which counts several lists as one) and each method's settings.
    Checked in one place (:meth:`settings_for`) by every front end."""

    method: str | None = None
    lists: tuple[str, ...] | None = None
    merge: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    criterion: str | None = None
    average: bool = False
    interval: str | None = None
    bootstrap_replicates: int | None = None
    burn_in: int | None = None
    samples: int | None = None
    thinning: int | None = None
    chains: int | None = None

    def __post_init__(self) -> None:
        if self.lists is not None:
            object.__setattr__(self, "lists", tuple(self.lists) or None)
        object.__setattr__(self, "merge", {k: tuple(v) for k, v in self.merge.items()})
        for name, allowed in (
            ("method", METHODS),
            ("interval", INTERVALS),
            ("criterion", CRITERIA),
        ):
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise InvalidSettings(
                    f"{name}: expected one of {', '.join(allowed)}, got {value!r}", field=name
                )
        for name, members in self.merge.items():
            if not name or len(members) < 2:
                raise InvalidSettings(
                    f"merge {name!r}: a merged list needs a name and at least two lists",
                    field="merge",
                )

    def settings_for(self, method: str) -> dict[str, Any]:
        """The estimator settings of ``method``; a setting of another method is refused, not
        ignored (an analyst who asked for it would otherwise believe it was used)."""
        out: dict[str, Any] = {}
        loglinear = {
            "criterion": self.criterion,
            "average": self.average or None,
            "interval": self.interval,
            "bootstrap_replicates": self.bootstrap_replicates,
        }
        if method == "loglinear":
            out.update({k: v for k, v in loglinear.items() if v is not None})
            if self.bootstrap_replicates is not None and (
                self.interval not in (None, "bootstrap") or self.average
            ):
                raise InvalidSettings(
                    "bootstrap replicates apply to the bootstrap interval only (not to the "
                    "profile or wald-log interval, nor to model averaging)",
                    field="bootstrap_replicates",
                )
        else:
            given = [k for k, v in loglinear.items() if v is not None]
            if given:
                raise InvalidSettings(
                    f"{given[0]} applies to the log-linear method only", field=given[0]
                )
        mcmc = {
            "burn_in": self.burn_in,
            "samples": self.samples,
            "thinning": self.thinning,
            "chains": self.chains,
        }
        given_mcmc = {k: v for k, v in mcmc.items() if v is not None}
        if given_mcmc and method != "lcmcr":
            first = next(iter(given_mcmc))
            raise InvalidSettings(f"{first} applies to the lcmcr method only", field=first)
        out.update(given_mcmc)
        return out

    def estimator(self, method: str):  # type: ignore[no-untyped-def]
        """The estimator of ``method`` with these settings, validated."""
        from everyname.core.estimate import SettingsError, make_estimator

        settings = self.settings_for(method)
        try:
            estimator = make_estimator(method, **settings)
            estimator.settings.validated()
        except SettingsError as exc:
            raise InvalidSettings(str(exc), field=_setting_named(str(exc), settings)) from None
        return estimator

    def check(self) -> None:
        """Refuse unusable settings before any work (when the method is known up front)."""
        if self.method is not None:
            self.estimator(self.method)

    def prepare(self, histories):  # type: ignore[no-untyped-def]
        """``histories`` with lists merged, then the chosen lists selected."""
        if self.merge:
            histories = histories.merge({k: list(v) for k, v in self.merge.items()})
        if self.lists:
            histories = histories.select(list(self.lists))
        return histories

    def to_dict(self) -> dict[str, Any]:
        out = {
            "method": self.method,
            "lists": list(self.lists) if self.lists else None,
            "merge": {k: list(v) for k, v in self.merge.items()},
        }
        for name in ("criterion", "average", "interval", "bootstrap_replicates"):
            out[name] = getattr(self, name)
        for name in ("burn_in", "samples", "thinning", "chains"):
            out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EstimateOptions:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("lists") is not None:
            known["lists"] = tuple(known["lists"])
        return cls(**known)


def _setting_named(message: str, settings: Mapping[str, Any]) -> str:
    """The setting a core settings error names (its message starts with it), else "method"."""
    for name in settings:
        if message.startswith(name) or f" {name} " in f" {message} ":
            return name
    return "method"


def seed_to_use(seed: int | None, options: EstimateOptions) -> int:
    """The seed every stratum is fitted with: the one given, else the reference seed (what
    the log-linear bootstrap uses anyway), else for LCMCR one drawn now and recorded."""
    if seed is not None:
        return int(seed)
    if options.method == "lcmcr":
        return secrets.randbelow(2**31 - 1) + 1
    return REFERENCE_SEED


# --- capture histories from a link run ----------------------------------------------------


def _as_merged(data: CountInput, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each person id replaced by its merged group's (see CountInput)."""
    groups = data.merged_groups
    if groups is None:
        return frame
    return frame.assign(person_id=frame["person_id"].map(lambda p: groups.get(p, p)))


def person_sources(
    data: CountInput,
    by: str | None = None,
    *,
    pending_merged: bool = False,
    persons: pd.Series | None = None,
) -> pd.DataFrame:
    """person_id, source (and the ``by`` field of each person) of the run's persons (or of
    ``persons``, a series of person ids), for capture histories.

    With ``pending_merged`` the persons are the groups every pair awaiting review would
    form; a group whose persons differ in ``by`` is in each of their strata, as in counts."""
    frame = data.memberships[["person_id", "source"]]
    if persons is not None:
        frame = frame[frame["person_id"].isin(set(persons))]
    if by is None:
        return _as_merged(data, frame) if pending_merged else frame
    if by not in data.persons.columns:
        raise InvalidInput(
            f"persons have no field {by!r}; choose one of "
            + ", ".join(sorted(c for c in data.persons.columns if c != "person_id")),
            field="by",
        )
    values = data.persons[["person_id", by]].fillna(UNKNOWN)
    if by in PLACE_LEVELS:  # gazetteer places, as counts have them: one stratum per place
        values = values.assign(**{by: place_values(data.persons, by, gazetteer())[0]})
    frame = frame.merge(values, on="person_id", how="left")
    if pending_merged:
        frame = _as_merged(data, frame)
        frame["person_id"] = frame["person_id"] + "\x1f" + frame[by].astype(str)
    return frame


def _places_at(persons: pd.DataFrame, level: str) -> pd.Series:
    """Each person's gazetteer place at ``level`` by its English name (``unresolved`` and
    ``unknown`` as counts have them)."""
    places = gazetteer()
    values, _ = place_values(persons, level, places)
    labels = place_labels(places, set(values))
    return values.map(lambda v: labels[v][0] if v in labels else v)


def place_strata(selected: pd.DataFrame) -> dict[str, pd.Series]:
    """The persons of ``selected`` by place, at the finest gazetteer level that splits them
    into 2 to ``MAX_STRATA`` known places of at least ``MIN_STRATUM`` persons (smaller places
    pooled as "other places"; persons whose place is not known at that level form strata of
    their own). Places are the gazetteer's, so "Baba Amr" and "بابا عمرو" are one. Empty
    when no level splits them so."""
    for level in STRATUM_LEVELS:
        values = _places_at(selected, level)
        sizes = values.value_counts()
        small = set(sizes[sizes < MIN_STRATUM].index) - {UNKNOWN, UNRESOLVED}
        values = values.where(~values.isin(small), "other places")
        known = set(values) - {UNKNOWN, UNRESOLVED, "other places"}
        if not 2 <= len(known) <= MAX_STRATA:
            continue
        rest = [v for v in ("other places", UNRESOLVED, UNKNOWN) if v in set(values)]
        return {
            f"{level}: {value}": selected.loc[values == value, "person_id"]
            for value in sorted(known) + rest
        }
    return {}


@dataclass(frozen=True)
class RunHistories:
    """Capture histories of a run's persons, one per stratum (``None`` key when not
    stratified), as linked and with every pending pair merged (None when nothing awaits
    review), and the linkage doubt around them."""

    linked: dict[str | None, Any]
    pending_merged: dict[str | None, Any] | None
    data: CountInput


def run_histories(
    data: CountInput, filters: CountFilters | None = None, by: str | None = None
) -> RunHistories:
    """The capture histories :func:`estimate` fits for ``filters`` and ``by``."""
    from everyname.core.estimate import CaptureHistories, stratify_person_sources

    lists = sorted(data.memberships["source"].unique())
    selected = None
    if filters is not None and filters != CountFilters():
        selected = select_persons(data, filters, gazetteer()).inside["person_id"]
    doubt = data.merged_groups is not None

    def histories(frame: pd.DataFrame, field: str | None):  # type: ignore[no-untyped-def]
        if field is None:
            return CaptureHistories.from_person_sources(frame, lists=lists)
        return stratify_person_sources(frame, stratum=field, lists=lists)

    if by == PLACE_STRATA:
        inside = (
            data.persons
            if selected is None
            else data.persons[data.persons["person_id"].isin(set(selected))]
        )
        groups = place_strata(inside)
        linked = {
            v: histories(person_sources(data, persons=ids), None) for v, ids in groups.items()
        }
        merged = (
            {
                v: histories(person_sources(data, persons=ids, pending_merged=True), None)
                for v, ids in groups.items()
            }
            if doubt
            else None
        )
        return RunHistories(linked, merged, data)
    frame = person_sources(data, by, persons=selected)
    if by is None:
        merged_one = (
            {None: histories(person_sources(data, persons=selected, pending_merged=True), None)}
            if doubt
            else None
        )
        return RunHistories({None: histories(frame, None)}, merged_one, data)
    merged_frame = (
        person_sources(data, by, pending_merged=True, persons=selected) if doubt else None
    )
    return RunHistories(
        dict(histories(frame, by)),
        dict(histories(merged_frame, by)) if merged_frame is not None else None,
        data,
    )


# --- the one stratum loop ------------------------------------------------------------------


def fit_strata(
    strata: Mapping[str | None, Any],
    options: EstimateOptions,
    seed: int,
    *,
    pending_merged: Mapping[str | None, Any] | None = None,
    pairs_awaiting_review: int = 0,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[dict[str, Any], ...]:
    """Fit every stratum (the key None: not stratified) by the rules of this module; each
    result is the ``estimate --format json`` contract, with ``value`` for a stratum and
    ``error`` for one that failed."""
    out = []
    for value, histories in strata.items():
        merged = None if pending_merged is None else pending_merged.get(value)
        out.append(
            _fit_stratum(
                value, histories, merged, options, seed, pairs_awaiting_review, labels or {}
            )
        )
    return tuple(out)


def _fit_stratum(
    value: str | None,
    histories: Any,
    merged: Any,
    options: EstimateOptions,
    seed: int,
    pairs: int,
    labels: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    from everyname.core.estimate import EstimateWarning, EstimationError, WarningCode

    hist = options.prepare(histories)
    dropped: tuple[str, ...] = ()
    if value is not None and not options.lists:
        hist, dropped = hist.without_empty_lists()
    try:
        if hist.observed == 0:
            raise EstimationError(
                "nobody is named here: nothing to estimate from", params={"code": "nobody_named"}
            )
        if hist.n_lists < 2:
            raise EstimationError(
                f"fewer than two lists name persons here ({', '.join(hist.lists) or 'none'})",
                params={"code": "fewer_than_two_lists", "lists": list(hist.lists)},
            )
        data = _fit(hist, options, seed).to_dict()
    except EstimationError as exc:
        data = _failed(hist, options, exc)
    except InvalidSettings as exc:
        if options.method is not None:
            raise  # the method asked for refuses a setting: the request itself is wrong
        # No method asked for, and this stratum's lists call for one the settings do not fit
        # (an interval of the log-linear method, where two lists give Chapman's): this
        # stratum fails, saying why; the others are fitted as asked.
        from everyname.core.estimate import default_method

        data = _failed(
            hist,
            options,
            EstimationError(
                f"{exc} (with {hist.n_lists} lists the method here is "
                f"{default_method(hist)}: choose a method, or leave that setting out)"
            ),
        )
    if value is not None:
        data = {"value": value, **data}
    if merged is not None:
        prepared = options.prepare(merged)
        if dropped:
            prepared = prepared.select([x for x in prepared.lists if x not in dropped])
        data = _with_doubt(data, prepared, options, seed, pairs)
    if dropped:
        note = EstimateWarning(
            WarningCode.LIST_COVERS_ALMOST_NONE,
            f"list(s) {', '.join(dropped)} name nobody in this stratum and were left out",
            {"left_out": list(dropped)},
        )
        data["warnings"].insert(0, note.to_dict())
    if value is not None and value in labels:  # a gazetteer place: its id, in both scripts
        data["label"], data["label_ar"] = labels[value]
    return data


def _fit(hist: Any, options: EstimateOptions, seed: int) -> Any:
    from everyname.core.estimate import default_method

    return options.estimator(options.method or default_method(hist)).fit(hist, seed=seed)


def _failed(hist: Any, options: EstimateOptions, exc: Exception) -> dict[str, Any]:
    """A stratum that could not be fitted: its data warnings and why (``error``, and the
    figures of a reason a page can say in another language, ``error_params``)."""
    from everyname.core.estimate import default_method

    return {
        "method": options.method or default_method(hist),
        "observed": hist.observed,
        "estimate": None,
        "lower": None,
        "upper": None,
        "level": 0.95,
        "lists": list(hist.lists),
        "warnings": [w.to_dict() for w in _data_warnings(hist)],
        **_error(exc),
    }


def _error(exc: Exception) -> dict[str, Any]:
    """Why a fit failed: the core's English (``error``) and, when the reason has a code, its
    figures (``error_params``), from which a page says it in its own language."""
    params = getattr(exc, "params", None)
    return {"error": str(exc), **({"error_params": dict(params)} if params else {})}


def _data_warnings(hist: Any) -> list[Any]:
    from everyname.core.estimate.cautions import data_warnings

    return data_warnings(hist)


def _with_doubt(
    data: dict[str, Any], merged: Any, options: EstimateOptions, seed: int, pairs: int
) -> dict[str, Any]:
    """``data`` with the fit of the pending-merged persons beside it."""
    from everyname.core.count.doubt import with_pending_merged
    from everyname.core.estimate import EstimationError

    if data.get("estimate") is None:
        return data
    try:
        chosen = EstimateOptions.from_dict({**options.to_dict(), "method": data["method"]})
        result = chosen.estimator(data["method"]).fit(merged, seed=seed)
    except EstimationError as exc:
        return {**data, "pending_merged": {"observed": merged.observed, **_error(exc)}}
    return with_pending_merged(data, result, pairs)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimates:
    """The estimates of one request: one (``by`` None) or one per stratum, as fitted now or
    read back from the store (``stored_id``).

    ``to_dict()`` is the ``estimate --format json`` contract: the one estimate's object, or
    ``{"by", "strata": [...]}``, with ``records_not_linked`` for a link run."""

    by: str | None
    strata: tuple[Mapping[str, Any], ...]
    seed: int
    options: EstimateOptions
    filters: Mapping[str, Any] = field(default_factory=dict)
    link_run: str | None = None
    input_name: str = ""
    pairs_awaiting_review: int = 0
    records_not_linked: int | None = None
    fingerprint: str = ""
    versions: Mapping[str, Any] = field(default_factory=dict)
    stored_id: int | None = None
    created_by: str = ""
    created_at: str = ""

    @property
    def overall(self) -> Mapping[str, Any]:
        """The estimate when not stratified."""
        return self.strata[0]

    @property
    def failed(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(s for s in self.strata if s.get("estimate") is None)

    def to_dict(self) -> dict[str, Any]:
        if self.by is None:
            out: dict[str, Any] = dict(self.overall)
        else:
            out = {"by": self.by, "strata": [dict(s) for s in self.strata]}
        if self.records_not_linked is not None:
            out["records_not_linked"] = self.records_not_linked
        return out

    def record(self) -> dict[str, Any]:
        """Everything stored with the estimate (what a page lists)."""
        return {
            "id": self.stored_id,
            "link_run": self.link_run,
            "input_name": self.input_name,
            "filters": dict(self.filters),
            "by": self.by,
            "options": self.options.to_dict(),
            "seed": self.seed,
            "fingerprint": self.fingerprint,
            "versions": dict(self.versions),
            "created_by": self.created_by,
            "created_at": self.created_at,
            "result": self.to_dict(),
        }


def _fingerprint(strata: Mapping[str | None, Any]) -> str:
    return sha256_hex(f"{value}\x1f{h.fingerprint}\x1e" for value, h in strata.items())


def _versions(strata: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    for stratum in strata:
        versions = (stratum.get("provenance") or {}).get("versions")
        if versions:
            return dict(versions)
    from everyname.core.estimate.result import library_versions

    return library_versions()


# --- the use cases -------------------------------------------------------------------------


def estimate(
    actor: Actor,
    *,
    filters: CountFilters | None = None,
    by: str | None = None,
    seed: int | None = None,
    options: EstimateOptions | None = None,
) -> Estimates:
    """Fit and store an estimate of the persons of the latest link run that ``filters`` keep,
    overall or one per value of ``by`` (a persons field, or :data:`PLACE_STRATA`)."""
    require(actor, Permission.RUN_ANALYSIS)
    options = options or EstimateOptions()
    options.check()
    data = count_input()
    histories = run_histories(data, filters, by)
    used = seed_to_use(seed, options)
    labels: dict[str, tuple[str, str]] = {}
    if by in PLACE_LEVELS:
        from everyname.store.places import place_labels as stored_place_labels

        labels = stored_place_labels(histories.linked)
    strata = fit_strata(
        histories.linked,
        options,
        used,
        pending_merged=histories.pending_merged,
        pairs_awaiting_review=data.pairs_awaiting_review,
        labels=labels,
    )
    result = Estimates(
        by=by,
        strata=strata,
        seed=used,
        options=options,
        filters=(filters or CountFilters()).to_dict(),
        link_run=data.link_run,
        pairs_awaiting_review=data.pairs_awaiting_review,
        records_not_linked=data.records_not_linked,
        fingerprint=_fingerprint(histories.linked),
        versions=_versions(strata),
    )
    return _store(actor, result)


def estimate_histories(
    histories: str | Path | Any,
    *,
    by: str | None = None,
    seed: int | None = None,
    options: EstimateOptions | None = None,
) -> Estimates:
    """Fit capture histories given as a file (or as ``CaptureHistories``), pooled or one
    estimate per value of its ``stratum`` column. Reads nothing from the store and writes
    nothing: no acting user is needed and nothing is stored."""
    from everyname.core.estimate import EstimationError, pool, read_histories_csv

    options = options or EstimateOptions()
    options.check()
    if by is not None and by != STRATUM_COLUMN:
        raise InvalidInput(
            f"capture histories can only be split by their {STRATUM_COLUMN!r} column, not "
            f"{by!r}; splitting by other fields needs a link run",
            field="by",
        )
    name = str(histories) if isinstance(histories, (str, Path)) else ""
    loaded = read_histories_csv(histories) if name else histories
    if by is not None and not isinstance(loaded, dict):
        raise EstimationError(
            f"{name or 'the histories'}: no {STRATUM_COLUMN!r} column to split by"
        )
    if by is None:
        strata: dict[str | None, Any] = {None: pool(loaded) if isinstance(loaded, dict) else loaded}
    else:
        strata = dict(loaded)
    used = seed_to_use(seed, options)
    fitted = fit_strata(strata, options, used)
    return Estimates(
        by=by,
        strata=fitted,
        seed=used,
        options=options,
        input_name=Path(name).name if name else "",
        fingerprint=_fingerprint(strata),
        versions=_versions(fitted),
    )


def _store(actor: Actor, result: Estimates) -> Estimates:
    with transaction.atomic():
        row = StoredEstimate.objects.create(
            link_run_id=int(result.link_run) if result.link_run else None,
            input_name=result.input_name,
            filters=dict(result.filters),
            by=result.by or "",
            method=result.options.method or "",
            settings={
                **result.options.to_dict(),
                "pairs_awaiting_review": result.pairs_awaiting_review,
            },
            seed=result.seed,
            input_fingerprint=result.fingerprint,
            versions=dict(result.versions),
            result=json_safe(result.to_dict()),
            created_by=actor.username,
        )
        record_event(
            Action.ESTIMATE_STORED,
            actor,
            row,
            link_run=result.link_run,
            by=result.by,
            method=result.options.method,
            seed=result.seed,
            strata=len(result.strata),
            failed=len(result.failed),
        )
    return _from_row(row)


def _from_row(row: StoredEstimate) -> Estimates:
    saved = row.result
    by = row.by or None
    strata = (saved,) if by is None else tuple(saved.get("strata", []))
    if by is None:
        strata = ({k: v for k, v in saved.items() if k != "records_not_linked"},)
    pairs = int(row.settings.get("pairs_awaiting_review") or 0)
    return Estimates(
        by=by,
        strata=strata,
        seed=row.seed,
        options=EstimateOptions.from_dict(row.settings),
        filters=row.filters,
        link_run=str(row.link_run_id) if row.link_run_id else None,
        input_name=row.input_name,
        pairs_awaiting_review=pairs,
        records_not_linked=saved.get("records_not_linked"),
        fingerprint=row.input_fingerprint,
        versions=row.versions,
        stored_id=row.pk,
        created_by=row.created_by,
        created_at=_stamp(row.created_at),
    )


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def list_estimates(
    actor: Actor, *, link_run: int | None = None, limit: int = 50
) -> list[Estimates]:
    """Stored estimates, newest first (of one link run when given), without refitting."""
    require(actor, Permission.VIEW_FIGURES)
    rows = StoredEstimate.objects.order_by("-created_at", "-id")
    if link_run is not None:
        rows = rows.filter(link_run_id=link_run)
    return [_from_row(row) for row in rows[: max(1, int(limit))]]


def get_estimate(actor: Actor, estimate_id: int) -> Estimates:
    """One stored estimate, as it was fitted."""
    require(actor, Permission.VIEW_FIGURES)
    row = StoredEstimate.objects.filter(pk=estimate_id).first()
    if row is None:
        raise NotFound(f"no stored estimate {estimate_id}", field="estimate")
    return _from_row(row)


def refit(actor: Actor, estimate_id: int) -> Estimates:
    """Fit a stored estimate again with its stored filters, stratification, settings and seed
    (on the link run as it now stands: refused when that is not the run it was fitted on)."""
    stored = get_estimate(actor, estimate_id)
    require(actor, Permission.RUN_ANALYSIS)
    latest = LinkRun.objects.order_by("-created_at", "-id").values_list("pk", flat=True).first()
    if stored.link_run is None or str(latest) != stored.link_run:
        raise InvalidInput(
            f"estimate {estimate_id} was fitted on link run {stored.link_run}; the persons "
            f"are now those of link run {latest}",
            field="estimate",
        )
    return estimate(
        actor,
        filters=CountFilters(**_filters_args(stored.filters)),
        by=stored.by,
        seed=stored.seed,
        options=stored.options,
    )


def _filters_args(filters: Mapping[str, Any]) -> dict[str, Any]:
    fields = CountFilters.__dataclass_fields__
    args = {k: v for k, v in filters.items() if k in fields and v not in (None, [], ())}
    if "sources" in args:
        args["sources"] = tuple(args["sources"])
    return args
