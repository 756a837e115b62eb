"""Corroboration grades and copy groups."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.corroboration import contested_fields, corroborate, independent_sources


def _memberships(rows):
    return pd.DataFrame(rows, columns=["person_id", "record_id", "source"])


MEMBERSHIPS = _memberships(
    [
        ("A", "1", "committee"),
        ("A", "2", "hospital"),
        ("B", "3", "committee"),
        ("B", "4", "ngo"),
        ("C", "5", "committee"),
        ("C", "6", "committee"),
        ("D", "7", "hospital"),
        ("D", "8", "family"),
        ("E", "9", "family"),
        ("E", "10", "hospital"),
    ]
)
CONFLICTS = {
    "D": [{"field": "outcome", "values": {"killed": ["7"], "injured": ["8"]}}],
    "E": [
        {"field": "status", "values": {"civilian": ["9"], "unknown": ["10"]}},
        {"field": "sex", "values": {"male": ["9"], "female": ["10"]}},
    ],
}


def test_grades():
    result = corroborate(MEMBERSHIPS, CONFLICTS, {"ngo": "g", "committee": "g"})
    grades = result.grades()
    assert grades == {
        "A": "confirmed",
        "B": "single_source",  # the NGO copies the committee: one independent source
        "C": "single_source",  # one list naming a person twice is still one source
        "D": "contested",  # killed vs injured
        "E": "confirmed",  # unknown status is no disagreement; sex is not a graded field
    }
    assert result.counts() == {"confirmed": 2, "single_source": 2, "contested": 1, "unknown": 0}
    assert result.at_least(2) == 3  # A, D, E
    assert result.summary().startswith("5 named; 3 named by at least two independent sources")


def test_without_copy_groups_every_source_is_independent():
    grades = corroborate(MEMBERSHIPS).grades()
    assert grades["B"] == "confirmed"


def test_person_without_records_is_unknown_and_counts_cover_requested_persons():
    result = corroborate(MEMBERSHIPS, person_ids=["A", "Z"])
    assert result.grades() == {"A": "confirmed", "Z": "unknown"}
    assert result.to_dict()["by_grade"][-1] == {"value": "unknown", "count": 1}


def test_contested_fields_ignore_unknown_and_other_fields():
    assert contested_fields(CONFLICTS["E"]) == ()
    assert contested_fields(CONFLICTS["D"]) == ("outcome",)
    assert contested_fields(None) == ()


@given(
    sources=st.lists(st.sampled_from("abcdef"), max_size=10),
    groups=st.dictionaries(st.sampled_from("abcdef"), st.sampled_from("xy")),
)
def test_independent_sources_never_exceed_distinct_sources(sources, groups):
    n = independent_sources(sources, groups)
    assert n <= len(set(sources))
    assert n == len(set(sources)) or groups
