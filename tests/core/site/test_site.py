"""The public site built from a release's files: what it holds, what it never holds, its figures.

No database and no browser here (the browser runs in tests/web/test_browser_site.py): a release
is written by ``core.release.write_release`` from a small persons table into which distinctive
values are planted in every column a release withholds, and the site built from it is searched,
file by file, for each of them.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from everyname.core.release import write_release
from everyname.core.site import SiteError, build_site, read_release
from everyname.core.site.build import markdown_html, name_unit_keys
from everyname.core.site.strings import LABELS, VALUES

CHILD_NAME = "Qutaybah Zzurqani Yaqzaniyy"
WITHHELD = {
    "national_id": "NID-ZZ-447190",
    "reporter_name": "ZZReporter Waqqas Haddad",
    "reporter_contact": "+963 944 771 902",
    "notes": "ZZNOTE his brother saw it",
    "source_contact": "zzcontact@example.org",
}


def forms(text: str) -> set[bytes]:
    """The byte forms a copy of ``text`` could take in a file of the site (compared lower-case):
    as written, JSON-escaped, HTML-escaped."""
    import html

    found = set()
    for form in (text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]):
        for variant in (form, html.escape(form)):
            found.add(variant.encode("utf-8").lower())
    return found


@pytest.fixture
def release(tmp_path: Path) -> Path:
    persons = pd.DataFrame(
        [
            {"person_id": "P000001", "full_name": "محمد عبد الرحمن الخالدي", "sex": "male",
             "age_years": 34, "age_group": "adult", "date_of_death": "2012-02-05",
             "date_of_death_precision": "day", "governorate": "حمص", "cause": "shelling",
             "status": "civilian", "outcome": "killed", **WITHHELD},
            {"person_id": "P000002", "full_name": CHILD_NAME, "sex": "male", "age_years": 9,
             "age_group": "child", "date_of_death": "2012-02", "date_of_death_precision":
             "month", "governorate": "Homs", "cause": "sniper", "status": "civilian",
             "outcome": "killed", "national_id": "NID-ZZ-CHILD-5521"},
            {"person_id": "P000003", "full_name": "Khaled <b>Mahmoud</b>", "sex": None,
             "age_group": None, "date_of_death": None, "governorate": None, "cause": None,
             "status": None, "outcome": "killed"},
        ]
    )  # fmt: skip
    memberships = pd.DataFrame(
        {"person_id": ["P000001", "P000002", "P000003", "P000003"],
         "record_id": ["1", "2", "3", "4"], "source": ["a", "b", "a", "b"]}
    )  # fmt: skip
    manifest = write_release(
        tmp_path / "releases", persons, memberships, link_run="run-7", withhold="children"
    )
    return manifest.folder


@pytest.fixture
def site(release: Path, tmp_path: Path) -> Path:
    build_site(release, tmp_path / "site", {"low": 2, "high": 3, "pairs_awaiting_review": 1})
    return tmp_path / "site"


def test_no_file_of_the_site_holds_a_withheld_value(site: Path) -> None:
    planted = {**WITHHELD, "child name": CHILD_NAME, "child id": "NID-ZZ-CHILD-5521"}
    for part in CHILD_NAME.split():  # nor any word of the withheld name
        planted[f"child name {part}"] = part
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        content = path.read_bytes().lower()
        for what, value in planted.items():
            assert not any(form in content for form in forms(value)), f"{what} in {path}"


def test_a_withheld_name_is_not_in_the_search_index(site: Path) -> None:
    index = "".join(p.read_text("utf-8") for p in (site / "data" / "k").iterdir())
    child_keys = name_unit_keys(CHILD_NAME)
    assert child_keys and all(f'"{key}"' not in index for key in child_keys)
    for key in name_unit_keys("محمد عبد الرحمن الخالدي"):
        assert f'"{key}"' in index


def test_the_figures_are_the_releases(site: Path, release: Path) -> None:
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    with (release / "persons.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    figures = json.loads((site / "figures.json").read_text("utf-8"))
    assert figures["total"] == manifest["persons"] == len(rows) == 3
    assert figures["total_range"] == {"low": 2, "high": 3, "pairs_awaiting_review": 1}
    assert figures["names_withheld"] == 1
    for field in ("sex", "age_group", "status", "cause", "outcome", "grade"):
        counted = {r["value"]: r["count"] for r in figures["by"][field]}
        assert sum(counted.values()) == len(rows)
        assert "unknown" in counted
        for value in {r[field] or "unknown" for r in rows}:
            assert counted[value] == sum((r[field] or "unknown") == value for r in rows)
    assert {r["value"]: r["count"] for r in figures["by"]["year"]} == {"2012": 2, "unknown": 1}
    page = (site / "figures.html").read_text("utf-8")
    assert '<dd id="total">3</dd>' in page and 'data-low="2"' in page
    arabic = (site / "ar" / "figures.html").read_text("utf-8")
    assert '<html lang="ar" dir="rtl">' in arabic and "مجال الربط" in arabic


def test_the_site_carries_the_release_files_unchanged(site: Path, release: Path) -> None:
    for path in release.iterdir():
        assert (site / "release" / path.name).read_bytes() == path.read_bytes()
    files_page = (site / "files.html").read_text("utf-8")
    for line in (release / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert digest in files_page and f"release/{name}" in files_page
    assert "First release" in (site / "changes.html").read_text("utf-8")
    assert "What is not published" in (site / "ar" / "methodology.html").read_text("utf-8")


def test_pages_have_no_inline_script_or_style_and_no_other_host(site: Path) -> None:
    for path in site.rglob("*.html"):
        text = path.read_text("utf-8")
        assert re.findall(r"<script(?![^>]*\bsrc=)", text) == [], path
        assert " style=" not in text and "<style" not in text, path
        assert re.findall(r"(?:src|href)=\"(?:https?:)?//", text) == [], path
        assert "Content-Security-Policy" in text
    for path in site.rglob("*.js"):
        assert "http://" not in path.read_text("utf-8") and "https://" not in path.read_text(
            "utf-8"
        ), path


def test_markup_in_a_name_stays_text(site: Path) -> None:
    chunk = (site / "data" / "p" / "0.js").read_text("utf-8")
    assert "<b>" not in chunk and "Khaled \\u003cb\\u003eMahmoud" in chunk


def test_every_label_is_in_both_languages() -> None:
    assert LABELS["en"].keys() == LABELS["ar"].keys()
    assert VALUES["en"].keys() == VALUES["ar"].keys()
    arabic = re.compile(r"[\u0600-\u06ff]")
    for key, text in {**LABELS["ar"], **VALUES["ar"]}.items():
        if key not in ("other_language", "sha256"):
            assert arabic.search(text), key
    placeholders = re.compile(r"\{(\w+)\}")
    for key, text in LABELS["en"].items():
        assert set(placeholders.findall(text)) == set(placeholders.findall(LABELS["ar"][key]))


def test_a_site_is_never_written_over_another(release: Path, site: Path) -> None:
    before = (site / "index.html").read_bytes()
    with pytest.raises(SiteError) as caught:
        build_site(release, site)
    assert caught.value.field == "site"
    assert (site / "index.html").read_bytes() == before


def test_a_linkage_range_of_another_release_is_refused(release: Path, tmp_path: Path) -> None:
    with pytest.raises(SiteError) as caught:
        build_site(release, tmp_path / "s", {"low": 5, "high": 9, "pairs_awaiting_review": 4})
    assert caught.value.field == "linkage"
    assert not (tmp_path / "s").exists()


def test_a_damaged_release_is_refused(release: Path) -> None:
    (release / "manifest.json").write_text(json.dumps({"persons": 99}), "utf-8")
    with pytest.raises(SiteError, match="damaged"):
        read_release(release)


def test_markdown_is_escaped() -> None:
    out = markdown_html("# Title <x>\n\nA `code` and **bold** <script>.\n\n- one\n- two\n")
    assert "<h2>Title &lt;x&gt;</h2>" in out
    assert "<code>code</code>" in out and "<strong>bold</strong>" in out
    assert "&lt;script&gt;" in out and "<li>two</li>" in out
