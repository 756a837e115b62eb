"""Claims are shown beside named counts for the same window and place, never added."""

from __future__ import annotations

import pandas as pd
import pytest

from everyname.core.claims import claims_beside, read_claims
from everyname.core.count import CountFilters, CountInput, count_persons
from everyname.core.errors import InputRejected

CLAIMS = pd.DataFrame(
    [
        ("sana", "2012-02-07", "Homs", "army and security members", 30, "30 buried"),
        ("sana", "2012-02-12", "Homs", "army and security members", 12, "12 buried"),
        ("lcc", "2012-02", "Homs", "civilians", 300, "300 killed this month"),
        ("lcc", "2012-02-05", "Idlib", "civilians", 8, "8 killed"),
        ("hrw", None, "Homs", "civilians", 50, "undated"),
    ],
    columns=["source", "date", "place", "category", "count", "text"],
)


def _data(claims: pd.DataFrame) -> CountInput:
    persons = pd.DataFrame(
        {
            "person_id": ["P1", "P2"],
            "governorate": ["Homs", "Homs"],
            "date_of_death": ["2012-02-04", "2012-02-07"],
        }
    )
    memberships = pd.DataFrame(
        {"person_id": ["P1", "P2"], "record_id": ["r1", "r2"], "source": ["a", "b"]}
    )
    return CountInput(persons, memberships, link_run="r", claims=claims)


def test_totals_never_include_claims():
    filters = CountFilters(since="2012-02-03", until="2012-02-09", place="Homs")
    with_claims = count_persons(_data(CLAIMS), filters, by=["status"])
    without = count_persons(_data(CLAIMS.iloc[0:0]), filters, by=["status"])
    assert with_claims.total == without.total == 2
    assert with_claims.to_dict()["by"] == without.to_dict()["by"]
    view = claims_beside(_data(CLAIMS).claims, filters, with_claims.total)
    assert view.named_total == 2
    assert view.rows["count"].sum() == 330  # shown beside the 2, not added to them
    assert "never added" in view.to_dict()["note"]


def test_claims_matched_to_window_and_place():
    filters = CountFilters(since="2012-02-03", until="2012-02-09", place="Homs")
    view = claims_beside(CLAIMS, filters, named_total=2)
    assert view.rows["text"].tolist() == ["300 killed this month", "30 buried"]
    assert view.rows["in_window"].tolist() == ["possibly", "inside"]


def test_claims_without_filters_are_all_shown():
    view = claims_beside(CLAIMS, CountFilters(), named_total=0)
    assert len(view.rows) == len(CLAIMS)
    undated = [c for c in view.to_dict()["claims"] if c["source"] == "hrw"]
    assert undated == [{**undated[0], "date": None, "in_window": "inside"}]


def test_read_claims_reports_every_problem(tmp_path):
    good = tmp_path / "claims.csv"
    good.write_text(
        "source,date,place,category,count,text\n"
        "SANA,2012-02-07,Homs,army_security,30,30 buried\n"
        "LCC,2012-02,حمص,killed,300,\n",
        encoding="utf-8",
    )
    claims = read_claims(good)
    assert claims["count"].tolist() == [30, 300]
    assert pd.isna(claims.loc[1, "text"])
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "source,date,place,category,count,text\n"
        ",2012-02-30,Homs,killed,30,x\n"
        "SANA,2012-02-07,Homs,killed,about 30,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InputRejected) as caught:
        read_claims(bad)
    where = {(p.row, p.column) for p in caught.value.problems}
    assert where == {(2, "source"), (2, "date"), (3, "count")}


def test_read_claims_needs_its_columns(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("who,when\nSANA,2012-02-07\n", encoding="utf-8")
    with pytest.raises(InputRejected, match="lacks required columns"):
        read_claims(path)
