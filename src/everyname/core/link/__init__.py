"""Linkage: records become persons (Splink on DuckDB or Spark), with human review enforced.

Entry point: ``link_records(records, settings, decisions, previous)`` → ``LinkResult``.
Then ``resolve_persons(records, result.persons["person_id"])`` for resolved values and
conflicts, and ``pairwise_scores(predicted, truth)`` to measure a clustering.
"""

from everyname.core.link.backends import BackendUnavailable, make_db_api
from everyname.core.link.cluster import Clustering, InvalidDecision, MatchDecision, cluster_pairs
from everyname.core.link.evaluate import PairwiseScores, pairwise_scores
from everyname.core.link.pipeline import LinkResult, link_records
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
    "link_records",
    "make_db_api",
    "pairwise_scores",
    "prepare_records",
    "resolve_persons",
]
