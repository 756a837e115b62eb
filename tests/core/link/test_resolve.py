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


def test_a_record_with_name_parts_is_named_beside_lists_with_full_names():
    """A run mixes lists with a full-name column and lists with name parts: a person whose
    records have only parts is named by them, and parts count towards a shared person's name."""
    recs = records(
        [
            {"record_id": "1", "source": "a", "full_name": "Ahmad Ali Hassan"},
            {"record_id": "2", "source": "b", "given_name": "Omar", "family_name": "Said"},
            {"record_id": "3", "source": "c", "given_name": "Omar", "family_name": "Said"},
            {"record_id": "4", "source": "d", "full_name": "Omar Said Jaber"},
            {"record_id": "5", "source": "e", "full_name": "unknown", "given_name": "Huda"},
        ]
    )
    persons = resolve_persons(recs, ["P1", "P2", "P2", "P2", "P3"])
    assert one(persons, "P1")["name"] == "Ahmad Ali Hassan"
    assert one(persons, "P2")["name"] == "Omar Said"  # given twice, by the parts
    assert one(persons, "P3")["name"] == "Huda"  # an unknown full name falls back to the parts


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


def test_spellings_of_one_place_are_one_value_with_the_gazetteer():
    """ "Homs" and "حمص" name one governorate: with the bundled gazetteer they are neither a
    conflict nor a tie that leaves the place unknown; another place still conflicts."""
    from everyname.core.places import Gazetteer

    gazetteer = Gazetteer.load()

    def place_key(text: str, field: str) -> str | None:
        match = gazetteer.resolve(text, level=None if field == "place" else field)
        return None if match is None else match.entry.id

    recs = records(
        [
            {"record_id": "1", "source": "a", "governorate": "Homs", "sex": "male"},
            {"record_id": "2", "source": "b", "governorate": "حمص", "sex": "male"},
            {"record_id": "3", "source": "a", "governorate": "حمص"},
            {"record_id": "4", "source": "b", "governorate": "Homs"},
            {"record_id": "5", "source": "c", "governorate": "Hama"},
            {"record_id": "6", "source": "c", "governorate": "Nowhere Town"},
        ]
    )
    people = ["P1", "P1", "P2", "P2", "P2", "P3"]
    plain = resolve_persons(recs, people).set_index("person_id")
    assert pd.isna(plain.loc["P1", "governorate"])  # compared as texts: a tie
    assert [c["field"] for c in plain.loc["P1", "conflicts"]] == ["governorate"]
    placed = resolve_persons(recs, people, place_key=place_key).set_index("person_id")
    assert placed.loc["P1", "governorate"] == "Homs"  # a tie of spellings: alphabetical
    assert placed.loc["P1", "conflicts"] == []
    assert placed.loc["P2", "governorate"] in ("Homs", "حمص")  # two records of three
    assert placed.loc["P2", "conflicts"] == [
        {"field": "governorate", "values": {"Hama": ["5"], "Homs": ["4"], "حمص": ["3"]}}
    ]
    assert placed.loc["P3", "governorate"] == "Nowhere Town"  # a text no gazetteer knows
    assert placed.loc["P1", "sex"] == plain.loc["P1", "sex"] == "male"
