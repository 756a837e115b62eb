"""The public site as a reader opens it from a USB stick: Debian's Chromium (Playwright, never a
downloaded browser) on ``file://`` URLs of the site that ``everyname export public --site``
wrote from the demo's database, with a planted list beside the demo's lists.

The planted list has a person written in Latin letters and one written in Arabic, each found by
typing the name in the other script, and distinctive values in every field a release withholds:
no file of the site may hold them. Every request the pages make is recorded: all must be files
of the site. Screenshots go to ``$EVERYNAME_SCREENSHOTS`` (default: a temporary folder).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from everyname.core.demo.large import LARGE_HEADER, generate_rows
from everyname.core.site.build import name_unit_keys

pytestmark = pytest.mark.slow

EVERYNAME = Path(sys.executable).with_name("everyname")
LATIN_PERSON = "Zubayr Qutaybah Zzarnuqi"
ARABIC_PERSON = "قتيبة عبد الرحمن الزرقاني"
CHILD = "Yaqzan Zzubhani Qarqashi"
WITHHELD = {
    "national_id": "NID-ZZ-61803",
    "reporter_name": "ZZReporter Thaqib Warraq",
    "reporter_contact": "+963 955 618 033",
    "notes": "ZZNOTE seen by a neighbour",
}
SOURCE_CONTACT = "zz-planted-source@example.org"


class Published:
    """The demo's database with the planted list, its release and its site."""

    def __init__(self, root: Path) -> None:
        self.root = root
        folder = root / "everyname-demo"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EVERYNAME_")}
        self.env |= {
            "EVERYNAME_DATABASE_URL": f"sqlite:///{folder / 'everyname-demo.sqlite3'}",
            "EVERYNAME_KEY_FILE": str(folder / "everyname.key"),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.site = root / "site"
        self.release = root / "releases" / "v1"

    def run(self, *args: str, user: str | None = "demo-admin") -> str:
        env = self.env | ({"EVERYNAME_USER": user} if user else {})
        done = subprocess.run(
            [str(EVERYNAME), *args], cwd=self.root, env=env, capture_output=True, timeout=900
        )
        assert done.returncode == 0, (done.stderr + done.stdout).decode(errors="replace")
        return done.stdout.decode("utf-8")

    def build(self) -> None:
        self.run("demo", user=None)
        planted = self.root / "planted.csv"
        with planted.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["full_name", "age", "sex", "date_of_death", "governorate", *WITHHELD])
            writer.writerow([LATIN_PERSON, "41", "male", "2012-02-06", "Homs", *WITHHELD.values()])
            writer.writerow([ARABIC_PERSON, "37", "male", "2012-02-08", "حمص", "", "", "", ""])
            child = [CHILD, "7", "male", "2012-02-07", "Homs", "NID-ZZ-CHILD-2", "", "", ""]
            writer.writerow(child)
        self.source_with_contact()
        self.run("import", str(planted), "--source", "planted", "--default", "outcome=killed")
        self.run("link")
        self.run(
            "export", "public", "--out", "releases", "--site", "site", "--withhold", "children"
        )

    def source_with_contact(self) -> None:
        """The planted list's source, with a contact (no command sets one: an import does not)."""
        script = (
            "from everyname.store.bootstrap import setup; setup()\n"
            "from everyname.store.sources import get_or_create_source\n"
            f"get_or_create_source('planted', 'tester', contact={SOURCE_CONTACT!r})\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=self.root, env=self.env, capture_output=True
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")

    def url(self, page: str) -> str:
        return (self.site / page).as_uri()


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    built = Published(tmp_path_factory.mktemp("public-site"))
    built.build()
    return built


@pytest.fixture
def visit(browser, published) -> Iterator:
    """``visit()``: a fresh page whose requests are recorded; at the end every one must have been
    a file of the site, and no page may have raised an error."""
    contexts, requested, errors = [], [], []

    def open_page(locale: str = "en-GB"):
        context = browser.new_context(locale=locale, viewport={"width": 1200, "height": 900})
        context.on("request", lambda request: requested.append(request.url))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert requested
    site = published.site.as_uri() + "/"
    assert [url for url in requested if not url.startswith(site)] == []
    assert errors == []


def released_persons(published: Published) -> list[dict[str, str]]:
    with (published.release / "persons.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def search(page, text: str) -> list[str]:
    """Type ``text`` in the search box; the person ids of every result (all pages of them)."""
    page.fill("#q", text)
    page.click("#search button")
    page.wait_for_function("t => document.body.dataset.searched === t", arg=text)
    while page.is_visible("#more"):
        shown = page.locator("#results li").count()
        page.click("#more")
        page.wait_for_function("n => document.querySelectorAll('#results li').length > n", shown)
    hrefs = page.eval_on_selector_all("#results a", "links => links.map(a => a.hash)")
    return [h[1:] for h in hrefs]


def test_a_name_typed_in_either_script_finds_the_person(published, visit, shots):
    persons = {p["full_name"]: p["person_id"] for p in released_persons(published)}
    latin_id, arabic_id = persons[LATIN_PERSON], persons[ARABIC_PERSON]
    page = visit()
    page.goto(published.url("index.html"))
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.screenshot(path=shots / "index-en.png", full_page=True)
    # A person written in Latin letters, typed in Arabic and in Latin letters.
    assert search(page, "زبير الزرنوقي") == [latin_id]
    page.screenshot(path=shots / "search-arabic-script-en.png", full_page=True)
    assert search(page, "Zubair al-Zarnouqi") == [latin_id]
    # A person written in Arabic, typed in Latin letters (a compound written apart) and Arabic.
    assert search(page, "Qutayba Abd al-Rahman al-Zurqani") == [arabic_id]
    page.screenshot(path=shots / "search-latin-script-en.png", full_page=True)
    assert search(page, "قتيبة الزرقاني") == [arabic_id]
    # The example: the same persons in either script, each named MHMD ... KLD in order.
    arabic_found = search(page, "محمد الخالدي")
    assert arabic_found and search(page, "Mohammed al-Khalidi") == arabic_found
    names = {p["person_id"]: p["full_name"] for p in released_persons(published)}
    for person_id in arabic_found:
        keys = name_unit_keys(names[person_id])
        assert "MHMD" in keys and "KLD" in keys[keys.index("MHMD") + 1 :]
    # A withheld name is not searchable.
    assert search(page, "Yaqzan Zzubhani") == []
    assert page.inner_text("#status") == "No person of this release has that name."


def test_a_compound_name_typed_joined_finds_it_written_apart(published, visit, shots):
    """A name typed joined, "محمدنور", finds the persons whose name has "محمد نور" as two
    units side by side, as the server's search does (core/names/readings.py), and no one with
    the two apart."""
    names = {p["person_id"]: name_unit_keys(p["full_name"]) for p in released_persons(published)}
    side_by_side = sorted(
        person
        for person, keys in names.items()
        if any(keys[i : i + 2] == ["MHMD", "NR"] for i in range(len(keys) - 1))
    )
    apart = [p for p, keys in names.items() if "MHMD" in keys and "NR" in keys]
    assert side_by_side and len(apart) > len(side_by_side)  # the data can tell the two apart
    page = visit("ar")
    page.goto(published.url("index.html"))
    found = search(page, "محمدنور")
    assert sorted(found) == side_by_side
    page.screenshot(path=shots / "search-compound-joined-ar.png", full_page=True)
    assert set(side_by_side) <= set(search(page, "محمد نور"))


def test_the_arabic_site_searches_and_shows_a_person(published, visit, shots):
    persons = {p["full_name"]: p for p in released_persons(published)}
    page = visit("ar")
    page.goto(published.url("ar/index.html"))
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    brand = page.locator("header .brand").bounding_box()
    assert brand["x"] > 1200 / 2  # right to left: the site's name at the right
    page.screenshot(path=shots / "index-ar.png", full_page=True)
    found = search(page, "قتيبة عبد الرحمن الزرقاني")
    assert found == [persons[ARABIC_PERSON]["person_id"]]
    assert page.inner_text("#status") == "عدد الأشخاص الذين وُجدوا: 1"
    page.screenshot(path=shots / "search-arabic-script-ar.png", full_page=True)
    assert search(page, "Zubayr Zzarnuqi") == [persons[LATIN_PERSON]["person_id"]]
    page.screenshot(path=shots / "search-latin-script-ar.png", full_page=True)
    page.click("#results a")
    page.wait_for_function("() => document.body.dataset.shown !== undefined")
    person = persons[LATIN_PERSON]
    assert page.inner_text("h1") == LATIN_PERSON
    assert page.inner_text("dd[data-field=person_id]") == person["person_id"]
    assert page.inner_text("dd[data-field=sex]") == "ذكر"
    assert page.inner_text("dd[data-field=date_of_death]") == person["date_of_death"]
    shown = page.eval_on_selector_all("dd[data-field]", "d => d.map(x => x.dataset.field)")
    assert set(shown) <= set(person)  # released fields only
    page.screenshot(path=shots / "person-ar.png", full_page=True)
    page.click("header a.language")
    page.wait_for_function("() => document.body.dataset.shown !== undefined")
    assert page.inner_text("dd[data-field=sex]") == "male"
    page.screenshot(path=shots / "person-en.png", full_page=True)


def test_the_figures_are_the_releases(published, visit, shots):
    rows = released_persons(published)
    manifest = json.loads((published.release / "manifest.json").read_text("utf-8"))
    counted = json.loads(published.run("count", "--format", "json"))
    page = visit()
    for lang, prefix in (("en", ""), ("ar", "ar/")):
        page.goto(published.url(f"{prefix}figures.html"))
        total = int(page.inner_text("#total").replace(",", ""))
        assert total == manifest["persons"] == len(rows) == counted["total"]
        linkage = page.locator("#linkage")
        assert int(linkage.get_attribute("data-low")) == counted["total_range"]["low"]
        assert int(linkage.get_attribute("data-high")) == counted["total_range"]["high"]
        pairs = counted["total_range"]["pairs_awaiting_review"]
        assert int(linkage.get_attribute("data-pairs")) == pairs > 0
        for field in ("sex", "age_group", "status", "cause"):
            table = page.locator(f"table[data-field={field}] tbody tr")
            shown = {
                table.nth(i).get_attribute("data-value"): int(
                    table.nth(i).locator("td").inner_text().replace(",", "")
                )
                for i in range(table.count())
            }
            assert "unknown" in shown
            for value, n in shown.items():
                assert n == sum((r[field] or "unknown") == value for r in rows), (field, value)
        page.screenshot(path=shots / f"figures-{lang}.png", full_page=True)
    page.goto(published.url("files.html"))
    for line in (published.release / "SHA256SUMS").read_text().splitlines():
        assert line.split()[0] in page.inner_text("table.files")


def test_no_file_of_the_site_holds_a_withheld_value(published):
    planted = {**WITHHELD, "child": CHILD, "child id": "NID-ZZ-CHILD-2", "contact": SOURCE_CONTACT}
    planted |= {f"child word {w}": w for w in CHILD.split()}
    files = [p for p in published.site.rglob("*") if p.is_file()]
    assert any(LATIN_PERSON in p.read_text("utf-8", errors="replace") for p in files)
    for path in files:
        content = path.read_bytes().lower()
        for what, value in planted.items():
            for form in {value, json.dumps(value)[1:-1], json.dumps(value)[1:-1].upper()}:
                assert form.lower().encode() not in content, f"{what} in {path}"


def test_the_browser_keys_names_as_python_does(published, visit):
    """For generated names in both scripts (the large generator's spellings) and every released
    name, the typed name's grouping into the keys Python gives is one the page finds."""
    names = set()
    for row in generate_rows(3000, seed=7, duplicate_rate=0.3):
        values = dict(zip(LARGE_HEADER, row, strict=True))
        names.add(" ".join(v for k in ("first name", "father", "grandfather", "family")
                           if (v := values[k])))  # fmt: skip
    names |= {p["full_name"] for p in released_persons(published) if p["full_name"]}
    cases = [(name, name_unit_keys(name)) for name in sorted(names)]
    cases = [(name, keys) for name, keys in cases if keys]
    known = sorted({key for _, keys in cases for key in keys})
    page = visit()
    page.goto(published.url("index.html"))
    agree = page.evaluate(
        """([cases, known]) => cases.map(([name, keys]) =>
            everynameSite.segmentations(name, known).some(s => s.join(" ") === keys.join(" ")))""",
        [cases, known],
    )
    missed = [name for (name, _), ok in zip(cases, agree, strict=True) if not ok]
    assert len(cases) > 2500
    assert missed == []
