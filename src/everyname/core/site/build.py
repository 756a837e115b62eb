"""Build the public site from a release folder (see the package docstring for the design)."""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from everyname.core.count.breakdown import GRADE_VALUES
from everyname.core.errors import EverynameError
from everyname.core.files import atomic_folder
from everyname.core.names import name_forms
from everyname.core.release import DERIVED_COLUMNS, PLACE_COLUMNS, PUBLIC_COLUMNS, SUMS_FILE
from everyname.core.schema import UNKNOWN, VOCABULARIES
from everyname.core.site.strings import LABELS, LANGUAGES, VALUES, label, value_label

SITE_COLUMNS: tuple[str, ...] = (*PUBLIC_COLUMNS, *DERIVED_COLUMNS, *PLACE_COLUMNS)
"""The only columns of ``persons.csv`` the site carries (an allow-list again: a column the
release would gain tomorrow is not published on the site until it is named here)."""
BREAKDOWNS = ("outcome", "status", "sex", "age_group", "cause", "grade", "year")
CATEGORIES: dict[str, tuple[str, ...]] = {
    **{name: tuple(str(v) for v in vocabulary) for name, vocabulary in VOCABULARIES.items()},
    "grade": GRADE_VALUES,
}
"""The categories a count lists for each field (0 included), so the site's tables are the
count's."""
CHUNK = 250
"""Persons per data file of person pages: 800 files at 200,000 persons, each a few dozen KB."""
MAX_POSITION = 15
"""Name units after the 16th share the last position (a posting is ``index * 16 + unit``)."""
RELEASE_FOLDER = "release"
_YEAR = re.compile(r"^(\d{4})")


class SiteError(EverynameError):
    """The site cannot be built as asked (the message says what to change)."""


@dataclass(frozen=True)
class Release:
    """What the site is made of: a release's public files, read and nothing else."""

    folder: Path
    manifest: Mapping[str, Any]
    columns: tuple[str, ...]
    persons: list[dict[str, str]]
    places: Mapping[str, tuple[str, str]]
    counts_by_place: list[dict[str, str]]
    methodology: str
    changes: str
    sums: list[tuple[str, str]]


@dataclass(frozen=True)
class SiteSummary:
    """What was written: the folder, its files and their total size."""

    folder: Path
    persons: int
    files: int
    size_bytes: int
    figures: Mapping[str, Any] = field(default_factory=dict)


def _read_csv(path: Path) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return tuple(reader.fieldnames or ()), rows


def read_release(folder: str | Path) -> Release:
    """Read a release folder as ``core.release.write_release`` wrote it."""
    folder = Path(folder)
    needed = ("persons.csv", "manifest.json", SUMS_FILE, "METHODOLOGY.md", "CHANGES.md")
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise SiteError(
            f"{folder} is not an everyname release: {', '.join(missing)} missing", field="release"
        )
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    header, persons = _read_csv(folder / "persons.csv")
    columns = tuple(c for c in header if c in SITE_COLUMNS)
    if "person_id" not in columns:
        raise SiteError(f"{folder / 'persons.csv'} has no person_id column", field="release")
    if int(manifest.get("persons", -1)) != len(persons):
        raise SiteError(
            f"{folder}: persons.csv has {len(persons):,} rows but the manifest says "
            f"{manifest.get('persons')}: the release is damaged",
            field="release",
        )
    places: dict[str, tuple[str, str]] = {}
    if (folder / "places.csv").is_file():
        for row in _read_csv(folder / "places.csv")[1]:
            places[row["place_id"]] = (row.get("name_en", ""), row.get("name_ar", ""))
    counts: list[dict[str, str]] = []
    if (folder / "counts_by_place.csv").is_file():
        counts = _read_csv(folder / "counts_by_place.csv")[1]
    sums = []
    for line in (folder / SUMS_FILE).read_text("ascii").splitlines():
        digest, _, name = line.partition("  ")
        sums.append((name.strip(), digest.strip()))
    persons = [{c: row.get(c, "") or "" for c in columns} for row in persons]
    return Release(
        folder=folder,
        manifest=manifest,
        columns=columns,
        persons=persons,
        places=places,
        counts_by_place=counts,
        methodology=(folder / "METHODOLOGY.md").read_text("utf-8"),
        changes=(folder / "CHANGES.md").read_text("utf-8"),
        sums=sums,
    )


# --- figures ------------------------------------------------------------------------------------


def _value(row: Mapping[str, str], name: str) -> str:
    if name == "year":
        match = _YEAR.match(row.get("date_of_death", ""))
        return match.group(1) if match else UNKNOWN
    return row.get(name, "") or UNKNOWN


def figures(release: Release, linkage: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The release's figures: its persons by each field of ``persons.csv`` (``unknown`` always
    listed), its persons per governorate as ``counts_by_place.csv`` gives them, and the linkage
    range recorded when it was published (None when none was recorded)."""
    by: dict[str, list[dict[str, Any]]] = {}
    for name in BREAKDOWNS:
        source = "date_of_death" if name == "year" else name
        if source not in release.columns:
            continue
        counted = Counter(_value(row, name) for row in release.persons)
        known = [v for v in counted if v != UNKNOWN]
        if name in CATEGORIES:  # every category, 0 included, in the order counts give them
            listed = [v for v in CATEGORIES[name] if v != UNKNOWN]
            order = [*listed, *sorted(v for v in known if v not in listed)]
        elif name == "year":
            order = sorted(known)
        else:
            order = sorted(known, key=lambda v: (-counted[v], v))
        by[name] = [{"value": v, "count": counted[v]} for v in order]
        by[name].append({"value": UNKNOWN, "count": counted.get(UNKNOWN, 0)})
    governorates = [
        {"value": r["place_id"], "label": r["name_en"], "label_ar": r["name_ar"],
         "count": int(r["persons"])}
        for r in release.counts_by_place
        if r.get("level") == "governorate"
    ]  # fmt: skip
    if governorates:
        by["governorate_id"] = governorates
    withheld = sum(1 for row in release.persons if row.get("name_withheld"))
    return {
        "version": release.manifest.get("version"),
        "link_run": release.manifest.get("link_run"),
        "created_at": release.manifest.get("created_at"),
        "total": len(release.persons),
        "total_range": dict(linkage) if linkage is not None else None,
        "names_withheld": withheld,
        "by": by,
    }


# --- the name index -----------------------------------------------------------------------------


def name_unit_keys(full_name: str) -> list[str]:
    """The cross-script key of each name unit of ``full_name``, in order: the ``full_key`` that
    ingest stores for every record and the store's name search compares (``MHMD KLD`` for
    "محمد الخالدي" and for "Mohammed al-Khalidi"); [] for a blank or placeholder name."""
    if not full_name.strip():
        return []
    key = name_forms({"full_name": full_name}).get("full_key")
    return str(key).split() if key else []


def shard_of(key: str) -> str:
    """The index file a unit key is in: its first two letters (``MH`` for ``MHMD``)."""
    return (key + "_")[:2]


def name_index(persons: list[dict[str, str]]) -> dict[str, dict[str, list[int]]]:
    """shard → unit key → postings ``person index * 16 + unit position``, ascending."""
    postings: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(persons):
        for position, key in enumerate(name_unit_keys(row.get("full_name", ""))):
            postings[key].append(index * (MAX_POSITION + 1) + min(position, MAX_POSITION))
    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for key in sorted(postings):
        shards[shard_of(key)][key] = postings[key]
    return shards


def _deltas(values: list[int]) -> list[int]:
    return [b - a for a, b in zip([0, *values], values, strict=False)]


# --- pages --------------------------------------------------------------------------------------


def _template() -> Template:
    text = resources.files("everyname.core.site").joinpath("templates", "page.html")
    return Template(text.read_text("utf-8"))


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _number(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def markdown_html(text: str) -> str:
    """The small Markdown of METHODOLOGY.md and CHANGES.md as HTML: headings, paragraphs,
    lists, `code` and **strong** (everything escaped first; no other markup passes)."""
    out: list[str] = []
    paragraph: list[str] = []
    in_list = False

    def inline(line: str) -> str:
        line = _e(line)
        line = re.sub(r"`([^`]+)`", r"<code>\1</code>", line)
        return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", line)

    def flush() -> None:
        nonlocal in_list
        if paragraph:
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if in_list:
            out.append("</ul>")
            in_list = False

    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,3}) (.*)$", stripped)
        if heading:
            flush()
            level = len(heading.group(1)) + 1
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif stripped.startswith("- "):
            if paragraph:
                out.append(f"<p>{inline(' '.join(paragraph))}</p>")
                paragraph.clear()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(stripped[2:])}</li>")
        elif not stripped:
            flush()
        elif in_list and line.startswith("  "):
            out[-1] = out[-1][: -len("</li>")] + " " + inline(stripped) + "</li>"
        else:
            if in_list:
                out.append("</ul>")
                in_list = False
            paragraph.append(stripped)
    flush()
    return "\n".join(out)


class _Pages:
    """The HTML pages of one language (English at the root, Arabic in ``ar/``)."""

    def __init__(self, release: Release, facts: Mapping[str, Any], lang: str) -> None:
        self.release, self.facts, self.lang = release, facts, lang
        self.root = "" if lang == "en" else "../"
        self.template = _template()

    def t(self, key: str, **values: object) -> str:
        return _e(label(self.lang, key, **values))

    def page(self, name: str, title: str, body: str, scripts: Iterable[str] = ()) -> str:
        lang = self.lang
        other = "ar" if lang == "en" else "en"
        other_href = f"ar/{name}" if lang == "en" else f"../{name}"
        manifest = self.release.manifest
        release_line = (
            f"{self.t('release')} v{_e(manifest.get('version'))} · {self.t('link_run')} "
            f"<bdi><code>{_e(manifest.get('link_run'))}</code></bdi> · {self.t('created')} "
            f'<bdi dir="ltr">{_e(manifest.get("created_at"))}</bdi>'
        )
        tags = "\n".join(f'<script src="{self.root}{_e(s)}"></script>' for s in scripts)
        return self.template.substitute(
            lang=lang,
            dir="rtl" if lang == "ar" else "ltr",
            title=_e(title),
            site_title=self.t("site_title"),
            page=name.removesuffix(".html"),
            root=self.root,
            here="",
            nav_home=self.t("home"),
            nav_figures=self.t("figures"),
            nav_methodology=self.t("methodology"),
            nav_changes=self.t("changes"),
            nav_files=self.t("files"),
            other_lang=other,
            other_href=other_href,
            other_language=self.t("other_language"),
            release_line=release_line,
            footer=self.t("footer"),
            body=body,
            scripts=tags,
        )

    def scripts(self) -> list[str]:
        return ["assets/site.js", f"data/labels-{self.lang}.js", "data/meta.js"]

    def index(self) -> str:
        t = self.t
        total = self.facts["total"]
        body = f"""<p class="lead">{t("intro")}</p>
<p class="total"><span id="home-total">{_number(total)}</span> {t("persons")}</p>
<form id="search" role="search" action="index.html" method="get">
<label for="q">{t("search_label")}</label>
<div class="row"><input id="q" name="q" type="search" autocomplete="off" dir="auto" lang="ar"
 spellcheck="false"><button type="submit">{t("search_button")}</button></div>
</form>
<p id="status" class="status" aria-live="polite">{t("needs_script")}</p>
<ol id="results" class="results"></ol>
<p><button id="more" type="button" hidden>{t("more")}</button></p>"""
        return self.page("index.html", label(self.lang, "home"), body, self.scripts())

    def _table(self, name: str, rows: list[Mapping[str, Any]]) -> str:
        t = self.t
        lines = []
        for row in rows:
            value = str(row["value"])
            if name == "governorate_id":
                shown = row.get("label_ar" if self.lang == "ar" else "label") or value
                if value in ("unknown", "unresolved"):
                    shown = value_label(self.lang, value)
            elif name == "year":
                shown = value_label(self.lang, value) if value == UNKNOWN else value
            else:
                shown = value_label(self.lang, value)
            lines.append(
                f'<tr data-value="{_e(value)}"><th scope="row">{_e(shown)}</th>'
                f'<td class="count">{_number(int(row["count"]))}</td></tr>'
            )
        return (
            f'<section><h2>{t("field_" + name)}</h2>\n<table data-field="{_e(name)}">'
            f'<thead><tr><th scope="col">{t("breakdown_value")}</th>'
            f'<th scope="col">{t("breakdown_count")}</th></tr></thead>\n<tbody>'
            + "\n".join(lines)
            + "</tbody></table></section>"
        )

    def figures(self) -> str:
        t, facts = self.t, self.facts
        doubt = facts["total_range"]
        if doubt is None:
            linkage = t("linkage_unrecorded")
        elif int(doubt.get("pairs_awaiting_review", 0)) == 0:
            linkage = t("linkage_none")
        else:
            linkage = t(
                "linkage_text",
                low=_number(doubt["low"]),
                high=_number(doubt["high"]),
                pairs=_number(doubt["pairs_awaiting_review"]),
            )
        low = "" if doubt is None else str(doubt.get("low", ""))
        high = "" if doubt is None else str(doubt.get("high", ""))
        pairs = "" if doubt is None else str(doubt.get("pairs_awaiting_review", ""))
        body = (
            f"""<dl class="facts">
<dt>{t("total")}</dt><dd id="total">{_number(facts["total"])}</dd>
<dt>{t("linkage_range")}</dt><dd id="linkage" data-low="{_e(low)}" data-high="{_e(high)}"
 data-pairs="{_e(pairs)}">{linkage}</dd>
<dt>{t("names_withheld")}</dt><dd id="names-withheld">{_number(facts["names_withheld"])}</dd>
</dl>
<p class="note">{t("unknown_note")}</p>
<div class="tables">
"""
            + "\n".join(self._table(name, rows) for name, rows in facts["by"].items())
            + "</div>"
        )
        return self.page("figures.html", label(self.lang, "figures"), body)

    def methodology(self) -> str:
        body = f'<p class="lead">{self.t("methodology_intro")}</p>\n<article lang="en" dir="ltr">'
        body += markdown_html(self.release.methodology) + "</article>"
        return self.page("methodology.html", label(self.lang, "methodology"), body)

    def changes(self) -> str:
        body = f'<p class="lead">{self.t("changes_intro")}</p>\n<article lang="en" dir="ltr">'
        body += markdown_html(self.release.changes) + "</article>"
        return self.page("changes.html", label(self.lang, "changes"), body)

    def files(self) -> str:
        t = self.t
        rows = "\n".join(
            f'<tr><td><a href="{self.root}{RELEASE_FOLDER}/{_e(name)}">{_e(name)}</a></td>'
            f'<td dir="ltr"><code>{_e(digest)}</code></td></tr>'
            for name, digest in [*self.release.sums, (SUMS_FILE, "")]
        )
        body = f"""<p class="lead">{t("files_intro")}</p>
<table class="files"><thead><tr><th scope="col">{t("file")}</th><th scope="col">{t("sha256")}
</th></tr></thead><tbody>
{rows}
</tbody></table>"""
        return self.page("files.html", label(self.lang, "files"), body)

    def person(self) -> str:
        t = self.t
        body = f"""<p id="status" class="status" aria-live="polite">{t("needs_script")}</p>
<dl id="person" class="person"></dl>
<p><a href="index.html">{t("back")}</a></p>"""
        return self.page("person.html", label(self.lang, "person"), body, self.scripts())


# --- writing ------------------------------------------------------------------------------------


def _js_call(function: str, *arguments: Any) -> str:
    """A data file: one call of a function of ``site.js`` with JSON arguments. Loaded with a
    ``<script src>`` (file:// forbids fetching JSON), run as script, so every string is JSON
    with ``<``, ``>`` and ``&`` escaped."""
    text = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in arguments)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"everynameSite.{function}({text});\n"


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def build_site(
    release_folder: str | Path, out: str | Path, linkage: Mapping[str, int] | None = None
) -> SiteSummary:
    """Write the public site of the release in ``release_folder`` to the new folder ``out``.

    ``linkage`` (``low``, ``high``, ``pairs_awaiting_review``) is the total's range when the
    release was published; ``high`` must be the release's number of persons. ``out`` must not
    exist: a site is written whole (into a temporary folder renamed at the end) or not at all.
    """
    release = read_release(release_folder)
    if linkage is not None and int(linkage["high"]) != len(release.persons):
        raise SiteError(
            f"the linkage range ends at {linkage['high']:,} persons but the release has "
            f"{len(release.persons):,}: it is not this release's range",
            field="linkage",
        )
    facts = figures(release, linkage)
    out = Path(out)
    try:
        with atomic_folder(out, private=False) as folder:
            _write_site(folder, release, facts)
    except FileExistsError:
        raise SiteError(
            f"{out} already exists: a site is written to a new folder, never over another",
            field="site",
        ) from None
    files = [p for p in out.rglob("*") if p.is_file()]
    return SiteSummary(
        folder=out,
        persons=len(release.persons),
        files=len(files),
        size_bytes=sum(p.stat().st_size for p in files),
        figures=facts,
    )


def _write_site(folder: Path, release: Release, facts: Mapping[str, Any]) -> None:
    assets = resources.files("everyname.core.site").joinpath("assets")
    for name in ("site.css", "site.js"):
        _write(folder, f"assets/{name}", assets.joinpath(name).read_text("utf-8"))
    for lang in LANGUAGES:
        pages = _Pages(release, facts, lang)
        prefix = "" if lang == "en" else "ar/"
        for name in ("index", "figures", "methodology", "changes", "files", "person"):
            _write(folder, f"{prefix}{name}.html", getattr(pages, name)())
        _write(
            folder,
            f"data/labels-{lang}.js",
            _js_call("labels", {"labels": LABELS[lang], "values": VALUES[lang], "lang": lang}),
        )
    persons = sorted(release.persons, key=lambda row: row["person_id"])
    columns = list(release.columns)
    firsts = []
    for start in range(0, len(persons), CHUNK):
        rows = persons[start : start + CHUNK]
        firsts.append(rows[0]["person_id"])
        _write(
            folder,
            f"data/p/{start // CHUNK}.js",
            _js_call("persons", start // CHUNK, [[row[c] for c in columns] for row in rows]),
        )
    shards = name_index(persons)
    for shard, keys in shards.items():
        encoded = {key: _deltas(postings) for key, postings in keys.items()}
        _write(folder, f"data/k/{shard}.js", _js_call("keys", shard, encoded))
    meta = {
        "columns": columns,
        "chunk": CHUNK,
        "firsts": firsts,
        "persons": len(persons),
        "positions": MAX_POSITION + 1,
        "shards": sorted(shards),
        "places": {k: list(v) for k, v in release.places.items()},
    }
    _write(folder, "data/meta.js", _js_call("meta", meta))
    _write(folder, "figures.json", json.dumps(facts, ensure_ascii=False, indent=1) + "\n")
    for path in sorted(release.folder.iterdir()):
        if path.is_file():
            (folder / RELEASE_FOLDER).mkdir(exist_ok=True)
            (folder / RELEASE_FOLDER / path.name).write_bytes(path.read_bytes())
