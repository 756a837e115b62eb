"""One link run: records in, persons out, with everything needed to reproduce it.

``link_records`` prepares the records, trains the model (or reuses a saved one), scores the
blocked pairs, clusters them enforcing the reviewers' decisions and the one-record-per-source
rule, and gives each person a stable id. It returns a ``LinkResult`` holding the persons, the
scored pairs, the pairs awaiting review, the trained model as JSON, the settings, the library
versions and the input fingerprint: what a ``LinkRun`` stores.

Any number of records from one upward links: one record, or records no blocking rule can
compare (placeholder names only), are each their own person unless reviewers join them;
a handful of records trains on defaults (see ``train.py``). Either way ``fallbacks`` says
what the run could not learn, and the summary prints it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from everyname.core import provenance
from everyname.core.link.backends import RECORDS_TABLE, make_db_api, register_records
from everyname.core.link.blocking import effective_rules, register_blocked_pairs, saved_rules
from everyname.core.link.cluster import Clustering, MatchDecision, cluster_pairs
from everyname.core.link.model import (
    comparisons,
    settings_creator,
    usable_rules,
    with_trained_parameters,
)
from everyname.core.link.parameters import Adjustment, Fallback
from everyname.core.link.predict import PAIR_COLUMNS, score_pairs
from everyname.core.link.records import (
    available_columns,
    content_order,
    fingerprint,
    prepare_records,
)
from everyname.core.link.review import order_for_review
from everyname.core.link.settings import LinkSettings
from everyname.core.link.siblings import SIBLINGS, sibling_mask
from everyname.core.link.stable_ids import PreviousClusters, assign_person_ids
from everyname.core.link.train import (
    FALLBACKS_KEY,
    FEW_PAIRS,
    LABELS_KEY,
    Trained,
    labels_record,
    model_fallbacks,
    train,
)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, step, steps)`` when a stage starts (steps counted from 1)."""

STAGES = ("prepare", "train", "score", "cluster", "person ids")


@dataclass(frozen=True)
class LinkResult:
    """What one link run produced. Frames are not copied: treat them as read-only."""

    persons: pd.DataFrame
    """One row per record, in input order: ``record_id``, ``source``, ``person_id``."""
    pairs: pd.DataFrame
    """Scored pairs at or above the review band's low end: ``record_id_l``, ``record_id_r``,
    ``match_weight``, ``match_probability``, ``decision`` (a reviewer's verdict or None) and
    ``same_person`` (whether the clustering put the two records in one person)."""
    review: pd.DataFrame
    """Undecided pairs in the review band, most useful first (see ``review.py``; with the
    held-apart pairs in one order: ``review_queue``)."""
    held_apart: pd.DataFrame
    """Pairs at or above the threshold that a decision or the one-record-per-source rule kept
    apart (``rule`` says which): worth a reviewer's look too."""
    model: dict[str, Any]
    """The trained Splink model (``save_model_to_json``), reusable with ``link_records(model=)``."""
    settings: LinkSettings
    versions: dict[str, str]
    input_fingerprint: str
    backend: str
    counts: dict[str, int]
    id_changes: list[dict[str, Any]]
    """Previous person ids not kept and the ids now holding their records."""
    timings: dict[str, float] = field(default_factory=dict)
    parameter_adjustments: list[Adjustment] = field(default_factory=list)
    """How training's parameters were made sane before scoring (see parameters.py)."""
    fallbacks: list[Fallback] = field(default_factory=list)
    """What the run could not learn from these records and used a default for instead."""

    @property
    def seed(self) -> int:
        return self.settings.seed

    def person_of(self) -> dict[str, str]:
        """record id → person id."""
        return dict(zip(self.persons["record_id"], self.persons["person_id"], strict=True))

    def previous(self) -> PreviousClusters:
        """This run's membership, to pass as ``previous`` to the next run."""
        return PreviousClusters(self.person_of())

    def summary(self) -> str:
        c = self.counts
        text = (
            f"{c['records']:,} records → {c['persons']:,} persons; "
            f"{c['pairs_compared']:,} pairs compared, {c['pairs_linked']:,} linked at "
            f"p ≥ {self.settings.threshold:g}, {c['pairs_awaiting_review']:,} awaiting review"
        )
        if self.fallbacks:
            text += "\ndefaults used, too little to learn from these records:\n" + "\n".join(
                f"  - {f.describe()}" for f in self.fallbacks
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        """The run's metadata as plain JSON (without the frames): what a LinkRun row stores."""
        return {
            "settings": self.settings.to_dict(),
            "model": self.model,
            "versions": self.versions,
            "input_fingerprint": self.input_fingerprint,
            "seed": self.seed,
            "backend": self.backend,
            "counts": self.counts,
            "id_changes": self.id_changes,
            "timings": self.timings,
            "parameter_adjustments": [a.to_dict() for a in self.parameter_adjustments],
            "fallbacks": [f.to_dict() for f in self.fallbacks],
        }


LINK_LIBRARIES = ("everyname", "splink", "duckdb", "pandas", "numpy")
"""The libraries whose versions can change a link run's persons (and pyspark on Spark)."""


def library_versions(backend: str) -> dict[str, str]:
    extra = ("pyspark",) if backend == "spark" else ()
    return provenance.library_versions(*LINK_LIBRARIES, *extra)


def link_records(
    records: pd.DataFrame,
    settings: LinkSettings | None = None,
    decisions: Iterable[MatchDecision] = (),
    previous: PreviousClusters | None = None,
    *,
    backend: str = "duckdb",
    model: dict[str, Any] | None = None,
    spark_session: Any | None = None,
    progress: Progress | None = None,
) -> LinkResult:
    """Link ``records`` (one row per record; see ``records.py`` for the columns) into persons.

    ``decisions`` are reviewers' verdicts, enforced in clustering and used in training (see
    ``train.py``); decisions naming records absent from ``records`` are skipped and counted.
    ``previous`` is the membership of the run being replaced, for stable person ids.
    ``model`` is a trained model from an earlier ``LinkResult.model``: scoring then skips
    training, e.g. to score on Spark with a model trained on DuckDB.
    """
    opened: list[Any] = []
    try:
        return _link_records(
            records,
            settings or LinkSettings(),
            decisions,
            previous,
            backend=backend,
            model=model,
            spark_session=spark_session,
            progress=progress,
            opened=opened,
        )
    finally:
        # a run that fails (a bad model, an interrupted job) must not leave its engine's
        # tables in memory: every backend opened for it is released, whatever happened
        for db_api in opened:
            _release(db_api)


def _link_records(
    records: pd.DataFrame,
    settings: LinkSettings,
    decisions: Iterable[MatchDecision],
    previous: PreviousClusters | None,
    *,
    backend: str,
    model: dict[str, Any] | None,
    spark_session: Any | None,
    progress: Progress | None,
    opened: list[Any],
) -> LinkResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def stage(name: str) -> None:
        now = time.perf_counter()
        timings[name] = now
        if progress is not None:
            progress(name, STAGES.index(name) + 1, len(STAGES))

    stage("prepare")
    prepared = prepare_records(records)
    # linkage names records by their rank in content order, never by the caller's ids
    order = content_order(prepared)
    original_ids = prepared["record_id"].to_numpy()[order]
    rank = {record_id: k for k, record_id in enumerate(original_ids.tolist())}
    columns = available_columns(prepared)
    all_decisions = list(decisions)
    usable = [d for d in all_decisions if d.record_id_l in rank and d.record_id_r in rank]
    in_force: dict[tuple[str, str], MatchDecision] = {}
    for d in usable:  # a later decision on the same pair wins, in training as in clustering
        in_force[d.key] = d
    same_pairs = sorted(
        {
            tuple(sorted((rank[d.record_id_l], rank[d.record_id_r])))
            for d in in_force.values()
            if d.verdict == "same"
        }
    )

    adjustments: list[Adjustment] = []
    nothing = _nothing_to_compare(len(prepared), columns, settings, model)
    if nothing is not None:
        # one record, or none a blocking rule can compare: no pair to score, no engine needed
        fallbacks = [nothing]
        trained = {"comparisons": [], FALLBACKS_KEY: [nothing.to_dict()]}
        stage("train")
        stage("score")
        pairs = pd.DataFrame({c: pd.Series(dtype=_PAIR_DTYPES[c]) for c in PAIR_COLUMNS})
        siblings = np.zeros(0, dtype=bool)
        compared = 0
    else:
        settings, thin = _for_few_records(settings, len(prepared))
        db_api = make_db_api(backend, spark_session)
        opened.append(db_api)
        from splink import Linker

        table = register_records(db_api, prepared, order)
        dialect = db_api.sql_dialect.sql_dialect_str
        records_in = (db_api._con, RECORDS_TABLE) if dialect == "duckdb" else None
        rules_used = saved_rules(model) if model is not None else None
        # a saved model is scored with its own blocking, so the same pairs are compared
        rules_used = rules_used or effective_rules(prepared, columns, settings, records_in)
        creator = settings_creator(columns, settings, rules_used)
        stage("train")
        if model is None:
            trainee = Linker(table, creator, log_level=None)
            done = train(trainee, columns, settings, len(prepared), same_pairs)
            trained, adjustments, fallbacks = done.model, done.adjustments, done.fallbacks
            fallbacks = thin + fallbacks
            trained[FALLBACKS_KEY] = [f.to_dict() for f in fallbacks]
            trained[LABELS_KEY] = _labels(usable, same_pairs, original_ids, done, settings)
        else:
            trained, fallbacks = model, model_fallbacks(model)
            fallbacks += [f for f in thin if f not in fallbacks]
        linker = _loaded(Linker, table, creator, dialect, trained)
        stage("score")
        if dialect == "duckdb":
            register_blocked_pairs(linker, rules_used, RECORDS_TABLE)
        pairs, compared = score_pairs(linker, _review_floor(settings, fallbacks))
        siblings = np.zeros(len(pairs), dtype=bool)
        if settings.siblings_apart:  # pairs name ranks: rank r is row order[r] of prepared
            rows_l = order[pairs["record_id_l"].to_numpy(dtype=np.int64)]
            rows_r = order[pairs["record_id_r"].to_numpy(dtype=np.int64)]
            p = pairs["match_probability"].to_numpy()
            siblings = sibling_mask(prepared, rows_l, rows_r, p, settings.threshold)
        pairs = _with_original_ids(pairs, original_ids)
    stage("cluster")
    clustering = cluster_pairs(
        original_ids,  # in content order: ties are broken by content, not by id
        prepared["source"].to_numpy()[order],
        pairs,
        settings.threshold,
        usable,
        one_record_per_source=settings.one_record_per_source,
        same_source_threshold=_same_source_threshold(settings, prepared),
        apart=pairs.loc[siblings, ["record_id_l", "record_id_r"]] if siblings.any() else None,
        apart_rule=SIBLINGS,
    )
    stage("person ids")
    ids = assign_person_ids(original_ids, clustering.labels, previous)
    person_ids = np.empty(len(order), dtype=object)
    person_ids[order] = ids.person_ids
    persons = pd.DataFrame(
        {
            "record_id": prepared["record_id"].to_numpy(),
            "source": prepared["source"].to_numpy(),
            "person_id": person_ids,
        }
    )
    pairs = _annotate_pairs(pairs, clustering, usable)
    review = _review_queue(pairs, settings, _review_floor(settings, fallbacks), persons)
    end = time.perf_counter()
    order = [*STAGES, "end"]
    stamps = [*(timings[s] for s in STAGES), end]
    durations = {order[i]: stamps[i + 1] - stamps[i] for i in range(len(STAGES))}
    durations["total"] = end - started
    counts = {
        "records": len(prepared),
        "persons": int(persons["person_id"].nunique()),
        "sources": int(prepared["source"].nunique()),
        "pairs_compared": compared,
        "pairs_scored": len(pairs),
        "pairs_linked": int((pairs["match_probability"] >= settings.threshold).sum()),
        "pairs_awaiting_review": len(review),
        "pairs_held_apart": len(clustering.held_apart),
        "pairs_held_apart_as_siblings": int((clustering.held_apart["rule"] == SIBLINGS).sum()),
        "decisions_applied": len(usable),
        "decisions_skipped": len(all_decisions) - len(usable),
        "person_ids_kept": ids.kept,
        "person_ids_new": ids.new,
    }
    input_fingerprint = fingerprint(prepared)
    return LinkResult(
        persons=persons,
        pairs=pairs,
        review=review,
        held_apart=clustering.held_apart,
        model=trained,
        settings=settings,
        versions=library_versions(backend),
        input_fingerprint=input_fingerprint,
        backend=backend,
        counts=counts,
        id_changes=ids.changes,
        timings=durations,
        parameter_adjustments=adjustments,
        fallbacks=fallbacks,
    )


def _labels(
    decisions: list[MatchDecision],
    same_pairs: list[tuple[int, int]],
    original_ids: np.ndarray,
    done: Trained,
    settings: LinkSettings,
) -> dict[str, Any]:
    """What the model learnt from the decisions, naming records by the caller's ids."""
    same = [tuple(sorted((str(original_ids[a]), str(original_ids[b])))) for a, b in same_pairs]
    verdicts = {d.key: d.verdict for d in decisions}  # a later decision on a pair wins
    n_different = sum(v == "different" for v in verdicts.values())
    return labels_record(
        sorted(same), n_different, done.label_weight, settings.training.min_decisions_for_m
    )


def _same_source_threshold(settings: LinkSettings, prepared: pd.DataFrame) -> float:
    """``same_source_threshold`` for records of several sources; ``threshold`` for one list
    linked against itself. Why: the extra evidence asked of a same-source pair stands for "a
    list names a person twice far less often than two lists share one", a comparison that
    has no meaning with one list, whose prior is estimated from its own pairs and so already
    says how rarely it repeats itself. Siblings, what the extra evidence also kept apart, are
    held apart by the sibling rule (``siblings.py``)."""
    if prepared["source"].nunique() <= 1:
        return settings.threshold
    return settings.same_source_threshold


def _for_few_records(settings: LinkSettings, n_records: int) -> tuple[LinkSettings, list[Fallback]]:
    """The settings for so few records that their names' frequencies mean nothing (each name
    is "common" among six records): term-frequency adjustments off, and said so."""
    if n_records * (n_records - 1) / 2 >= FEW_PAIRS:
        return settings, []
    if not settings.comparisons.term_frequency_adjustments:
        return settings, []
    off = replace(settings.comparisons, term_frequency_adjustments=False)
    fallback = Fallback(
        "term frequencies",
        f"{n_records} records cannot tell a common name from a rare one",
        "off: agreeing on any name counts alike",
    )
    return replace(settings, comparisons=off), [fallback]


_PAIR_DTYPES = {
    "record_id_l": "object",
    "record_id_r": "object",
    "match_weight": "float64",
    "match_probability": "float64",
}
NOTHING_TO_COMPARE_DEFAULT = "each record is its own person, unless reviewers' decisions join them"


def _nothing_to_compare(
    n_records: int, columns: frozenset[str], settings: LinkSettings, model: dict[str, Any] | None
) -> Fallback | None:
    """Why no pair of these records can be scored, or None when some can."""
    if n_records < 2:
        reason = f"{n_records} record: no pair to compare"
    elif model is not None and not model.get("comparisons"):
        reason = "the saved model compares nothing"
    elif not usable_rules(columns, settings.blocking.rules):
        reason = (
            "no record has a name, date or identifier that a blocking rule can compare "
            '(placeholder names such as مجهول or "Unidentified 3" are never compared)'
        )
    elif not comparisons(columns, settings):
        reason = "the records hold no field the model can compare"
    else:
        return None
    return Fallback("scoring", reason, NOTHING_TO_COMPARE_DEFAULT)


def _loaded(linker_class: Any, table: Any, creator: Any, dialect: str, model: dict) -> Any:
    """A linker for this backend's dialect holding a trained model's parameters."""
    untrained = creator.create_settings_dict(dialect)
    return linker_class(table, with_trained_parameters(untrained, model), log_level=None)


def _annotate_pairs(
    pairs: pd.DataFrame, clustering: Clustering, decisions: list[MatchDecision]
) -> pd.DataFrame:
    out = pairs.copy()
    left = clustering.index.get_indexer(out["record_id_l"].to_numpy())
    right = clustering.index.get_indexer(out["record_id_r"].to_numpy())
    out["same_person"] = clustering.labels[left] == clustering.labels[right]
    verdicts = {d.key: d.verdict for d in decisions}
    if not verdicts:
        out["decision"] = None
        return out
    keys = [
        (a, b) if a <= b else (b, a)
        for a, b in zip(out["record_id_l"], out["record_id_r"], strict=True)
    ]
    out["decision"] = [verdicts.get(k) for k in keys]
    return out


def _with_original_ids(pairs: pd.DataFrame, original_ids: np.ndarray) -> pd.DataFrame:
    """Pairs named by the caller's record ids again, the smaller id on the left as before."""
    out = pairs.copy()
    left = original_ids[out["record_id_l"].to_numpy(dtype=np.int64)]
    right = original_ids[out["record_id_r"].to_numpy(dtype=np.int64)]
    swap = left > right
    out["record_id_l"] = np.where(swap, right, left)
    out["record_id_r"] = np.where(swap, left, right)
    return out


def _review_floor(settings: LinkSettings, fallbacks: list[Fallback]) -> float:
    """The review band's low end: every compared pair when u could not be learnt (a handful
    of records), since the model's probabilities then say little and the pairs are few."""
    return 0.0 if any(f.stage == "u" for f in fallbacks) else settings.review_floor


def _review_queue(
    pairs: pd.DataFrame, settings: LinkSettings, low: float, persons: pd.DataFrame
) -> pd.DataFrame:
    """Undecided pairs in the review band, most useful first (see ``review.py``)."""
    high = settings.threshold
    p = pairs["match_probability"].to_numpy()
    band = (p >= low) & (p < high) & pairs["decision"].isna().to_numpy()
    queue = order_for_review(pairs[band], _person_of(persons))
    return queue.drop(columns="usefulness")


def _person_of(persons: pd.DataFrame) -> pd.Series:
    return pd.Series(persons["person_id"].to_numpy(), index=persons["record_id"].to_numpy())


def _release(db_api: Any) -> None:
    """Free the backend's tables: a DuckDB connection holds every intermediate in memory."""
    con = getattr(db_api, "_con", None)
    if con is not None and hasattr(con, "close"):
        con.close()


def review_queue(result: LinkResult) -> pd.DataFrame:
    """Every pair awaiting a reviewer, most useful first (see ``review.py``): the uncertain
    pairs and the pairs a rule held apart in one order. Columns ``record_id_l``,
    ``record_id_r``, ``match_probability``, ``match_weight``, ``kind`` ("uncertain" or
    "held_apart"), ``rule`` and ``usefulness``. What the store ranks, so ``everyname review``,
    the web queue and the benchmarks all ask in one order."""
    uncertain = result.review.assign(kind="uncertain", rule="")
    held = result.held_apart.assign(kind="held_apart")
    if "match_weight" not in held.columns:
        held["match_weight"] = np.nan
    columns = ["record_id_l", "record_id_r", "match_probability", "match_weight", "kind", "rule"]
    frames = [f[columns] for f in (uncertain, held) if len(f)]
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty.assign(usefulness=pd.Series(dtype=float))
    return order_for_review(pd.concat(frames, ignore_index=True), _person_of(result.persons))
