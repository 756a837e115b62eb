"""Arabic-script normalisation: one spelling for the letter variants that sources mix freely.

Why rules of our own rather than a library: the folds are a short, well-known table (alef forms,
ى/ي, ة/ه, hamza carriers, Persian look-alikes, diacritics, tatweel, digits) and what a name list
needs on top of them is specific to extracted casualty lists: the spacing of compounds
(عبد الله / عبدالله, ابو X / ابوX), the reversed ``هللا`` that PDF extraction leaves for ``الله``,
stray brackets and codes appended to names. ``pyarabic`` has the letter folds but none of the
rest; ``camel-tools`` downloads its data at run time, which fails offline.

The result is meant for comparison, not display: the value as written is always kept beside it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

from everyname.core.values import strip_format

ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]")
"""An Arabic-script letter (basic block, Persian/Urdu extensions). Used to tell scripts apart."""

_TATWEEL = {0x0640: None}  # kashida: stretches a letter, is not one

# Letter folds. Each maps a variant onto the form most lists use, so that the same name typed
# on different keyboards or extracted from different PDFs compares equal.
_FOLDS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ې": "ي",
        "ۍ": "ي",
        "ئ": "ي",  # hamza on yeh carrier
        "ؤ": "و",  # hamza on waw carrier
        "ۏ": "و",
        "ة": "ه",
        "ۃ": "ه",
        "ہ": "ه",  # Urdu heh goal
        "ە": "ه",
        "ھ": "ه",  # heh doachashmee
        "ک": "ك",  # Persian keheh
        "ڪ": "ك",
        "گ": "ك",
        "ڤ": "ف",  # veh, used for foreign v
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
        "،": " ",
        "؛": " ",
        "؟": " ",
        "٫": ".",
        "٬": " ",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)

_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")
_BRACKETS = re.compile(r"[()\[\]{}<>«»\"“”„‹›]")
# Codes an extraction appended to Arabic names ("UNB8", "UN B", "63032E"): upper-case letters
# and digits. A Latin word in title or lower case ("Ahmad") is part of a mixed-script name.
_LATIN_CODE = re.compile(r"(?<![^\s])(?=[A-Z0-9]*[A-Z])[A-Z0-9]+(?![^\s])")
_SPACES = re.compile(r"\s+")

# PDF extraction of the ligature for "Allah" often yields its letters reversed.
_REVERSED_ALLAH = {"هللا": "الله", "باهلل": "بالله"}

# Second elements that never stand alone as a name: "X الدين", "X الله", "X الاسلام" are one name.
_SUFFIX_ELEMENTS = ("الدين", "الله", "الاسلام", "الزهراء")
# Prefix elements written attached or apart; the canonical form keeps "عبد X" attached (one name)
# and "ابو" apart (a kunya / family name "ابو X" is two words in careful writing).
_ABD = "عبد"
# "عبد" joins the next word when that is a name of God (with the article: عبد الرحمن), الله or
# ربه. Before any other word it is a name on its own: Gaza lists write "حمزة عبد كامل بلبل",
# Hamza son of Abd son of Kamel; joining would shift every later part of the chain.
_ABD_BARE_SECOND = frozenset({"الله", "ربه", "ربة", "رب", "ربو"})
_ABU_ATTACHED = re.compile(r"^(ابو)(ال)?(\S{2,})$")


@cache
def arabic_not_article_words() -> frozenset[str]:
    """Words that begin with ال where it is not the article (الهام "Ilham"): a reviewed table."""
    table = resources.files("everyname.core").joinpath("data", "names", "arabic_not_article.tsv")
    return frozenset(
        line.split("\t", 1)[0].strip()
        for line in table.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def _table(name: str) -> dict[str, str]:
    table = resources.files("everyname.core").joinpath("data", "names", name)
    rows = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            cells = line.split("\t")
            rows[cells[0]] = cells[1] if len(cells) > 1 else ""
    return rows


@cache
def _known_names() -> frozenset[str]:
    """Normalised Arabic words of the romanisation table: names seen in real lists."""
    return frozenset(_table("romanisation.tsv"))


@cache
def _repairs() -> dict[str, str]:
    return _table("arabic_repairs.tsv")


_LONGEST_WORD = 40
"""Letters beyond which a word is not taken for a garbled name: no name word is that long."""


def _repair(token: str) -> str:
    """Undo the reversed lam-alef ligature of PDF extraction (عالء -> علاء, االسطل -> الاسطل).

    Only for a word that is not a known name and becomes one when one ال (not the article at
    its start) is read as لا: صالح and صلاح are both names and both stay as written.
    """
    if token in _repairs():
        return _repairs()[token]
    if token.startswith("اال") and len(token) > 3:
        return "الا" + token[3:]  # no Arabic word starts with اال: the article before ا
    known = _known_names()
    if token in known or len(token) > _LONGEST_WORD:
        return token  # a word longer than any name is no garbled name (and each try copies it)
    start = token.find("ال", 1)
    while start != -1:
        candidate = token[:start] + "لا" + token[start + 2 :]
        if candidate in known:
            return candidate
        start = token.find("ال", start + 1)
    return token


def has_arabic(text: str) -> bool:
    """True when ``text`` contains at least one Arabic-script letter."""
    return bool(ARABIC_LETTER.search(text))


def _fold_letters(text: str) -> str:
    # Removing a mark can let NFKC compose what it could not before, so repeat to a fixed point.
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", text)  # presentation forms, ligatures to letters
        # Invisible format characters (zero-width, bidi marks and overrides) are not letters.
        folded = _DIACRITICS.sub("", strip_format(folded).translate(_TATWEEL)).translate(_FOLDS)
        if folded == text:
            break
        text = folded
    return text


def _canonical_compounds(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for raw in tokens:
        token = _REVERSED_ALLAH.get(raw, raw)
        if token.endswith("هللا") and len(token) > 4:
            token = token[:-4] + "الله"  # عبدهللا, عطاهللا
        elif token.endswith("باهلل") and len(token) > 5:
            token = token[:-5] + "بالله"  # المعتزباهلل
        match = _ABU_ATTACHED.match(token)
        if match:
            out.append("ابو")
            token = (match.group(2) or "") + match.group(3)
        if len(token) == 1 and ARABIC_LETTER.match(token) and out and out[-1] != "ابو":
            out[-1] += token  # a letter split off its word by extraction: "حسي ن" is حسين
            continue
        joins_previous = bool(out) and out[-1] != "ابو" and token in _SUFFIX_ELEMENTS
        joins_abd = bool(out) and (
            (out[-1] == _ABD and (token.startswith("ال") or token in _ABD_BARE_SECOND))
            or out[-1] == _ABD + "ال"  # "عبد ال رحمن": the article came apart too
        )
        if joins_previous or joins_abd:
            out[-1] += token
        elif out and out[-1] == "ال":
            out[-1] += token  # a detached article belongs to the next word
        else:
            out.append(token)
    return out


@lru_cache(maxsize=1 << 18)
def normalise_arabic(text: str) -> str:
    """Fold Arabic letter variants, remove marks and extraction artefacts, canonicalise spacing.

    Latin codes appended to an Arabic name by the extraction (``UNB8``, ``UN B``) are removed;
    digits are kept as ASCII digits so that numbered placeholders stay recognisable. Text
    without Arabic letters is only cleaned of invisible characters and extra spaces.
    Idempotent: ``normalise_arabic(normalise_arabic(x)) == normalise_arabic(x)``.
    """
    return " ".join(_repair(t) for t in arabic_words(text))


def arabic_words(text: str) -> list[str]:
    """The words of ``normalise_arabic`` before garbled words are repaired against the known
    names (used to derive that list of names from raw data without circularity)."""
    text = _fold_letters(text)
    text = _BRACKETS.sub(" ", text)
    if has_arabic(text):
        text = _LATIN_CODE.sub(" ", text)
    tokens = _SPACES.sub(" ", text).strip().split(" ")
    if tokens == [""]:
        return []
    return _canonical_compounds(tokens)
