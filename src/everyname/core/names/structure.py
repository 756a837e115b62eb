"""Splitting a full name into given, father, grandfather and family parts.

Arabic names are chains: the person's given name, the father's, the grandfather's, then the
family name ("محمد عبد الرحمن احمد الخالدي"). Lists from Gaza's Ministry of Health give four
parts; Syrian lists often three (given, father, family). Before counting parts, the words that
form one name are grouped into one unit:

- compounds: عبد الرحمن / "Abd al-Rahman" / "Abdel Rahman", نور الدين / "Nour al-Din",
  عطا الله / "Ata Allah" (``normalise_arabic`` already joins the Arabic ones);
- "ابو X" / "Abu X" (a family name or a kunya) and the article "al-X" written apart;
- the connectors بن / ابن / بنت / "bin" / "ibn" / "bint" say the next unit is the father; they
  are dropped.

Units are then assigned from the left (given, father, grandfather) and the last unit is the
family name: 1 unit = given; 2 = given, family; 3 = given, father, family; 4 = all four. Units
between grandfather and family (a longer chain) are kept in ``others``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib import resources

from everyname.core.names.arabic import has_arabic, normalise_arabic
from everyname.core.names.keys import name_key
from everyname.core.names.latin import fold_to_ascii, normalise_latin
from everyname.core.names.placeholders import is_placeholder
from everyname.core.names.romanise import romanise
from everyname.core.schema import NAME_PARTS

PARTS = NAME_PARTS

_ARABIC_CONNECTORS = frozenset({"بن", "ابن", "بنت"})
_LATIN_CONNECTORS = frozenset({"bin", "ibn", "bint", "bn", "ben", "binti"})
_LATIN_ARTICLES = frozenset({"al", "el", "ul", "il"})
_LATIN_SUN_ARTICLE = re.compile(r"^[aeiu][tdrzsn]h?$")
_LATIN_ABD = frozenset({"abd", "abdel", "abdul", "abdal", "abdil", "abdol", "abdoul"})
_LATIN_ABU = frozenset({"abu", "abo", "abou", "aboo", "abw", "bou"})
_LATIN_SECOND = frozenset(
    {"din", "deen", "eddin", "eddine", "uddin", "addin", "aldin", "eldin", "addeen", "allah",
     "ullah", "alla", "ulla", "illah", "hlla", "ud-din", "ad-din", "al-din", "el-din", "ed-din",
     "al-zahra", "al-zahraa", "el-zahra", "az-zahra", "az-zahraa"}
)  # fmt: skip
_LATIN_AFTER_ARTICLE = _LATIN_SECOND | {"zahra", "zahraa"}  # "Fatima al Zahra"
_SPACES = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class NameParts:
    """The parts of one person's name, as a source gave them or as split from a full name.

    Arabic-script parts are held in normalised Arabic, Latin parts as written (trimmed).
    ``placeholder`` is True for "مجهول", "Unidentified 3" and the like: then every part is None.
    """

    given: str | None = None
    father: str | None = None
    grandfather: str | None = None
    family: str | None = None
    others: tuple[str, ...] = field(default=())
    placeholder: bool = False

    def parts(self) -> dict[str, str | None]:
        """The four parts by name, in chain order."""
        return {p: getattr(self, p) for p in PARTS}

    def chain(self) -> list[str]:
        """The present parts in reading order: given, father, grandfather, others, family."""
        head = [p for p in (self.given, self.father, self.grandfather) if p]
        return head + list(self.others) + ([self.family] if self.family else [])

    @cached_property
    def latin(self) -> dict[str, str | None]:
        """The comparable Latin form of each part (``romanise``), None where the part is."""
        return {p: (romanise(v) or None) if v else None for p, v in self.parts().items()}

    @cached_property
    def keys(self) -> dict[str, str | None]:
        """The cross-script key of each part (``name_key``), None where the part is missing."""
        return {p: (name_key(v) or None) if v else None for p, v in self.parts().items()}


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = normalise_arabic(value) if has_arabic(value) else _SPACES.sub(" ", value).strip()
    return value or None


def _arabic_units(text: str) -> list[str]:
    units: list[str] = []
    pending: list[str] = []
    for word in normalise_arabic(text).split():
        if word in _ARABIC_CONNECTORS and units:
            continue
        if word in ("ابو", "ام", "ال") or pending:
            pending.append(word)
            if word in ("ابو", "ام", "ال"):
                continue
            units.append(" ".join(pending))
            pending = []
            continue
        units.append(word)
    if pending:
        units.append(" ".join(pending))
    return units


def _latin_units(text: str) -> list[str]:
    words = [w for w in _SPACES.split(text.strip()) if w]
    units: list[str] = []
    pending: list[str] = []
    for word in words:
        folded = fold_to_ascii(word).replace(" ", "-")
        if folded in _LATIN_CONNECTORS and units and not pending:
            continue
        if (
            pending
            and units
            and folded in _LATIN_SECOND
            and all(fold_to_ascii(w) in _LATIN_ARTICLES for w in pending)
        ):
            units[-1] += " " + " ".join([*pending, word])  # "Nour Al Din"
            pending = []
            continue
        if len(pending) == 1 and _bare_abd(pending[0]) and not _follows_abd(folded):
            units.append(pending.pop())  # "Abd Yousef": a truncated compound, then a name
        if pending:
            pending.append(word)
            if folded in _LATIN_ARTICLES or _LATIN_SUN_ARTICLE.match(folded):
                continue
            units.append(" ".join(pending))
            pending = []
            continue
        if folded in _LATIN_SECOND and units:
            units[-1] += " " + word
            continue
        if (
            folded in _LATIN_ABD
            or folded in _LATIN_ABU
            or folded in _LATIN_ARTICLES
            or _LATIN_SUN_ARTICLE.match(folded)
        ):
            pending.append(word)
            continue
        units.append(word)
    if pending:
        units.append(" ".join(pending))
    return units


def _bare_abd(word: str) -> bool:
    return fold_to_ascii(word) == "abd"


@cache
def _abd_second_elements() -> frozenset[str]:
    table = resources.files("everyname.core").joinpath("data", "names", "abd_second_elements.tsv")
    lines = table.read_text(encoding="utf-8").splitlines()
    return frozenset(normalise_latin(w) for w in lines if w.strip() and not w.startswith("#"))


def _follows_abd(folded: str) -> bool:
    """Whether a word after a bare "Abd" is the second element of one compound name."""
    if folded in _LATIN_ARTICLES or _LATIN_SUN_ARTICLE.match(folded) or folded in _LATIN_SECOND:
        return True
    head = folded.split("-", 1)[0]
    if "-" in folded and (head in _LATIN_ARTICLES or _LATIN_SUN_ARTICLE.match(head)):
        return True  # "Abd al-Salim": the article written apart says a compound follows
    words = normalise_latin(folded).split()
    return len(words) == 1 and words[0] in _abd_second_elements()


def name_units(full_name: str) -> list[str]:
    """The words of a full name grouped into name units (compounds, "Abu X", "al X" as one).

    Words without letters (numbers left by an extraction) are not names and are dropped.
    """
    units = _arabic_units(full_name) if has_arabic(full_name) else _latin_units(full_name)
    return [u for u in units if _LETTER.search(u)]


def _assign(units: list[str]) -> dict[str, object]:
    n = len(units)
    if n == 0:
        return {}
    if n == 1:
        return {"given": units[0]}
    if n == 2:
        return {"given": units[0], "family": units[1]}
    if n == 3:
        return {"given": units[0], "father": units[1], "family": units[2]}
    return {
        "given": units[0],
        "father": units[1],
        "grandfather": units[2],
        "others": tuple(units[3:-1]),
        "family": units[-1],
    }


@lru_cache(maxsize=1 << 16)
def split_name(
    full_name: str | None,
    given: str | None = None,
    father: str | None = None,
    grandfather: str | None = None,
    family: str | None = None,
) -> NameParts:
    """Split ``full_name`` into parts; parts a source gave explicitly are kept and win.

    When a source gives parts and a full name, the full name fills the parts it left empty.
    A separate family name is taken as the end of the chain, whether or not the full name
    repeats it ("Ahmad Saleh" + family "Abu Rikab": father Saleh). Never raises.
    """
    explicit = {
        "given": _clean(given),
        "father": _clean(father),
        "grandfather": _clean(grandfather),
        "family": _clean(family),
    }
    texts = [v for v in (full_name, given, father, grandfather, family) if v and v.strip()]
    if any(is_placeholder(t) for t in texts):
        # "مجهول" as a given name beside a real family name is still an unidentified person:
        # keeping the family alone would let two unidentified relatives match on it.
        return NameParts(placeholder=True)
    split: dict[str, object] = {}
    if full_name and full_name.strip() and not is_placeholder(full_name):
        units = [u for u in (_clean(u) for u in name_units(full_name)) if u]
        family_given = explicit["family"]
        if family_given:
            # A full name next to a family column usually lacks the family name, or repeats
            # it at the end: either way the chain is the full name's units, then the family.
            if units and units[-1] == family_given:
                units.pop()
            units.append(family_given)
        split = _assign(units)
    split.update({p: v for p, v in explicit.items() if v is not None})
    return NameParts(**split)  # type: ignore[arg-type]
