"""The Homs demo lists: reproducible, overlapping, messy as real lists are, fully labelled."""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from everyname.core.demo import (
    DemoManifest,
    ManifestError,
    generate_demo,
    load_manifest,
    read_ground_truth,
    write_manifest,
)
from everyname.core.demo.generator import CLAIMS_COLUMNS, GROUND_TRUTH_COLUMNS, DemoError
from everyname.core.demo.tables import labels
from everyname.core.demo.writers import FIXED_TIME

SOURCE_CODES = {"lcc_homs", "fh_babaamr", "fh_khalidiya", "nb_oldcity", "ngo_national"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return generate_demo(tmp_path_factory.mktemp("demo"))


def read_table(path: Path, encoding: str | None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a demo file as text, whatever its format (blank cells as "")."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    else:
        assert encoding is not None
        with path.open(encoding=encoding, newline="") as handle:
            rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def tables(manifest: DemoManifest) -> dict[str, tuple[list[str], list[list[str]]]]:
    return {f.source_code: read_table(f.path, f.encoding) for f in manifest.files}


def persons_truth(manifest: DemoManifest) -> list[dict[str, str]]:
    with manifest.persons_truth.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- reproducibility -------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", seed=7, n_victims=120)
    second = generate_demo(tmp_path / "b", seed=7, n_victims=120)
    names = sorted(p.name for p in first.out_dir.iterdir())
    assert names == sorted(p.name for p in second.out_dir.iterdir())
    assert "baba_amr_field_hospital.xlsx" in names
    for name in names:
        assert (first.out_dir / name).read_bytes() == (second.out_dir / name).read_bytes(), name


def test_another_seed_gives_other_lists(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", seed=1, n_victims=120)
    second = generate_demo(tmp_path / "b", seed=2, n_victims=120)
    for a, b in zip(first.files, second.files, strict=True):
        assert a.path.read_bytes() != b.path.read_bytes()


def test_xlsx_carries_no_clock_time(demo: DemoManifest) -> None:
    """Zip entry dates and the document's created/modified times are fixed, not 'now'."""
    path = demo.file("fh_babaamr").path
    with zipfile.ZipFile(path) as archive:
        assert {info.date_time for info in archive.infolist()} == {FIXED_TIME.timetuple()[:6]}
        core = archive.read("docProps/core.xml").decode()
    assert core.count(FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%S")) == 2  # created and modified
    props = openpyxl.load_workbook(path).properties
    assert props.created == FIXED_TIME and props.modified == FIXED_TIME


# --- the files -------------------------------------------------------------------------------


def test_five_sources_of_the_kinds_described(demo: DemoManifest) -> None:
    assert {f.source_code for f in demo.files} == SOURCE_CODES
    kinds = Counter(f.source_kind for f in demo.files)
    assert kinds == {"field_hospital": 2, "local_committee": 1, "neighbourhood_list": 1, "ngo": 1}
    assert {f.format for f in demo.files} == {"csv", "xlsx"}
    assert all(f.path.is_file() and f.path.parent == demo.out_dir for f in demo.files)


def test_encodings_are_as_declared(demo: DemoManifest) -> None:
    raw = {f.source_code: f.path.read_bytes() for f in demo.files}
    cp1256 = raw["fh_khalidiya"]
    with pytest.raises(UnicodeDecodeError):
        cp1256.decode("utf-8")
    assert "الاسم" in cp1256.decode("cp1256").splitlines()[0]
    assert b"\r\n" in cp1256  # written on Windows
    assert raw["lcc_homs"].startswith(b"\xef\xbb\xbf")
    for code in ("nb_oldcity", "ngo_national"):
        assert not raw[code].startswith(b"\xef\xbb\xbf")
        raw[code].decode("utf-8")
    assert raw["fh_babaamr"].startswith(b"PK")


def test_xlsx_opens_with_typed_cells(demo: DemoManifest) -> None:
    sheet = openpyxl.load_workbook(demo.file("fh_babaamr").path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("الرقم", "الاسم الأول", "اسم الأب", "اسم الجد", "الكنية")
    cells = [v for row in rows[1:] for v in row]
    assert any(isinstance(v, datetime) for v in cells)
    assert any(isinstance(v, int) for v in cells)
    assert len(rows) - 1 == demo.file("fh_babaamr").records


def test_arabic_and_latin_sources(demo: DemoManifest) -> None:
    for code, (header, rows) in tables(demo).items():
        names = " ".join(row[1] for row in rows)
        arabic = sum("\u0600" <= ch <= "\u06ff" for ch in names)
        latin = sum(ch.isascii() and ch.isalpha() for ch in names)
        if demo.file(code).script == "arabic":
            assert arabic > 10 * latin, code
            assert any("\u0600" <= ch <= "\u06ff" for ch in "".join(header))
        else:
            assert latin > 10 * arabic, code
            assert all(h.isascii() for h in header)


def test_split_name_layouts_exist(demo: DemoManifest) -> None:
    headers = {code: header for code, (header, _) in tables(demo).items()}
    assert {"الاسم الأول", "اسم الأب", "اسم الجد", "الكنية"} <= set(headers["fh_babaamr"])
    assert {"first name", "father", "family"} <= set(headers["nb_oldcity"])
    assert "الاسم الكامل" in headers["lcc_homs"] and "full name" in headers["ngo_national"]


def test_every_file_has_an_id_column_with_unique_ids(demo: DemoManifest) -> None:
    for code, (_, rows) in tables(demo).items():
        ids = [row[0] for row in rows]
        assert all(ids), code
        assert len(set(ids)) == len(ids), code


def test_every_optional_column_has_missing_or_unknown_values(demo: DemoManifest) -> None:
    unknown = {t for (_, v), (ar, en) in labels().items() if v == "unknown" for t in ar + en}
    for code, (header, rows) in tables(demo).items():
        for col, name in enumerate(header[2:], start=2):
            missing = sum(1 for row in rows if row[col] in ("", *unknown))
            assert missing >= 1, f"{code}: column {name!r} is never missing"


def test_transliterations_vary(demo: DemoManifest) -> None:
    latin = " ".join(
        " ".join(row[1:4]) for code, (_, rows) in tables(demo).items() for row in rows
        if demo.file(code).script == "latin"
    )  # fmt: skip
    spellings = {
        w for w in ("Mohammed", "Muhammad", "Mohamad", "Mohamed", "Mohammad") if w in latin
    }
    assert len(spellings) >= 3
    articles = {a for a in ("al-", "el-", "Al ", "El-") if a in latin}
    assert len(articles) >= 3


def test_partial_dates_arabic_digits_and_age_forms(demo: DemoManifest) -> None:
    cells = Counter()
    for _, (_, rows) in tables(demo).items():
        for row in rows:
            for value in row:
                if value == "2012-02":
                    cells["partial"] += 1
                if any("٠" <= ch <= "٩" for ch in value):
                    cells["indic"] += 1
                if value.endswith(("months", "أشهر")):
                    cells["months"] += 1
                if value.endswith("0s"):
                    cells["decade"] += 1
    assert cells["partial"] >= 5 and cells["indic"] >= 5
    assert cells["months"] >= 1 and cells["decade"] >= 1


# --- ground truth and design -----------------------------------------------------------------


def test_ground_truth_covers_every_record(demo: DemoManifest) -> None:
    truth = read_ground_truth(demo)
    assert list(truth[0]) == list(GROUND_TRUTH_COLUMNS)
    by_file = defaultdict(dict)
    for t in truth:
        by_file[t["file"]][t["source_record_id"]] = t
    for f in demo.files:
        _, rows = read_table(f.path, f.encoding)
        assert len(by_file[f.path.name]) == len(rows) == f.records
        for number, row in enumerate(rows, start=2):
            t = by_file[f.path.name][row[0]]
            assert t["source"] == f.source_code and int(t["row"]) == number
    assert len(truth) == demo.records
    persons = {t["person_id"] for t in truth}
    assert len(persons) == demo.named_persons


def test_population_includes_victims_no_list_names(demo: DemoManifest) -> None:
    people = persons_truth(demo)
    assert len(people) == demo.true_population == 300
    unnamed = [p for p in people if not p["sources"]]
    assert 0 < len(unnamed) == demo.true_population - demo.named_persons
    assert demo.named_persons < demo.records


def test_capture_histories_are_those_of_the_named_victims(demo: DemoManifest) -> None:
    with demo.histories.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    codes = [f.source_code for f in demo.files]
    assert list(rows[0]) == [*codes, "count"]
    assert sum(int(r["count"]) for r in rows) == demo.named_persons
    for f in demo.files:
        assert sum(int(r["count"]) for r in rows if r[f.source_code] == "1") == f.persons
    assert all(any(r[c] == "1" for c in codes) for r in rows)


def test_per_source_counts_match_the_capture_model(demo: DemoManifest) -> None:
    """Each list names about as many victims as its capture probabilities imply."""
    truth = read_ground_truth(demo)
    for f in demo.files:
        persons = {t["person_id"] for t in truth if t["source"] == f.source_code}
        assert len(persons) == f.persons
        assert abs(f.persons - f.expected_persons) <= 4 * math.sqrt(f.expected_persons)
        assert 40 <= f.persons <= 200, f.source_code


def test_every_pair_of_sources_overlaps(demo: DemoManifest) -> None:
    named: dict[str, set[str]] = defaultdict(set)
    for t in read_ground_truth(demo):
        named[t["source"]].add(t["person_id"])
    for a, b in itertools.combinations(sorted(named), 2):
        assert len(named[a] & named[b]) >= 5, (a, b)
    everywhere = set.intersection(*named.values())
    assert len(everywhere) < len(set.union(*named.values())) / 5  # overlap is partial


def test_lists_name_some_victims_twice(demo: DemoManifest) -> None:
    truth = read_ground_truth(demo)
    twice = Counter((t["source"], t["person_id"]) for t in truth)
    repeated = Counter(source for (source, _), n in twice.items() if n > 1)
    assert repeated["lcc_homs"] >= 2 and repeated["ngo_national"] >= 2
    assert repeated["nb_oldcity"] == 0


def test_namesakes_share_names_but_not_identity(demo: DemoManifest) -> None:
    """Siblings and cousins: different people with the same father, grandfather, family."""
    people = persons_truth(demo)
    parts = ("given_arabic", "father_arabic", "grandfather_arabic", "family_arabic")
    assert all(" ".join(p[k] for k in parts) == p["name_arabic"] for p in people)
    siblings = Counter(
        (p["father_arabic"], p["grandfather_arabic"], p["family_arabic"]) for p in people
    )
    assert sum(1 for n in siblings.values() if n >= 2) >= 3
    namesakes = Counter((p["given_arabic"], p["family_arabic"]) for p in people)
    assert sum(1 for n in namesakes.values() if n >= 2) >= 2
    compounds = {p["given_arabic"] for p in people if " " in p["given_arabic"]}
    assert compounds & {"عبد الرحمن", "عبد الله", "نور الدين", "محمد نور", "عبد القادر"}


def test_children_share_and_hospital_heterogeneity(demo: DemoManifest) -> None:
    people = persons_truth(demo)
    children = [p for p in people if p["age_group"] == "child"]
    assert 0.08 <= len(children) / len(people) <= 0.20
    by_source: dict[str, list[bool]] = defaultdict(list)
    for p in people:
        for code in filter(None, p["sources"].split(";")):
            by_source[code].append(p["age_group"] == "child")
    hospital = by_source["fh_babaamr"] + by_source["fh_khalidiya"]
    others = by_source["lcc_homs"] + by_source["ngo_national"]
    assert sum(hospital) / len(hospital) > sum(others) / len(others)


def test_mostly_civilians_with_some_combatants(demo: DemoManifest) -> None:
    status = Counter(p["status"] for p in persons_truth(demo))
    assert status["civilian"] > 0.8 * sum(status.values())
    assert status["combatant"] >= 5
    causes = Counter(p["cause"] for p in persons_truth(demo))
    assert causes.most_common(1)[0][0] == "shelling"
    assert {"sniper", "shooting", "explosion", "unknown"} <= set(causes)


def test_sources_disagree_on_some_victims_status(demo: DemoManifest) -> None:
    status_of = {
        text: value
        for (field, value), (ar, en) in labels().items()
        if field == "status"
        for text in ar + en
    }
    status_col = {"lcc_homs": "الصفة", "fh_khalidiya": "الصفة", "ngo_national": "status"}
    said: dict[str, set[str]] = defaultdict(set)
    truth = {(t["source"], t["source_record_id"]): t["person_id"] for t in read_ground_truth(demo)}
    for code, (header, rows) in tables(demo).items():
        if code in status_col:
            col = header.index(status_col[code])
            for row in rows:
                value = status_of.get(row[col], "unknown")
                if value != "unknown":
                    said[truth[(code, row[0])]].add(value)
    disputed = {p["person_id"] for p in persons_truth(demo) if p["status_disputed_by"]}
    assert len(disputed) >= 3
    for pid in disputed:
        assert said[pid] == {"civilian", "combatant"}, pid


def test_unidentified_bodies_in_hospital_lists(demo: DemoManifest) -> None:
    people = persons_truth(demo)
    unnamed = [p for p in people if p["unidentified_in"]]
    assert {p["unidentified_in"] for p in unnamed} == {"fh_babaamr", "fh_khalidiya"}
    assert all(p["sources"] == p["unidentified_in"] for p in unnamed)


def test_claims_file(demo: DemoManifest) -> None:
    with demo.claims.open(encoding="utf-8", newline="") as handle:
        claims = list(csv.DictReader(handle))
    assert tuple(claims[0]) == CLAIMS_COLUMNS
    sana = [c for c in claims if c["source"] == "SANA" and c["category"] == "army_security"]
    assert any(c["date"] == "2012-02-07" and c["count"] == "30" for c in sana)
    assert all(int(c["count"]) > 0 for c in claims)


# --- manifest --------------------------------------------------------------------------------


def test_manifest_round_trip_and_relocation(demo: DemoManifest, tmp_path: Path) -> None:
    assert load_manifest(demo.out_dir) == demo
    copy = tmp_path / "copy"
    copy.mkdir()
    for item in demo.out_dir.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    moved = load_manifest(copy / "manifest.json")
    assert moved.file("lcc_homs").path == copy / "lcc_homs_martyrs.csv"
    assert moved.true_population == demo.true_population
    again = write_manifest(moved, tmp_path / "elsewhere.json")
    assert load_manifest(again).ground_truth == copy / "ground_truth.csv"


def test_bad_manifests_are_refused_with_the_file_named(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no demo manifest"):
        load_manifest(tmp_path)
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ManifestError, match="invalid JSON"):
        load_manifest(bad)
    bad.write_text('{"version": 1, "seed": 3}', encoding="utf-8")
    with pytest.raises(ManifestError, match="missing or has a bad field"):
        load_manifest(bad)


def test_too_small_a_demo_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="at least 20"):
        generate_demo(tmp_path, n_victims=5)


@pytest.mark.parametrize("seed", [1, 99, 31337])
def test_design_holds_for_other_seeds(tmp_path: Path, seed: int) -> None:
    manifest = generate_demo(tmp_path, seed=seed)
    truth = read_ground_truth(manifest)
    named: dict[str, set[str]] = defaultdict(set)
    for t in truth:
        named[t["source"]].add(t["person_id"])
    assert set(named) == SOURCE_CODES
    assert all(len(named[a] & named[b]) >= 1 for a, b in itertools.combinations(named, 2))
    assert 0.75 * 300 <= manifest.named_persons < 300
    assert io.BytesIO(manifest.file("fh_babaamr").path.read_bytes()).read(2) == b"PK"


def test_bytes_do_not_depend_on_string_hashing(tmp_path: Path) -> None:
    """Two processes with different PYTHONHASHSEED (set and dict order) write the same bytes."""
    script = (
        "import sys; from pathlib import Path; from everyname.core.demo import generate_demo; "
        "generate_demo(Path(sys.argv[1]), seed=11, n_victims=80)"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = tmp_path / hash_seed
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env)
    for item in sorted((tmp_path / "1").iterdir()):
        assert item.read_bytes() == (tmp_path / "2" / item.name).read_bytes(), item.name


@pytest.mark.parametrize("n_victims", [20, 1_000])
def test_small_and_large_populations(tmp_path: Path, n_victims: int) -> None:
    manifest = generate_demo(tmp_path, seed=3, n_victims=n_victims)
    assert len(persons_truth(manifest)) == manifest.true_population == n_victims
    assert len(read_ground_truth(manifest)) == manifest.records
    assert sum(f.records for f in manifest.files) == manifest.records
    for f in manifest.files:
        _, rows = read_table(f.path, f.encoding)
        assert len(rows) == f.records
