"""The gazetteer: bundled Syrian starter, resolution in both scripts, user extensions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.errors import InputRejected
from everyname.core.places import COLUMNS, LEVELS, Gazetteer, read_place_rows

# The Homs neighbourhoods recorders name (issue 3), in English and Arabic.
HOMS_NEIGHBOURHOODS = [
    ("sy-hi-n-khalidiya", "al-Khalidiya", "الخالدية"),
    ("sy-hi-n-babaamr", "Baba Amr", "بابا عمرو"),
    ("sy-hi-n-babsebaa", "Bab al-Sebaa", "باب السباع"),
    ("sy-hi-n-inshaat", "al-Inshaat", "الإنشاءات"),
    ("sy-hi-n-karmzeitoun", "Karm al-Zeitoun", "كرم الزيتون"),
    ("sy-hi-n-babhud", "Bab Hud", "باب هود"),
    ("sy-hi-n-waer", "al-Waer", "الوعر"),
    ("sy-hi-n-babtadmur", "Bab Tadmur", "باب تدمر"),
    ("sy-hi-n-jouratshayah", "Jourat al-Shayah", "جورة الشياح"),
    ("sy-hi-n-bayada", "al-Bayada", "البياضة"),
    ("sy-hi-n-deirbaalba", "Deir Baalba", "دير بعلبة"),
    ("sy-hi-n-qusour", "al-Qusour", "القصور"),
    ("sy-hi-n-ghouta", "al-Ghouta", "الغوطة"),
    ("sy-hi-n-hamidiya", "Hamidiya", "الحميدية"),
    ("sy-hi-n-babdreib", "Bab al-Dreib", "باب الدريب"),
    ("sy-hi-n-karmloz", "Karm al-Loz", "كرم اللوز"),
    ("sy-hi-n-karmshamsham", "Karm Shamsham", "كرم شمشم"),
    ("sy-hi-n-wadisayeh", "Wadi al-Sayeh", "وادي السايح"),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.mark.parametrize(("place_id", "english", "arabic"), HOMS_NEIGHBOURHOODS)
def test_homs_neighbourhoods_resolve_in_both_scripts(
    gazetteer: Gazetteer, place_id: str, english: str, arabic: str
) -> None:
    for text in (english, arabic, f"حي {arabic}", f"{english} neighbourhood", english.upper()):
        match = gazetteer.resolve(text, within="sy-hi")  # a Homs list, or a Homs record
        assert match is not None and match.entry.id == place_id, text
        assert match.confidence >= 0.9
        for with_city in (f"{text}, Homs", f"حمص - {text}"):
            match = gazetteer.resolve(with_city)
            assert match is not None and match.entry.id == place_id, with_city
        # Without context the name resolves to this entry, or, when another place has the
        # same name (al-Ghouta near Damascus), says so and lists this entry as an alternative.
        match = gazetteer.resolve(text)
        assert match is not None
        assert match.entry.id == place_id or (
            place_id in match.alternatives and match.confidence < 0.9
        )
    assert gazetteer.get(place_id).parent_id == "sy-hi-c-homs"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Khaldiyeh", "sy-hi-n-khalidiya"),
        ("Khaledeyeh", "sy-hi-n-khalidiya"),
        ("el-Khalidiyeh", "sy-hi-n-khalidiya"),
        ("Karm ez-Zaytoon", "sy-hi-n-karmzeitoun"),
        ("Baba Amr, Homs", "sy-hi-n-babaamr"),
        ("Homs/Baba Amr", "sy-hi-n-babaamr"),
        ("حمص - بابا عمرو", "sy-hi-n-babaamr"),
        ("الخالدية، حمص", "sy-hi-n-khalidiya"),
        ("Homs: Qusair: Dabaa", "sy-hi-c-dabaa"),
        ("Damascus Suburbs: Yabrud", "sy-rd-d-yabroud"),  # the district contains the town
        ("Jobar, Damascus", "sy-di-n-jobar"),
        ("Jobar, Homs", "sy-hi-n-jobar"),
        ("Idleb", "sy-id"),
        ("محافظة حمص", "sy-hi"),
    ],
)
def test_spelling_variants_and_parent_context(
    gazetteer: Gazetteer, text: str, expected: str
) -> None:
    match = gazetteer.resolve(text)
    assert match is not None and match.entry.id == expected


def test_one_name_for_a_place_and_its_parents(gazetteer: Gazetteer) -> None:
    # "Homs" is a governorate, a district and a city: the broadest contains whichever was meant.
    assert gazetteer.resolve("Homs").entry.id == "sy-hi"  # type: ignore[union-attr]
    assert gazetteer.resolve("Homs", level="city").entry.id == "sy-hi-c-homs"  # type: ignore[union-attr]
    assert gazetteer.resolve("حمص", level="governorate").entry.id == "sy-hi"  # type: ignore[union-attr]


def test_ambiguous_names_say_so_and_a_parent_settles_them(gazetteer: Gazetteer) -> None:
    match = gazetteer.resolve("Jobar")
    assert match is not None and match.confidence < 0.9 and match.alternatives
    settled = gazetteer.resolve("Jobar", within="sy-hi")
    assert settled is not None and settled.entry.id == "sy-hi-n-jobar"
    assert settled.confidence == 1.0 and not settled.alternatives


def test_unknown_places_stay_unresolved_and_are_reported(gazetteer: Gazetteer) -> None:
    assert gazetteer.resolve("Atlantis") is None
    assert gazetteer.resolve("") is None and gazetteer.resolve(None) is None
    report = gazetteer.resolve_all(["Baba Amr", "Atlantis", "Atlantis", "باب هود", None])
    assert set(report.resolved) == {"Baba Amr", "باب هود"}
    assert report.unresolved == {"Atlantis": 2}


def test_bundled_gazetteer_shape(gazetteer: Gazetteer) -> None:
    governorates = [p for p in gazetteer if p.level == "governorate"]
    assert len(governorates) == 14
    assert all(p.parent_id is None for p in governorates)
    for place in gazetteer:
        assert place.level in LEVELS
        assert place.name_ar and place.name_en
        if place.level == "district":
            assert gazetteer.get(place.parent_id).level == "governorate"  # type: ignore[arg-type]
        if place.latitude is not None:  # within Syria's bounding box
            assert 32.3 <= place.latitude <= 37.4 and 35.6 <= place.longitude <= 42.4  # type: ignore[operator]
    districts_per_governorate = {g.id: 0 for g in governorates}
    for place in gazetteer:
        if place.level == "district":
            districts_per_governorate[place.parent_id] += 1  # type: ignore[index]
    # Damascus governorate is the city itself; every other one has its districts.
    assert all(n >= 2 for g, n in districts_per_governorate.items() if g != "sy-di")


def test_ancestors_and_descendants(gazetteer: Gazetteer) -> None:
    assert [p.id for p in gazetteer.ancestors("sy-hi-n-babaamr")] == [
        "sy-hi-c-homs",
        "sy-hi-d-homs",
        "sy-hi",
    ]
    below_homs = {p.id for p in gazetteer.descendants("sy-hi")}
    assert {pid for pid, _, _ in HOMS_NEIGHBOURHOODS} <= below_homs
    assert "sy-hi" not in below_homs and "sy-di-n-jobar" not in below_homs
    assert gazetteer.descendants("sy-hi-n-babaamr") == []


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "name_ar",
                "name_en",
                "alternates",
                "level",
                "parent_id",
                "latitude",
                "longitude",
            ]
        )
        writer.writerows(rows)
    return path


def test_users_extend_the_gazetteer(tmp_path: Path) -> None:
    extra = _write(
        tmp_path / "mine.csv",
        [
            ["my-street", "شارع الحضارة", "Hadara Street", "Hadara|Al-Hadara", "neighbourhood",
             "sy-hi-c-homs", "", ""],
            ["my-village", "قرية المثال", "Mithal", "", "village", "sy-hi-d-homs", "34.7", "36.6"],
        ],
    )  # fmt: skip
    gazetteer = Gazetteer.load(extra_csv=extra)
    match = gazetteer.resolve("Hadara, Homs")
    assert match is not None and match.entry.id == "my-street"
    assert gazetteer.resolve("شارع الحضارة").entry.id == "my-street"  # type: ignore[union-attr]
    assert "my-village" in {p.id for p in gazetteer.descendants("sy-hi")}
    assert gazetteer.get("my-village").latitude == 34.7


def test_bad_user_file_names_file_row_and_column(tmp_path: Path) -> None:
    extra = _write(
        tmp_path / "bad.csv",
        [
            ["sy-hi", "حمص", "Homs again", "", "city", "", "", ""],  # a known id: spellings only
            ["a", "", "Alpha", "", "city", "nowhere", "", ""],
            ["b", "", "Beta", "", "hamlet", "sy-hi", "95", "x"],
            ["b", "", "Beta twice", "", "city", "sy-hi", "", ""],
            ["", "", "No id", "", "city", "sy-hi", "", ""],
            ["c1", "", "Loop one", "", "city", "c2", "", ""],
            ["c2", "", "Loop two", "", "city", "c1", "", ""],
        ],
    )
    with pytest.raises(InputRejected) as caught:
        Gazetteer.load(extra_csv=extra)
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert {(2, "level"), (3, "parent_id"), (4, "level"), (4, "latitude"), (4, "longitude"),
            (5, "id"), (6, "id"), (7, "parent_id"), (8, "parent_id")} <= problems  # fmt: skip
    assert all(p.file == str(extra) for p in caught.value.problems)
    assert "bad.csv" in str(caught.value) and "row 3" in str(caught.value)


def test_a_known_id_adds_spellings_and_cannot_move_the_entry(tmp_path: Path) -> None:
    extra = _write(
        tmp_path / "spellings.csv",
        [
            ["sy-hi-n-babaamr", "", "Qarmoush Quarter", "قرموش", "", "", "", ""],
            ["sy-hi-n-babaamr", "", "", "Zarzouriyeh", "neighbourhood", "sy-hi-c-homs", "", ""],
        ],
    )  # fmt: skip
    before = Gazetteer.load()
    assert before.resolve("Qarmoush") is None and before.resolve("Zarzouriyeh") is None
    gazetteer = Gazetteer.load(extra_csv=extra)
    assert len(gazetteer) == len(before)  # no new entry, only spellings
    for text in ("Qarmoush", "al-Qarmoush", "حي القرموش", "Zarzouriyeh, Homs", "قرموش"):
        match = gazetteer.resolve(text)
        assert match is not None and match.entry.id == "sy-hi-n-babaamr", text
    entry = gazetteer.get("sy-hi-n-babaamr")
    assert entry.level == "neighbourhood" and entry.parent_id == "sy-hi-c-homs"
    moved = _write(
        tmp_path / "moved.csv",
        [["sy-hi-n-babaamr", "", "", "Qarmoush", "village", "sy-id", "12", ""]],
    )
    with pytest.raises(InputRejected) as caught:
        Gazetteer.load(extra_csv=moved)
    assert {(p.row, p.column) for p in caught.value.problems} == {
        (2, "level"),
        (2, "parent_id"),
        (2, "latitude"),
    }
    assert "only adds spellings" in str(caught.value)


def test_rows_kept_elsewhere_extend_like_a_file() -> None:
    rows = [
        {
            "id": "my-n",
            "name_en": "Wadi Foo",
            "level": "neighbourhood",
            "parent_id": "sy-hi-c-homs",
        },
        {"id": "sy-hi", "alternates": "Homsy"},
    ]
    gazetteer = Gazetteer.load(extra_batches=[("kept.csv", rows)])
    assert gazetteer.resolve("Wadi Foo, Homs").entry.id == "my-n"  # type: ignore[union-attr]
    assert gazetteer.at_level("my-n", ["governorate"]).id == "sy-hi"  # type: ignore[union-attr]
    assert gazetteer.resolve("Homsy").entry.id == "sy-hi"  # type: ignore[union-attr]
    with pytest.raises(InputRejected, match=r"kept\.csv, row 2, column 'level'"):
        Gazetteer.load(extra_batches=[("kept.csv", [{"id": "x", "name_en": "X", "level": "a"}])])


def test_missing_columns_and_unreadable_file(tmp_path: Path) -> None:
    headerless = tmp_path / "wrong.csv"
    headerless.write_text("name,place\nx,y\n", encoding="utf-8")
    with pytest.raises(InputRejected, match=r"wrong\.csv"):
        Gazetteer.load(extra_csv=headerless)
    with pytest.raises(InputRejected, match=r"missing\.csv"):
        Gazetteer.load(extra_csv=tmp_path / "missing.csv")


def test_real_vdc_places_resolve(gazetteer: Gazetteer, shared_data: Path) -> None:
    """VDC's provinces all resolve; most of the Homs areas recorders wrote resolve in Homs."""
    path = shared_data / "real" / "syria_vdc" / "vdc_martyrs_sample_scraped_2019.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    provinces = gazetteer.resolve_all((r["Province"] for r in rows), level="governorate")
    assert set(provinces.unresolved) <= {"Other Nationalities", "Unknown"}
    assert {m.entry.level for m in provinces.resolved.values()} == {"governorate"}
    areas = [r["Area \\ Place of birth"] for r in rows if r["Province"] == "Homs"]
    areas = [a for a in areas if a.strip()]
    report = gazetteer.resolve_all(areas, within="sy-hi")
    resolved = [a for a in areas if a in report.resolved]
    in_homs = [a for a in resolved if report.resolved[a].entry.id.startswith("sy-hi")]
    assert len(resolved) / len(areas) >= 0.9
    assert len(in_homs) / len(resolved) >= 0.98
    # Every province: the starter has main towns only, so fewer resolve, and those that do
    # are almost all inside the record's province.
    total = found = inside = 0
    for province in {r["Province"] for r in rows} - {"Other Nationalities", "Unknown", ""}:
        governorate = gazetteer.resolve(province, level="governorate")
        assert governorate is not None
        texts = [r["Area \\ Place of birth"] for r in rows if r["Province"] == province]
        texts = [t for t in texts if t.strip()]
        report = gazetteer.resolve_all(texts, within=governorate.entry.id)
        total += len(texts)
        for t in texts:
            if t in report.resolved:
                found += 1
                inside += report.resolved[t].entry.id.startswith(governorate.entry.id)
    assert found / total >= 0.7 and inside / found >= 0.95


@given(st.text(max_size=60))
def test_resolve_never_raises(text: str) -> None:
    match = GAZETTEER.resolve(text)
    assert match is None or 0.0 < match.confidence <= 1.0


GAZETTEER = Gazetteer.load()


def test_a_records_fields_resolve_together(gazetteer: Gazetteer) -> None:
    record = gazetteer.resolve_record(
        {"governorate": "حمص", "locality": "حمص", "neighbourhood": "كرم الزيتون"}
    )
    assert record.place is not None and record.place.entry.id == "sy-hi-n-karmzeitoun"
    assert set(record.by_field) == {"governorate", "locality", "neighbourhood"}
    assert not record.unresolved and not record.conflicts
    # The governorate settles an ambiguous neighbourhood name.
    jobar = gazetteer.resolve_record({"governorate": "Homs", "neighbourhood": "Jobar"})
    assert jobar.place is not None and jobar.place.entry.id == "sy-hi-n-jobar"
    # What names no known place stays as text; a place outside its governorate is flagged.
    partial = gazetteer.resolve_record({"governorate": "Homs", "locality": "Atlantis"})
    assert partial.place.entry.id == "sy-hi" and partial.unresolved == {"locality": "Atlantis"}  # type: ignore[union-attr]
    odd = gazetteer.resolve_record({"governorate": "Damascus", "neighbourhood": "Baba Amr"})
    assert odd.place.entry.id == "sy-hi-n-babaamr" and odd.conflicts == ("neighbourhood",)  # type: ignore[union-attr]
    assert gazetteer.resolve_record({}).place is None


def test_demo_lists_places_resolve(gazetteer: Gazetteer, tmp_path: Path) -> None:
    """The demo generator writes Homs places the way recorders do, in both scripts."""
    from everyname.core.demo import generate_demo
    from everyname.core.ingest import open_source

    manifest = generate_demo(tmp_path / "demo")
    fields = ("governorate", "district", "locality", "neighbourhood", "place")
    resolved = total = 0
    for demo_file in manifest.files:
        with open_source(demo_file.path, demo_file.mapping) as source:
            for record in source.records():
                places = {k: record.as_written.get(k) for k in fields}
                if not any(places.values()):
                    continue
                total += 1
                match = gazetteer.resolve_record(places)
                resolved += match.place is not None and not match.unresolved
                assert not match.conflicts
    assert total > 500 and resolved / total >= 0.99


_BUNDLED = list(Gazetteer.load())
_CELL = st.one_of(
    st.sampled_from(["", "sy-hi", "sy-hi-c-homs", "sy-hi-n-babaamr", "my-1", "my-2", *LEVELS]),
    st.sampled_from(["34.7", "95", "x", "Baba Amr|بابا عمرو", "حي جديد"]),
    st.text(max_size=12),
)


@given(st.lists(st.fixed_dictionaries({c: _CELL for c in COLUMNS}), max_size=6))
def test_user_rows_are_accepted_or_refused_with_every_problem_located(rows) -> None:
    """Whatever a user's rows hold, they either extend the gazetteer (every new id an entry,
    every known id gaining spellings) or are refused naming a row and a column each time."""
    try:
        additions = read_place_rows(rows, "mine.csv", _BUNDLED)
    except InputRejected as refused:
        assert refused.problems
        for problem in refused.problems:
            assert problem.file == "mine.csv"
            assert problem.row is not None and 2 <= problem.row <= len(rows) + 1
            assert problem.column in COLUMNS
        return
    known = {p.id for p in _BUNDLED}
    assert {p.id for p in additions.entries}.isdisjoint(known)
    assert set(additions.spellings) <= known
    gazetteer = Gazetteer(additions.apply(_BUNDLED))
    for entry in additions.entries:
        assert entry.level in LEVELS and gazetteer.get(entry.id) == entry
    for place_id, spellings in additions.spellings.items():
        assert set(spellings) <= set(gazetteer.get(place_id).names())


def test_a_user_file_in_the_arabic_windows_code_page_is_read(tmp_path: Path) -> None:
    extra = tmp_path / "excel.csv"
    text = ",".join(COLUMNS) + "\nmy-n,حي الزهور الجديد,,,neighbourhood,sy-hi-c-homs,,\n"
    extra.write_bytes(text.encode("cp1256"))
    gazetteer = Gazetteer.load(extra_csv=extra)
    assert gazetteer.get("my-n").name_ar == "حي الزهور الجديد"
    assert gazetteer.resolve("الزهور الجديد").entry.id == "my-n"  # type: ignore[union-attr]
