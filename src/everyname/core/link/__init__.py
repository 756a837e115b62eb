"""Linkage: records become persons (Splink on DuckDB or Spark), with human review enforced.

A run, as the store and the CLI use it::

    records = link_input(frame)          # record_id, source + normalised fields; adds name
                                         # forms and cross-script place keys when absent
    result = link_records(records, LinkSettings(threshold=p), decisions, previous,
                          backend="duckdb", progress=callback)
    result.persons     # record_id, source, person_id (stable across runs)
    result.review      # undecided pairs in [review_floor, threshold), most useful first
    review_queue(result)  # those and the pairs a rule held apart, in the order reviewers see
    result.to_dict()   # settings, trained model JSON, versions, fingerprint, seed, counts
    persons = resolve_persons(records_as_written, result.persons["person_id"])

``decisions`` are ``MatchDecision(record_id_l, record_id_r, "same"|"different")`` in the order
they were made (a later one on the same pair wins); ``previous`` is the last accepted run's
membership (``PreviousClusters`` or ``LinkResult.previous()``). ``pairwise_scores`` measures a
clustering against ground truth. See each module's docstring for the rules it implements.
"""

from everyname.core.link.backends import BackendUnavailable, make_db_api
from everyname.core.link.cluster import Clustering, InvalidDecision, MatchDecision, cluster_pairs
from everyname.core.link.evaluate import PairwiseScores, pairwise_scores
from everyname.core.link.names import link_input, with_name_forms
from everyname.core.link.pipeline import LinkResult, link_records, review_queue
from everyname.core.link.records import RecordsRejected, prepare_records
from everyname.core.link.resolve import resolve_persons
from everyname.core.link.settings import (
    BlockingSettings,
    ComparisonSettings,
    InvalidLinkSettings,
    LinkSettings,
    TrainingSettings,
)
from everyname.core.link.stable_ids import PersonIds, PreviousClusters, assign_person_ids

__all__ = [
    "BackendUnavailable",
    "BlockingSettings",
    "Clustering",
    "ComparisonSettings",
    "InvalidDecision",
    "InvalidLinkSettings",
    "LinkResult",
    "LinkSettings",
    "MatchDecision",
    "PairwiseScores",
    "PersonIds",
    "PreviousClusters",
    "RecordsRejected",
    "TrainingSettings",
    "assign_person_ids",
    "cluster_pairs",
    "link_input",
    "link_records",
    "make_db_api",
    "pairwise_scores",
    "prepare_records",
    "resolve_persons",
    "review_queue",
    "with_name_forms",
]
