"""Places users add: spellings the gazetteer does not know are listed; an import (audited, all
rows or none) adds them, and the next count places those persons."""

from __future__ import annotations

import csv

import pytest

from everyname.core.errors import InputRejected
from everyname.core.places import COLUMNS
from everyname.store.audit import Action
from everyname.store.counting import gazetteer
from everyname.store.imports import import_file
from everyname.store.models import AuditEvent, Record, UserPlace
from everyname.store.places import import_places, unresolved_places

pytestmark = pytest.mark.django_db

LIST = [
    ["name", "governorate", "neighbourhood"],
    ["محمد الخالدي", "حمص", "بابا عمرو"],
    ["Ahmad Sabbagh", "Homs", "Baba Amr"],
    ["Omar Zaidan", "Homs", "Zzyzx Quarter"],
    ["Khaled Zaidan", "Homs", "Zzyzx Quarter"],
    ["سعاد الزين", "حمص", "حي القرموشية"],
    ["Yusuf Ali", "Qarmoushland", ""],
]


def write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def imported(tmp_path, key_file):
    import_file(write(tmp_path / "list.csv", LIST), "lcc-homs", actor="tester")
    return {r.normalised.get("full_name"): str(r.pk) for r in Record.objects.all()}


def test_unresolved_spellings_with_counts_and_example_records(imported):
    found = {(s.field, s.text): s for s in unresolved_places()}
    assert set(found) == {
        ("neighbourhood", "Zzyzx Quarter"),
        ("neighbourhood", "حي القرموشية"),
        ("governorate", "Qarmoushland"),
    }
    zzyzx = found[("neighbourhood", "Zzyzx Quarter")]
    assert zzyzx.records == 2
    assert set(zzyzx.example_record_ids) == {imported["Omar Zaidan"], imported["Khaled Zaidan"]}
    assert unresolved_places()[0] == zzyzx  # the most used first


def test_import_adds_places_and_spellings_used_by_the_next_count(imported, tmp_path):
    before = gazetteer()
    assert before.resolve("Zzyzx Quarter") is None
    places = write(
        tmp_path / "mine.csv",
        [
            list(COLUMNS),
            ["my-zzyzx", "زيزكس", "Zzyzx", "", "neighbourhood", "sy-hi-c-homs", "", ""],
            ["sy-hi-n-babaamr", "", "", "القرموشية|Qarmoushiya", "", "", "", ""],
        ],
    )
    result = import_places(places, actor="tester")
    assert result.rows == 2
    assert result.new_places == ("my-zzyzx",)
    assert result.spellings_added == ("sy-hi-n-babaamr",)
    after = gazetteer()
    assert after.resolve("Zzyzx Quarter").entry.id == "my-zzyzx"  # generic word, as for others
    assert after.resolve("حي القرموشية").entry.id == "sy-hi-n-babaamr"  # article and حي
    assert after.at_level("my-zzyzx", ["governorate"]).id == "sy-hi"
    assert {(s.field, s.text) for s in unresolved_places()} == {("governorate", "Qarmoushland")}
    stored = UserPlace.objects.get(place_id="my-zzyzx")
    assert (stored.file_name, stored.row_number, stored.imported_by) == ("mine.csv", 2, "tester")
    event = AuditEvent.objects.get(action=Action.PLACES_IMPORTED)
    assert event.details["new_places"] == ["my-zzyzx"]
    assert event.details["spellings_added_to"] == ["sy-hi-n-babaamr"]


def test_a_later_import_builds_on_earlier_ones(imported, tmp_path):
    first = write(
        tmp_path / "a.csv",
        [list(COLUMNS), ["my-land", "", "Qarmoushland", "", "governorate", "", "", ""]],
    )
    import_places(first, actor="tester")
    second = write(
        tmp_path / "b.csv",
        [
            list(COLUMNS),
            ["my-town", "", "Qarmoush Town", "", "town", "my-land", "", ""],  # parent from a.csv
            ["my-land", "", "", "Qarmoush Country", "", "", "", ""],  # spellings of a.csv's place
        ],
    )
    import_places(second, actor="tester")
    places = gazetteer()
    assert places.resolve("Qarmoush Country").entry.id == "my-land"
    assert places.at_level("my-town", ["governorate"]).id == "my-land"
    assert unresolved_places() and all(s.field != "governorate" for s in unresolved_places())


def test_a_bad_file_is_refused_whole_naming_row_and_column(imported, tmp_path, snapshot):
    before = snapshot()
    bad = write(
        tmp_path / "bad.csv",
        [
            list(COLUMNS),
            ["my-ok", "", "Fine Place", "", "neighbourhood", "sy-hi-c-homs", "", ""],
            ["my-bad", "", "Bad Place", "", "hamlet", "nowhere", "", ""],
            ["sy-hi", "", "", "Homs again", "city", "", "", ""],
        ],
    )
    with pytest.raises(InputRejected) as caught:
        import_places(bad, actor="tester")
    where = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert where == {
        (str(bad), 3, "level"),
        (str(bad), 3, "parent_id"),
        (str(bad), 4, "level"),
    }
    assert snapshot() == before  # nothing written, no audit entry
    assert gazetteer().resolve("Fine Place") is None
