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
