"""Place filters with the project's real gazetteer: "Homs" includes its neighbourhoods."""

from __future__ import annotations

import pandas as pd
import pytest

from everyname.core.claims import claims_beside
from everyname.core.count import CountFilters, CountInput, count_persons
from everyname.core.places import Gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def test_governorate_counts_everything_below_it(gazetteer):
    ids = {t: gazetteer.resolve(t).entry.id for t in ("Baba Amr", "al-Khalidiya", "Homs", "Idlib")}
    persons = pd.DataFrame(
        {
            "person_id": ["1", "2", "3", "4", "5"],
            "place_id": [ids["Baba Amr"], ids["al-Khalidiya"], ids["Homs"], ids["Idlib"], None],
            "governorate": [None, None, None, None, "حمص"],  # free text only: matched by name
        }
    )
    memberships = pd.DataFrame(columns=["person_id", "record_id", "source"])
    data = CountInput(persons, memberships, link_run="r")
    homs = count_persons(data, CountFilters(place="Homs"), gazetteer=gazetteer)
    assert set(homs.person_ids) == {"1", "2", "3", "5"}
    in_arabic = count_persons(data, CountFilters(place="حمص"), gazetteer=gazetteer)
    assert in_arabic.person_ids == homs.person_ids
    by_id = count_persons(data, CountFilters(place=ids["Baba Amr"]), gazetteer=gazetteer)
    assert by_id.person_ids == ("1",)


def test_claims_about_a_neighbourhood_shown_for_its_governorate(gazetteer):
    claims = pd.DataFrame(
        [
            ("LCC", "2012-02-04", "al-Khalidiya", "killed", 65, "massacre of al-Khalidiya"),
            ("FH", "2012-02-09", "بابا عمرو", "killed", 100, "Baba Amr toll"),
            ("X", "2012-02-05", "Idlib", "killed", 8, "elsewhere"),
        ],
        columns=["source", "date", "place", "category", "count", "text"],
    )
    view = claims_beside(claims, CountFilters(place="Homs"), 10, gazetteer)
    assert view.rows["source"].tolist() == ["LCC", "FH"]


# --- breakdowns count gazetteer places, not spellings --------------------------------------------

SPELLINGS = [
    # person, governorate, neighbourhood, place
    ("p1", None, "بابا عمرو", None),
    ("p2", "Homs", "Baba Amr", None),
    ("p3", None, "Baba Amru", None),
    ("p4", "حمص", "حي بابا عمرو", None),
    ("p5", "حمص", "Khalidiya", None),
    ("p6", "Homs", "Zzyzx Quarter", None),  # a neighbourhood the gazetteer does not know
    ("p7", "Homs", None, None),  # no neighbourhood given
    ("p8", None, None, None),  # no place at all
    ("p9", "Unknown", None, "Wadi Zzyzx"),  # only a free-text place nobody knows
    ("p10", "Idlib", None, None),
]


def _spelled() -> CountInput:
    persons = pd.DataFrame(
        SPELLINGS, columns=["person_id", "governorate", "neighbourhood", "place"]
    )
    memberships = pd.DataFrame(
        {"person_id": persons["person_id"], "record_id": persons["person_id"], "source": "s"}
    )
    return CountInput(persons, memberships, link_run="r")


def _rows(result, field):
    return {r.value: r.count for r in result.by[field]}


def test_one_row_per_place_whatever_the_spelling(gazetteer):
    result = count_persons(_spelled(), by=["neighbourhood", "governorate"], gazetteer=gazetteer)
    baba_amr = gazetteer.resolve("Baba Amr").entry.id
    khalidiya = gazetteer.resolve("Khalidiya").entry.id
    assert _rows(result, "neighbourhood") == {
        baba_amr: 4,
        khalidiya: 1,
        "unresolved": 2,  # p6, and p9 whose free-text place may be a neighbourhood
        "unknown": 3,  # p7, p8, p10 name no neighbourhood
    }
    homs, idlib = gazetteer.resolve("Homs").entry.id, gazetteer.resolve("Idlib").entry.id
    # p1 and p3 say only "Baba Amr": they are in Homs governorate
    assert _rows(result, "governorate") == {homs: 7, idlib: 1, "unresolved": 1, "unknown": 1}
    for field in ("neighbourhood", "governorate"):
        assert sum(r.count for r in result.by[field]) == result.total
        assert [r.value for r in result.by[field]][-2:] == ["unresolved", "unknown"]
    first = result.by["neighbourhood"][0]
    assert (first.value, first.label, first.label_ar) == (baba_amr, "Baba Amr", "بابا عمرو")


def test_unresolved_spellings_are_listed_never_merged(gazetteer):
    result = count_persons(
        _spelled(), by=["neighbourhood", "governorate"], gazetteer=gazetteer, explain=True
    )
    out = result.to_dict()
    neighbourhood = {(s["field"], s["spelling"]): s["count"] for s in out["unresolved_places"]
                     ["neighbourhood"]}  # fmt: skip
    assert ("neighbourhood", "Zzyzx Quarter") in neighbourhood
    assert neighbourhood[("neighbourhood", "Zzyzx Quarter")] == 1
    # at the governorate level only p9's text is behind "unresolved" (p6 is in Homs)
    assert out["unresolved_places"]["governorate"] == [
        {"field": "place", "spelling": "Wadi Zzyzx", "count": 1}
    ]
    rows = {r["value"]: r for r in out["by"]["governorate"]}
    assert rows["unresolved"]["person_ids"] == ["p9"]
    assert "label" not in rows["unresolved"] and "label" not in rows["unknown"]
    homs = rows[gazetteer.resolve("Homs").entry.id]
    assert (homs["label"], homs["label_ar"]) == ("Homs", "حمص")


def test_unresolved_and_unknown_rows_are_there_at_zero(gazetteer):
    persons = pd.DataFrame({"person_id": ["a", "b"], "governorate": ["Homs", "حمص"]})
    memberships = pd.DataFrame({"person_id": ["a", "b"], "record_id": ["1", "2"], "source": "s"})
    result = count_persons(
        CountInput(persons, memberships, link_run="r"), by=["governorate"], gazetteer=gazetteer
    )
    assert [(r.value, r.count) for r in result.by["governorate"]] == [
        (gazetteer.resolve("Homs").entry.id, 2),
        ("unresolved", 0),
        ("unknown", 0),
    ]


def test_place_level_chosen_on_gazetteer_places(gazetteer):
    # Everyone is in Homs however it is spelled: the persons differ first by neighbourhood
    # (or by city/locality when the gazetteer places them there), never by spelling.
    data = _spelled()
    homs_only = count_persons(data, CountFilters(place="Homs"), by=["place"], gazetteer=gazetteer)
    level = homs_only.settings["place_level"]
    assert level != "governorate"
    values = [r.value for r in homs_only.by["place"]]
    assert len(values) == len(set(values))
    everyone = count_persons(data, by=["place"], gazetteer=gazetteer)
    assert everyone.settings["place_level"] == "governorate"  # Homs and Idlib


def test_a_name_of_several_places_is_placed_only_where_they_agree(gazetteer):
    # جوبر is a neighbourhood of Damascus and one of Homs: without a governorate the record
    # is unresolved at every level where the two differ, and listed with both candidates.
    persons = pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "governorate": [None, "Homs", "Damascus"],
            "neighbourhood": ["جوبر", "جوبر", "Jobar"],
        }
    )
    memberships = pd.DataFrame({"person_id": ["a", "b", "c"], "record_id": ["1", "2", "3"],
                                "source": "s"})  # fmt: skip
    result = count_persons(
        CountInput(persons, memberships, link_run="r"),
        by=["neighbourhood", "governorate"],
        gazetteer=gazetteer,
        explain=True,
    )
    homs_jobar = gazetteer.resolve_record({"governorate": "Homs", "neighbourhood": "جوبر"})
    damascus_jobar = gazetteer.resolve_record({"governorate": "Damascus", "neighbourhood": "جوبر"})
    homs_id, damascus_id = homs_jobar.place.entry.id, damascus_jobar.place.entry.id
    assert homs_id != damascus_id
    neighbourhoods = {r.value: r for r in result.by["neighbourhood"]}
    assert neighbourhoods["unresolved"].person_ids == ("a",)
    assert neighbourhoods[homs_id].person_ids == ("b",)
    assert neighbourhoods[damascus_id].person_ids == ("c",)
    # one Arabic name, two places: each row says which
    assert neighbourhoods[homs_id].label_ar.startswith("جوبر (")
    assert "حمص" in neighbourhoods[homs_id].label_ar  # its city: مدينة حمص
    assert neighbourhoods[damascus_id].label_ar.startswith("جوبر (")
    assert neighbourhoods[damascus_id].label_ar != neighbourhoods[homs_id].label_ar
    assert result.figure("governorate", "unresolved") == 1
    (spelling,) = result.unresolved["governorate"]
    assert (spelling.field, spelling.text, spelling.persons) == ("neighbourhood", "جوبر", 1)
    assert set(spelling.candidates) == {homs_id, damascus_id}


def test_a_certain_field_counts_beside_a_text_of_several_places(gazetteer):
    # VDC writes "Idlib: Qusour Nieghborhood": al-Qusour is a neighbourhood of Homs, so the
    # text names two places that do not contain each other. The governorate the record gives
    # is certain and counts; below it the person is unresolved, never moved to Homs.
    persons = pd.DataFrame(
        {"person_id": ["q"], "governorate": ["Idlib"], "place": ["Idlib: Qusour Nieghborhood"]}
    )
    memberships = pd.DataFrame({"person_id": ["q"], "record_id": ["1"], "source": "s"})
    result = count_persons(
        CountInput(persons, memberships, link_run="r"),
        by=["governorate", "neighbourhood"],
        gazetteer=gazetteer,
    )
    idlib = gazetteer.resolve("Idlib").entry.id
    assert result.figure("governorate", idlib) == 1
    assert result.figure("neighbourhood", "unresolved") == 1
    (spelling,) = result.unresolved["neighbourhood"]
    assert spelling.text == "Idlib: Qusour Nieghborhood" and len(spelling.candidates) == 2


def test_a_place_filter_places_persons_known_only_by_a_neighbourhood(gazetteer):
    # No place_id given (a plain table): the filter places them as breakdowns do.
    result = count_persons(_spelled(), CountFilters(place="Homs"), gazetteer=gazetteer)
    assert set(result.person_ids) == {"p1", "p2", "p3", "p4", "p5", "p6", "p7"}
    assert count_persons(_spelled(), CountFilters(place="حمص"), gazetteer=gazetteer).total == 7
    baba_amr = count_persons(_spelled(), CountFilters(place="بابا عمرو"), gazetteer=gazetteer)
    assert set(baba_amr.person_ids) == {"p1", "p2", "p3", "p4"}
