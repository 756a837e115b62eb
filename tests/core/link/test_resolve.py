"""Resolved values and conflicts: unknown never outvotes known, disagreements are shown."""

from __future__ import annotations

import pandas as pd

from everyname.core.link import resolve_persons


def records(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def one(frame: pd.DataFrame, person: str = "P1") -> dict:
    return frame.set_index("person_id").loc[person].to_dict()


def test_unknown_does_not_outvote_a_known_value():
    recs = records(
        [
            {"record_id": "1", "source": "a", "sex": "male", "status": "unknown"},
            {"record_id": "2", "source": "b", "sex": "unknown", "status": None},
            {"record_id": "3", "source": "c", "sex": None, "status": "civilian"},
        ]
    )
    person = one(resolve_persons(recs, ["P1"] * 3))
    assert person["sex"] == "male"
    assert person["status"] == "civilian"
    assert person["conflicts"] == []
    assert person["n_records"] == 3 and person["sources"] == ["a", "b", "c"]


def test_disagreement_is_a_conflict_listing_who_said_what():
    recs = records(
        [
            {"record_id": "1", "source": "a", "status": "civilian"},
            {"record_id": "2", "source": "b", "status": "combatant"},
            {"record_id": "3", "source": "c", "status": "civilian"},
        ]
    )
    person = one(resolve_persons(recs, ["P1"] * 3))
    assert person["status"] == "civilian"
    assert person["conflicts"] == [
        {"field": "status", "values": {"civilian": ["1", "3"], "combatant": ["2"]}}
    ]


def test_a_tie_between_known_values_resolves_to_unknown():
    recs = records(
        [
            {"record_id": "1", "source": "a", "status": "civilian"},
            {"record_id": "2", "source": "b", "status": "combatant"},
        ]
    )
    person = one(resolve_persons(recs, ["P1", "P1"]))
    assert pd.isna(person["status"])
    assert [c["field"] for c in person["conflicts"]] == ["status"]


def test_name_most_given_then_most_complete():
    recs = records(
        [
            {"record_id": "1", "source": "a", "full_name": "Ahmad Hassan"},
            {"record_id": "2", "source": "b", "full_name": "Ahmad Ali Hassan"},
            {"record_id": "3", "source": "c", "full_name": "Omar Said"},
            {"record_id": "4", "source": "d", "full_name": "Omar Said"},
            {"record_id": "5", "source": "e", "full_name": "Omar Said Jaber"},
        ]
    )
    persons = resolve_persons(recs, ["P1", "P1", "P2", "P2", "P2"])
    assert one(persons, "P1")["name"] == "Ahmad Ali Hassan"
    assert one(persons, "P2")["name"] == "Omar Said"
    assert one(persons, "P1")["conflicts"] == []  # spelling variants are not conflicts


def test_ages_close_together_agree_far_apart_conflict():
    recs = records(
        [
            {"record_id": "1", "source": "a", "age_years": 30},
            {"record_id": "2", "source": "b", "age_years": 31},
            {"record_id": "3", "source": "a", "age_years": 4},
            {"record_id": "4", "source": "b", "age_years": 40},
        ]
    )
    persons = resolve_persons(recs, ["P1", "P1", "P2", "P2"])
    assert one(persons, "P1")["age_years"] == 30.5
    assert one(persons, "P1")["conflicts"] == []
    assert one(persons, "P2")["conflicts"][0]["field"] == "age_years"


def test_most_precise_consistent_date_wins_and_impossible_dates_conflict():
    recs = records(
        [
            {"record_id": "1", "source": "a", "date_of_death": "2012-02"},
            {"record_id": "2", "source": "b", "date_of_death": "2012-02-04"},
            {"record_id": "3", "source": "a", "date_of_death": "2012-02-04"},
            {"record_id": "4", "source": "b", "date_of_death": "2012-03-10"},
        ]
    )
    persons = resolve_persons(recs, ["P1", "P1", "P2", "P2"])
    assert one(persons, "P1")["date_of_death"] == "2012-02-04"
    assert one(persons, "P1")["conflicts"] == []
    conflict = one(persons, "P2")["conflicts"][0]
    assert conflict == {
        "field": "date_of_death",
        "values": {"2012-02-04": ["3"], "2012-03-10": ["4"]},
    }
