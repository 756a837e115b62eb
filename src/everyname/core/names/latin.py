"""Latin-script names folded into one comparable form, so that romanisation variants collapse.

The same Arabic name reaches us as "Mohammed", "Muhammad", "Mohamad" or "Mohamed"; as
"Abdulrahman", "Abd al-Rahman" or "Abdel Rahman"; with "al-", "el-", "Al " or no article. This
module folds those variants onto one lower-case ASCII spelling. The result is for comparison
(Jaro-Winkler, exact match, blocking), never for display: the value as written is kept beside it.

Why rules of our own: transliteration libraries (ICU transforms, unidecode, anyascii) turn
*other scripts* into Latin; none of them knows that "ou" and "u", "ee" and "i", "Abdel" and
"Abd al-" are the same sounds in English and French romanisations of Arabic names. The folds are
few and listed below, each with the variants it merges, so a speaker can review them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

from everyname.core.values import strip_format

_APOSTROPHES = re.compile(r"['`´‘’ʼʻʿʾ\u02c8\u02bc\u2032]")
_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l",
     "ı": "i", "ħ": "h", "ŧ": "t", "ŋ": "n"}
)  # fmt: skip
_NOT_LETTER = re.compile(r"[^a-z]+")
# A word with a digit in it. Anchored at a word's start: unanchored, the search retried at every
# character of a long word without digits, which made a 100,000-letter name take a minute.
_CODE = re.compile(r"(?<!\S)[^\s\d]*\d\S*")

# The Arabic article before a name, written apart ("al Khalidi", "el-Khalidi") or assimilated to
# a sun letter ("ash-Shami", "ar-Rahman", "ad-Din").
_ARTICLES = frozenset({"al", "el", "ul", "il", "l"})
_SUN_ARTICLE = re.compile(r"^[aeiu]([tdrzsn]h?|l)$")
# Heads of "Abd X" names ("servant of X"): the compound is one given name.
_ABD_SUN = re.compile(r"^abd[aeiou]([tdrzsn]h?)$")  # "Abdur" before "Rahman"
_ABD_HEADS = frozenset({"abd", "abdel", "abdul", "abdal", "abdil", "abdol", "abdoul"})
_ABD_WEAK_HEADS = frozenset({"abdu", "abdo", "abde", "abda"})  # names on their own ("Abdo")
_ABU_HEADS = frozenset({"abu", "abo", "abou", "abw", "aboo", "bou"})
# Second elements that never stand alone: "Nour al-Din", "Ata Allah".
_DIN_WORDS = frozenset(
    {"din", "deen", "dine", "eddin", "eddine", "uddin", "addin", "iddin", "aldin", "eldin",
     "aldeen", "eldeen", "addeen", "uddeen", "eddeen", "udin", "edin", "adin", "ddin"}
)  # fmt: skip
# "Hlla" is الله as the Gaza MoH PDF extraction garbled it (هللا), romanised letter by letter.
_ALLAH_WORDS = frozenset(
    {"allah", "alla", "ullah", "ulla", "illah", "illa", "ellah", "ella", "hlla"}
)

_ABD_JOINED = re.compile(r"^abd(?:[aeiou]l|[aeiou]?([b-df-hj-np-tv-z])(?=\1))(?=[a-z]{2})")
_CONSONANTS = re.compile(r"^[b-df-hj-np-tv-xz]+$")
_ABU_ARTICLE = re.compile(r"^(?:abu|abou|abo|abw|aboo)[ae]l$")
_ABU_JOINED = re.compile(r"^(?:abu|abou|abo|abw|aboo)(?:[ae]l)?(?=[a-z]{3})")
_DIN_JOINED = re.compile(r"^([a-z]{3,}?)(?:[aeiou]?l|[aeiou]?d|[aeiou])-?d(?:i|ee|ii|e)ne?$")
_ALLAH_JOINED = re.compile(r"^([a-z]{2,}?)(?:[aeiou]?llah?|hlla)$")  # "Atallah", "Aatahlla"

# Letter folds inside a word, in order. Each line merges spellings of one Arabic sound.
# The vowel folds go further than spelling variants: Arabic writes no short vowels, so the
# vowels of a romanisation are the romaniser's guess ("Mohammed"/"Muhammad", "Yousef"/"Yusuf",
# "Imad"/"Emad"). Vowels keep two classes only, "i" (i, ee, y) and "a" (a, e, o, u), because the
# i-sound is what tells apart names that differ by a written yeh: حسن "Hassan" / حسين "Hussein",
# زياد "Ziad" / زيد "Zaid", سعد "Saad" / سعيد "Saeed". A word's first letter, when a vowel,
# is "a" ("Imad"/"Emad", "Omar"/"Umar"). What this still merges (عمر "Omar" / عامر "Amer", صالح
# "Saleh" / صلاح "Salah") the Arabic form (``*_ar``) and the other fields keep apart; what it
# gains is measured in benchmarks/names_variants.py.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"ph", "f"),  # Phadi / Fadi
        (r"ch", "sh"),  # Chadi / Shadi (French romanisation)
        (r"ck|q|c", "k"),  # Qasem / Kasem / Cassem
        (r"x", "ks"),
        (r"v", "f"),
        (r"(?<=[aeiou])w(?![aeiou])", "u"),  # Tawfik / Toufik, Fawzi / Fouzi
        (r"(?<=[a-z])y", "i"),  # Ayman / Aiman, Ziyad / Ziad, Nayef / Naif, Hamdy / Hamdi
        (r"ee", "i"),  # Saeed / Said
        (r"^[eiou]", "a"),  # Imad / Emad, Omar / Umar, Eyad / Iyad
        (r"[eou]", "a"),  # Mohammed / Muhammad, Yousef / Yusuf, Ahmed / Ahmad
        (r"([a-z])\1+", r"\1"),  # Hassan / Hasan, Mohammed / Mohamed, Alaa / Ala
        (r"(?<=a)h$", ""),  # Fatmah / Fatma, Abdallah / Abdalla
    )
)


# Abbreviations Syrian lists use for the commonest name.
_ABBREVIATIONS = {"mhd": "muhammad", "mohd": "muhammad", "muhd": "muhammad", "mhmd": "muhammad"}
_ABBREVIATIONS["hlla"] = "allah"  # الله garbled by PDF extraction (هللا), then romanised


@cache
def _known_words() -> frozenset[str]:
    """Romanised name words of the bundled romanisation table (lower case, as written there).

    "Alahmad" is "al" + "ahmad" because "ahmad" is a name and "alahmad" is not; "Alwan" stays
    whole because it is a name itself. Without such a lexicon an article glued to a name that
    starts with a vowel cannot be told from a name that starts with "al".
    """
    table = resources.files("everyname.core").joinpath("data", "names", "romanisation.tsv")
    words = set()
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            latin = line.split("\t")[1] if "\t" in line else ""
            words.update(fold_to_ascii(latin).split())
    return frozenset(words)


@cache
def _not_article_words() -> frozenset[str]:
    """Words whose leading "al"/"el" is part of the name: the listed ones, and the romanisations
    in the bundled table of Arabic names that do not begin with the article (عليان "Alaian",
    علوان "Alwan"). Each is held as written and as the letter folds leave it, because
    ``normalise_latin`` meets it in both forms on its way to a fixed point."""
    data = resources.files("everyname.core").joinpath("data", "names")
    words = set()
    for line in data.joinpath("latin_not_article.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(line.split("\t", 1)[0].strip())
    for line in data.joinpath("romanisation.tsv").read_text(encoding="utf-8").splitlines():
        arabic, _, latin = line.partition("\t")
        latin = fold_to_ascii(latin)
        if line.startswith("#") or " " in latin or arabic.startswith("ال"):
            continue
        if latin.startswith(("al", "el")):
            words.add(latin)
    return frozenset(words | {_fold_letters(w) for w in words})


def fold_to_ascii(text: str) -> str:
    """Lower-case ASCII letters and single spaces: accents stripped, apostrophes dropped.

    Characters with no Latin reading (other scripts, digits, punctuation) become spaces.
    """
    # Invisible format characters go first: a zero-width space is not a word break.
    text = unicodedata.normalize("NFKC", strip_format(text)).casefold().translate(_SPECIAL)
    text = _APOSTROPHES.sub("", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.translate(_SPECIAL)  # letters that only appear after decomposition
    return _NOT_LETTER.sub(" ", text).strip()


def _is_article(token: str) -> bool:
    return token in _ARTICLES


def _mark_articles(tokens: list[str]) -> list[str]:
    """Rewrite assimilated articles ("ash-Shami", "Abdur Rahman") as a plain "al"."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        match = _SUN_ARTICLE.match(token)
        if match and following.startswith(match.group(1)):
            out.append("al")
            continue
        match = _ABD_SUN.match(token)
        if match and following.startswith(match.group(1)):
            out.extend(("abd", "al"))
            continue
        out.append(token)
    return out


def _join_compounds(tokens: list[str]) -> list[str]:
    """Glue the words of one-name compounds and drop the article before a name."""
    out: list[str] = []
    i = 0
    count = len(tokens)
    while i < count:
        token = tokens[i]
        # The next two words by index: slicing the rest of the list at every word made a
        # name of many words quadratic.
        following = tokens[i + 1] if i + 1 < count else None
        if following is not None and (
            token in _ABD_HEADS or (token in _ABD_WEAK_HEADS and _is_article(following))
        ):
            if _is_article(following) and i + 2 < count:
                out.append("abdal" + tokens[i + 2])
                i += 3
            else:
                out.append(("abd" if token == "abd" else "abdal") + following)
                i += 2
            continue
        if out and token in _DIN_WORDS:
            out[-1] += "aldin"
            i += 1
            continue
        if out and _is_article(token) and following in ("din", "deen"):
            out[-1] += "aldin"
            i += 2
            continue
        if out and token in _ALLAH_WORDS:
            out[-1] += "allah"
            i += 1
            continue
        if _is_article(token) and following is not None:
            i += 1  # the article before a name is not compared
            continue
        if token in _ABU_HEADS and following is not None:
            out.append("abu")
            i += 1
            continue
        out.append(token)
        i += 1
    return out


_LONGEST_WORD = 40
"""Letters beyond which a word is not split into particles: no name word is that long, and
splitting "abuabuabu..." one particle at a time would recurse once per particle."""


def _split_word(token: str) -> list[str]:
    """Split attached particles: "Abushamala" -> "abu shamala", "Alkhalidi" -> "khalidi"."""
    if len(token) > _LONGEST_WORD or token in _not_article_words():
        return [token]
    if _ABU_ARTICLE.match(token):
        return ["abu", "al"]  # "Abual-Kass" reached here as "abual" + "kass"
    match = _ABU_JOINED.match(token)
    if match and token not in _ABU_HEADS:
        return ["abu", *_split_word(token[match.end() :])]
    if token.startswith("aal") and len(token) >= 6:
        return [token[3:]]  # "Aalarj": الأعرج as an extraction garbled it (األعرج)
    if not token.startswith(("al", "el")) or token in _ALLAH_WORDS or _DIN_JOINED.match(token):
        return [token]  # "Alaeddin" is one name, not al + "aeddin"
    rest = token[2:]
    if (len(rest) >= 3 and rest[0] not in "aeiouy") or (len(rest) == 2 and _CONSONANTS.match(rest)):
        return [rest]  # "Alsqa", "Alkhalidi", "Alzq"
    if len(rest) >= 4:
        return [rest]  # "Alakah" (العكة), "Alaamodi": an article glued to a vowel-initial name
    known = _known_words()
    if rest in known and token not in known:
        return [rest]
    return [token]


def _fold_letters(token: str) -> str:
    for pattern, repl in _FOLDS:
        token = pattern.sub(repl, token)
    return token


def _fold_word(token: str) -> str:
    if token == "abu":
        return token  # the particle is spelt one way already; kept readable
    if _ABD_JOINED.match(token):
        token = "abdal" + token[_ABD_JOINED.match(token).end() :]  # type: ignore[union-attr]
    match = _DIN_JOINED.match(token)
    if match and not token.startswith("abd"):
        token = match.group(1) + "aldin"
    match = _ALLAH_JOINED.match(token)
    if match:
        token = match.group(1) + "allah"
    return _fold_letters(token)


def _normalise_once(text: str) -> str:
    text = _CODE.sub(" ", text)  # "UNB8", "63032E": codes an extraction appended, not names
    tokens = [_ABBREVIATIONS.get(t, t) for t in fold_to_ascii(text).split()]
    tokens = [piece for token in tokens for piece in _split_word(token)]
    tokens = _join_compounds(_mark_articles(tokens))
    return " ".join(t for t in (_fold_word(t) for t in tokens) if t)


@lru_cache(maxsize=1 << 18)
def normalise_latin(text: str) -> str:
    """Fold a Latin-script name onto its comparable form (lower-case ASCII, variants merged).

    Never raises; the output contains only ``a-z`` and single spaces; idempotent.
    """
    # The folds shorten words, so a second pass can meet a pattern the first one created;
    # repeating to a fixed point makes the function idempotent by construction.
    for _ in range(5):
        folded = _normalise_once(text)
        if folded == text:
            break
        text = folded
    return text
