"""Public releases: allow-listed fields, withheld names, checksums, and the change log."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from everyname.core.release import ReleaseError, compare_releases, public_persons, write_release

WHEN = datetime(2012, 3, 1, tzinfo=UTC)


def _persons(rows):
    columns = ["person_id", "full_name", "age_group", "age_years", "date_of_death", "status"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["national_id"] = "NID-SECRET-" + frame["person_id"]
    frame["reporter_name"] = "Reporter Secret"
    frame["reporter_contact"] = "+963-SECRET"
    frame["source_contact"] = "contact@secret.example"
    return frame


V1 = _persons(
    [
        ("A", "Ahmad", "adult", 30.0, "2012-02-03", "civilian"),
        ("B", "Bilal", "child", 9.0, "2012-02-04", "civilian"),
        ("C", "Camal", "adult", None, "2012-02", "unknown"),
        ("D", "Dana", "adult", 40.0, "2012-02-05", "civilian"),
        ("E", "Eyad", "adult", 22.0, "2012-02-06", "combatant"),
    ]
)
R1 = pd.DataFrame(
    [
        ("A", "1", "s1"),
        ("B", "2", "s1"),
        ("B", "3", "s2"),
        ("C", "4", "s2"),
        ("D", "5", "s1"),
        ("E", "6", "s3"),
        ("E", "7", "s3"),
    ],
    columns=["person_id", "record_id", "source"],
)


def test_release_holds_only_public_fields(tmp_path):
    manifest = write_release(tmp_path, V1, R1, link_run="run-1", created_at=WHEN)
    assert manifest.version == 1 and manifest.folder == tmp_path / "v1"
    blob = b"".join(p.read_bytes() for p in manifest.folder.iterdir())
    for secret in (b"SECRET", b"Reporter", b"contact@", b"+963"):
        assert secret not in blob
    persons = pd.read_csv(manifest.folder / "persons.csv", dtype=str, keep_default_na=False)
    assert "national_id" not in persons.columns
    assert persons["age_years"].tolist() == ["30", "9", "", "40", "22"]
    assert persons.set_index("person_id").loc["B", "grade"] == "confirmed"
    assert persons.set_index("person_id").loc["E", "independent_sources"] == "1"


def test_checksums_match_the_files(tmp_path):
    manifest = write_release(tmp_path, V1, R1, link_run="run-1", created_at=WHEN)
    lines = (manifest.folder / "SHA256SUMS").read_text().splitlines()
    listed = {line.split("  ")[1]: line.split("  ")[0] for line in lines}
    on_disk = {p.name for p in manifest.folder.iterdir()} - {"SHA256SUMS"}
    assert set(listed) == on_disk
    assert {"persons.csv", "persons.json", "records.csv", "METHODOLOGY.md", "CHANGES.md"} <= on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((manifest.folder / name).read_bytes()).hexdigest() == digest
    data = json.loads((manifest.folder / "manifest.json").read_text())
    assert data["version"] == 1 and data["link_run"] == "run-1" and data["persons"] == 5


@pytest.mark.parametrize(
    ("withhold", "blank"), [("none", set()), ("children", {"B"}), ("all", set("ABCDE"))]
)
def test_withholding_names(tmp_path, withhold, blank):
    table = public_persons(V1, R1, withhold=withhold)
    names = dict(zip(table["person_id"], table["full_name"], strict=True))
    assert {p for p, n in names.items() if n == ""} == blank
    assert set(table.loc[table["name_withheld"] != "", "person_id"]) == blank
    assert len(table) == 5  # withheld persons stay in the list
    if withhold == "children":
        manifest = write_release(tmp_path, V1, R1, link_run="r", withhold=withhold)
        assert "Bilal" not in (manifest.folder / "persons.csv").read_text("utf-8-sig")
        assert (
            "Names of persons recorded as children"
            in (manifest.folder / "METHODOLOGY.md").read_text()
        )


def test_bad_withhold_choice():
    with pytest.raises(ReleaseError, match="expected one of none, children, all"):
        public_persons(V1, R1, withhold="kids")


def test_change_log_tells_merged_from_removed(tmp_path):
    write_release(tmp_path, V1, R1, link_run="run-1", created_at=WHEN)
    # v2: C merged into A (C's record 4 now in A); D removed (record 5 withdrawn);
    # E split (record 7 is a different person F); B's date corrected; G new.
    v2 = _persons(
        [
            ("A", "Ahmad", "adult", 30.0, "2012-02-03", "civilian"),
            ("B", "Bilal", "child", 9.0, "2012-02-05", "civilian"),
            ("E", "Eyad", "adult", 22.0, "2012-02-06", "combatant"),
            ("F", "Fadi", "adult", 25.0, "2012-02-06", "combatant"),
            ("G", "Ghada", "adult", 50.0, "2012-02-07", "civilian"),
        ]
    )
    r2 = pd.DataFrame(
        [
            ("A", "1", "s1"),
            ("A", "4", "s2"),
            ("B", "2", "s1"),
            ("B", "3", "s2"),
            ("E", "6", "s3"),
            ("F", "7", "s3"),
            ("G", "8", "s1"),
        ],
        columns=["person_id", "record_id", "source"],
    )
    manifest = write_release(tmp_path, v2, r2, link_run="run-2", created_at=WHEN)
    assert manifest.version == 2 and manifest.previous_version == 1
    changes = pd.read_csv(manifest.folder / "changes.csv", dtype=str, keep_default_na=False)
    got = {(r.change, r.person_id, r.related_person_ids, r.fields) for r in changes.itertuples()}
    assert got == {
        ("merged", "C", "A", ""),
        ("removed", "D", "", ""),
        ("split", "F", "E", ""),
        ("added", "G", "", ""),
        ("corrected", "B", "", "date_of_death"),
        ("corrected", "A", "", "independent_sources;grade"),  # A now also named by s2
    }
    assert manifest.changes == {"added": 1, "removed": 1, "merged": 1, "split": 1, "corrected": 2}
    text = (manifest.folder / "CHANGES.md").read_text()
    assert "# Changes against v1" in text and "- C into A" in text


def test_two_old_persons_merged_into_a_new_id_is_not_an_addition():
    old = pd.DataFrame({"person_id": ["X", "Y"], "v": ["1", "1"]})
    old_r = pd.DataFrame({"person_id": ["X", "Y"], "record_id": ["1", "2"]})
    new = pd.DataFrame({"person_id": ["Z"], "v": ["1"]})
    new_r = pd.DataFrame({"person_id": ["Z", "Z"], "record_id": ["1", "2"]})
    kinds = {(c.kind, c.person_id, c.related) for c in compare_releases(old, old_r, new, new_r)}
    assert kinds == {("merged", "X", ("Z",)), ("merged", "Y", ("Z",))}


def test_releases_are_never_overwritten(tmp_path):
    write_release(tmp_path, V1, R1, link_run="run-1")
    second = write_release(tmp_path, V1, R1, link_run="run-1")
    assert second.version == 2 and (tmp_path / "v1" / "persons.csv").exists()
    assert sum(second.changes.values()) == 0


def test_places_are_published_as_gazetteer_places(tmp_path):
    from everyname.core.places import Gazetteer

    gazetteer = Gazetteer.load()
    persons = V1.assign(
        governorate=["حمص", "Homs", None, "Homs", None],
        neighbourhood=["بابا عمرو", "Baba Amr", "Zzyzx Quarter", None, None],
    )
    manifest = write_release(tmp_path, persons, R1, link_run="run-1", created_at=WHEN,
                             gazetteer=gazetteer)  # fmt: skip
    folder = manifest.folder
    read = {"dtype": str, "keep_default_na": False, "encoding": "utf-8-sig"}
    table = pd.read_csv(folder / "persons.csv", **read).set_index("person_id")
    homs, baba_amr = gazetteer.resolve("Homs").entry.id, gazetteer.resolve("Baba Amr").entry.id
    assert table["governorate"].tolist() == ["حمص", "Homs", "", "Homs", ""]  # as written
    assert table["governorate_id"].tolist() == [homs, homs, "unresolved", homs, "unknown"]
    assert table["neighbourhood_id"].tolist() == [baba_amr, baba_amr, "unresolved", "unknown",
                                                  "unknown"]  # fmt: skip
    assert table.loc["A", "place_id"] == baba_amr and table.loc["D", "place_id"] == homs
    places = pd.read_csv(folder / "places.csv", **read).set_index("place_id")
    assert places.loc[baba_amr, "name_ar"] == "بابا عمرو"
    assert places.loc[homs, "name_en"] == "Homs"  # every place's parents are named too
    counts = pd.read_csv(folder / "counts_by_place.csv", **read)
    neighbourhoods = counts[counts["level"] == "neighbourhood"]
    assert neighbourhoods["place_id"].tolist() == [baba_amr, "unresolved", "unknown"]
    assert neighbourhoods["persons"].tolist() == ["2", "1", "2"]
    governorates = counts[counts["level"] == "governorate"].set_index("place_id")
    assert governorates.loc[homs, ["name_en", "name_ar", "persons"]].tolist() == ["Homs", "حمص",
                                                                                   "3"]  # fmt: skip
    assert "## Places" in (folder / "METHODOLOGY.md").read_text("utf-8")
    sums = (folder / "SHA256SUMS").read_text("ascii")
    assert "places.csv" in sums and "counts_by_place.csv" in sums
