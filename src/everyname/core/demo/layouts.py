"""Each demo source's own file layout: its headers, its language and how it writes values.

Headers are the ones casualty lists really use and that the ingest header recogniser knows
(الاسم الكامل, اسم الأب, الكنية, تاريخ الاستشهاد, "full name", "date of death"...), so the demo
imports without mappings. Values are written the way each kind of recorder writes them: Arabic
labels and sometimes Arabic-Indic digits in the Arabic lists, typed cells in the spreadsheet,
romanised names with the source's own habits in the English lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from random import Random

from everyname.core.demo.population import Victim
from everyname.core.demo.sources import SourceSpec
from everyname.core.demo.spelling import (
    ARABIC_INDIC,
    arabic_spelling,
    arabic_typo,
    latin_family,
    latin_form,
    latin_typo,
)
from everyname.core.demo.tables import Entry, labels

Cell = str | int | datetime | None


@dataclass(frozen=True)
class Report:
    """What one source says about one victim before it is put in the source's words.

    ``day`` is the reported date of death (possibly a day late); ``status`` the reported status
    (possibly disagreeing with other sources); ``duplicate`` marks a second entry of a victim
    the same list already holds; ``unidentified`` a body the source could not name;
    ``disputed`` a victim whose status the sources disagree on (always written, never blank).
    """

    victim: Victim
    day: date
    status: str
    duplicate: bool = False
    unidentified: bool = False
    with_family: bool = False
    disputed: bool = False


@dataclass(frozen=True)
class Layout:
    """The columns of one source's file; ``render`` returns the cells after the id column."""

    columns: tuple[str, ...]
    render: Callable[[Report, SourceSpec, Random], list[Cell]]

    @property
    def id_column(self) -> str:
        return self.columns[0]

    @property
    def name_column(self) -> str:
        """The column that names the person; never blanked, whatever else is missing."""
        return self.columns[1]


def _missing(spec: SourceSpec, field: str, rng: Random) -> bool:
    return rng.random() < spec.missing.get(field, 0.0)


def label(field: str, value: str, lang: str, rng: Random, usual: float = 0.85) -> str:
    """The label a source uses for a canonical value; mostly the usual one."""
    arabic, english = labels()[(field, value)]
    options = arabic if lang == "ar" else english
    if len(options) == 1 or rng.random() < usual:
        return options[0]
    return rng.choice(options[1:])


def _unknown(field: str, lang: str, rng: Random) -> str:
    """A missing value: blank, or written out as unknown as many recorders do."""
    return label(field, "unknown", lang, rng) if rng.random() < 0.4 else ""


def _reported_age(v: Victim, rng: Random) -> int:
    """Ages are estimates: a year or two off sometimes, never across the child/adult line."""
    if rng.random() >= 0.15 or v.age_months is not None:
        return v.age
    age = v.age + rng.choice((-2, -1, 1, 2))
    return min(max(age, 1), 17) if v.is_child else max(age, 18)


def _age_ar(v: Victim, rng: Random, indic: float) -> str:
    if v.age_months is not None:
        text = f"{v.age_months} أشهر"
    elif v.is_child and rng.random() < 0.08:
        return label("age", "child", "ar", rng)
    else:
        text = str(_reported_age(v, rng))
    return text.translate(ARABIC_INDIC) if rng.random() < indic else text


def _age_en(v: Victim, rng: Random) -> str:
    if v.age_months is not None:
        return f"{v.age_months} months"
    if v.is_child and rng.random() < 0.06:
        return label("age", "child", "en", rng)
    if 20 <= v.age < 70 and rng.random() < 0.1:
        return f"{v.age // 10 * 10}s"
    return str(_reported_age(v, rng))


def _date_text(
    r: Report, spec: SourceSpec, rng: Random, indic: float = 0.0, style: str = "iso"
) -> str:
    """ISO (2012-02-04, 2012-02) or day first as Syrian spreadsheets write it (4/2/2012, 2/2012;
    ``dmy0`` pads: 04/02/2012, 02/2012)."""
    if _missing(spec, "date", rng):
        return ""
    day, partial = r.day, rng.random() < spec.partial
    if style == "iso":
        text = f"{day:%Y-%m}" if partial else day.isoformat()
    elif style == "dmy":
        text = f"{day.month}/{day.year}" if partial else f"{day.day}/{day.month}/{day.year}"
    else:
        text = f"{day:%m/%Y}" if partial else f"{day:%d/%m/%Y}"
    return text.translate(ARABIC_INDIC) if rng.random() < indic else text


def _arabic_parts(parts: list[Entry], spec: SourceSpec, rng: Random, r: Report) -> list[str]:
    noise = min(1.0, spec.noise * (2 if r.duplicate else 1))
    written = [arabic_spelling(p.arabic, rng, noise) for p in parts]
    if rng.random() < spec.typo * (8 if r.duplicate else 1):
        k = rng.randrange(len(written))
        written[k] = arabic_typo(written[k], rng)
    return written


def _latin_parts(
    parts: list[Entry], spec: SourceSpec, rng: Random, r: Report, articles: tuple[str, ...]
) -> list[str]:
    preferred = 0.3 if r.duplicate else (0.75 if spec.kind == "ngo" else 0.5)
    written = [latin_form(p, rng, preferred) for p in parts[:-1]]
    written.append(latin_family(parts[-1], rng, preferred, articles))
    if rng.random() < spec.typo * (8 if r.duplicate else 1):
        k = rng.randrange(len(written))
        written[k] = latin_typo(written[k], rng)
    return written


def _name_parts(v: Victim, rng: Random, grandfather: float, r: Report) -> list[Entry]:
    keep = grandfather / 2 if r.duplicate else grandfather
    middle = [v.grandfather] if rng.random() < keep else []
    return [v.given, v.father, *middle, v.family]


def _note_ar(r: Report, rng: Random, hospital: bool) -> str:
    v = r.victim
    if r.unidentified:
        return "جثة مجهولة الهوية"
    if r.status == "combatant" and rng.random() < 0.5:
        return "منشق عن الجيش"
    if r.with_family and rng.random() < 0.5:
        verb = "استشهدت" if v.sex == "female" else "استشهد"
        return verb + " مع أفراد من عائلته"
    if hospital and rng.random() < 0.15:
        return rng.choice(("وصل متوفى إلى المشفى", "توفي متأثراً بجراحه"))
    if v.is_child and rng.random() < 0.2:
        return "طفل"
    return ""


def _note_en(r: Report, rng: Random) -> str:
    if r.status == "combatant" and rng.random() < 0.4:
        return "defected from the army"
    if r.with_family and rng.random() < 0.5:
        return "killed with members of the family"
    if rng.random() < 0.05:
        return "died of wounds"
    return ""


def _sex(r: Report, spec: SourceSpec, rng: Random, lang: str, usual: float = 0.9) -> str:
    if _missing(spec, "sex", rng):
        return _unknown("sex", lang, rng)
    return label("sex", r.victim.sex, lang, rng, usual)


def _cause(r: Report, spec: SourceSpec, rng: Random, lang: str) -> str:
    if _missing(spec, "cause", rng) or r.victim.cause == "unknown":
        return _unknown("cause", lang, rng)
    return label("cause", r.victim.cause, lang, rng, 0.8)


def _status(r: Report, spec: SourceSpec, rng: Random, lang: str) -> str:
    if _missing(spec, "status", rng) and not r.disputed:
        return _unknown("status", lang, rng)
    return label("status", r.status, lang, rng, 0.6)


def _neighbourhood_ar(v: Victim, spec: SourceSpec, rng: Random) -> str:
    name = arabic_spelling(v.neighbourhood.arabic, rng, spec.noise / 2)
    return "حي " + name if rng.random() < 0.1 else name


def _render_lcc(r: Report, spec: SourceSpec, rng: Random) -> list[Cell]:
    v = r.victim
    name = " ".join(_arabic_parts(_name_parts(v, rng, 0.25, r), spec, rng, r))
    place_missing = _missing(spec, "place", rng)
    return [
        name,
        _sex(r, spec, rng, "ar"),
        "" if _missing(spec, "age", rng) else _age_ar(v, rng, indic=0.3),
        _date_text(r, spec, rng, indic=0.15),
        label("place", "homs", "ar", rng),
        "" if place_missing else label("place", "homs", "ar", rng),
        "" if place_missing else _neighbourhood_ar(v, spec, rng),
        _cause(r, spec, rng, "ar"),
        _status(r, spec, rng, "ar"),
        _note_ar(r, rng, hospital=False),
    ]


def _render_babaamr(r: Report, spec: SourceSpec, rng: Random) -> list[Cell]:
    v = r.victim
    if r.unidentified:
        given, father, grandfather, family, mother = (
            label("name", "unidentified", "ar", rng),
            None,
            None,
            None,
            None,
        )
    else:
        given, father, grandfather, family = _arabic_parts(
            [v.given, v.father, v.grandfather, v.family], spec, rng, r
        )
        if _missing(spec, "grandfather", rng) or r.duplicate:
            grandfather = None
        if _missing(spec, "family", rng):
            family = None
        mother = None
        if not _missing(spec, "mother", rng):
            mother = arabic_spelling(v.mother.arabic, rng, spec.noise)
            if rng.random() < 0.5:
                mother += " " + arabic_spelling(v.mother_family.arabic, rng, spec.noise)
    age: Cell = None
    if not _missing(spec, "age", rng):
        text = _age_ar(v, rng, indic=0.0)
        age = int(text) if text.isdigit() else text
    day: Cell = None
    if not _missing(spec, "date", rng):
        if rng.random() < spec.partial:
            day = f"{r.day:%Y-%m}"
        else:
            day = datetime(r.day.year, r.day.month, r.day.day)
    return [
        given,
        father,
        grandfather,
        family,
        mother,
        _sex(r, spec, rng, "ar") or None,
        age,
        day,
        None if _missing(spec, "place", rng) else _neighbourhood_ar(v, spec, rng),
        _cause(r, spec, rng, "ar") or None,
        _note_ar(r, rng, hospital=True) or None,
    ]


def _render_khalidiya(r: Report, spec: SourceSpec, rng: Random) -> list[Cell]:
    v = r.victim
    if r.unidentified:
        name = label("name", "unidentified", "ar", rng)
    else:
        name = " ".join(_arabic_parts(_name_parts(v, rng, 0.4, r), spec, rng, r))
    place = ""
    if not _missing(spec, "place", rng):
        hood = arabic_spelling(v.neighbourhood.arabic, rng, spec.noise / 2)
        place = rng.choices(
            (hood, "حي " + hood, label("place", "homs", "ar", rng) + " - " + hood),
            weights=(0.5, 0.2, 0.3),
        )[0]
    return [
        name,
        _sex(r, spec, rng, "ar"),
        "" if _missing(spec, "age", rng) else _age_ar(v, rng, indic=0.0),
        _date_text(r, spec, rng, style="dmy"),
        place,
        _cause(r, spec, rng, "ar"),
        _status(r, spec, rng, "ar"),
        _note_ar(r, rng, hospital=True),
    ]


def _render_oldcity(r: Report, spec: SourceSpec, rng: Random) -> list[Cell]:
    v = r.victim
    given, father, family = _latin_parts(
        [v.given, v.father, v.family], spec, rng, r, articles=("Al ", "al-", "", "El-")
    )
    return [
        given,
        "" if _missing(spec, "father", rng) else father,
        "" if _missing(spec, "family", rng) else family,
        _sex(r, spec, rng, "en", usual=0.1),
        "" if _missing(spec, "age", rng) else _age_en(v, rng),
        _date_text(r, spec, rng, style="dmy0"),
        "" if _missing(spec, "place", rng) else latin_form(v.neighbourhood, rng, 0.6),
        _cause(r, spec, rng, "en"),
        _note_en(r, rng),
    ]


def _render_ngo(r: Report, spec: SourceSpec, rng: Random) -> list[Cell]:
    v = r.victim
    parts = _name_parts(v, rng, 0.1, r)
    name = " ".join(_latin_parts(parts, spec, rng, r, articles=("al-", "al-", "al-", "el-")))
    return [
        name,
        _sex(r, spec, rng, "en"),
        "" if _missing(spec, "age", rng) else _age_en(v, rng),
        _date_text(r, spec, rng),
        label("place", "homs", "en", rng),
        "" if _missing(spec, "city", rng) else label("place", "homs", "en", rng),
        "" if _missing(spec, "place", rng) else latin_form(v.neighbourhood, rng, 0.8),
        _cause(r, spec, rng, "en"),
        _status(r, spec, rng, "en"),
        _note_en(r, rng),
    ]


LAYOUTS: dict[str, Layout] = {
    "lcc_homs": Layout(
        (
            "الرقم", "الاسم الكامل", "الجنس", "العمر", "تاريخ الاستشهاد", "المحافظة", "المدينة",
            "الحي", "سبب الوفاة", "الصفة", "ملاحظات",
        ),
        _render_lcc,
    ),
    "fh_babaamr": Layout(
        (
            "الرقم", "الاسم الأول", "اسم الأب", "اسم الجد", "الكنية", "اسم الأم", "الجنس",
            "العمر", "تاريخ الوفاة", "الحي", "سبب الوفاة", "ملاحظات",
        ),
        _render_babaamr,
    ),
    "fh_khalidiya": Layout(
        (
            "الرقم", "الاسم", "الجنس", "العمر", "تاريخ الوفاة", "المكان", "سبب الوفاة", "الصفة",
            "ملاحظات",
        ),
        _render_khalidiya,
    ),
    "nb_oldcity": Layout(
        (
            "id", "first name", "father", "family", "sex", "age", "date of death",
            "neighbourhood", "cause", "notes",
        ),
        _render_oldcity,
    ),
    "ngo_national": Layout(
        (
            "record id", "full name", "sex", "age", "date of death", "governorate", "city",
            "neighbourhood", "cause of death", "status", "notes",
        ),
        _render_ngo,
    ),
}  # fmt: skip
