"""Places: a gazetteer of named places in both scripts, and resolution of free-text place strings.

Recorders write the same neighbourhood as الخالدية, "Khaldiyeh", "al-Khalidiya" or
"Khalidiya, Homs". The gazetteer holds each place once (id, Arabic and English names, alternate
spellings in both scripts, level, parent, coordinates where known), and ``Gazetteer.resolve``
maps a string onto an entry with a confidence. What does not resolve stays as text, and
``Gazetteer.resolve_all`` reports it, so a recorder can add the missing spelling.

The bundled starter (``data/gazetteer_syria.csv``) has Syria's 14 governorates, their districts,
the main cities and towns, the Homs neighbourhoods that recorders name, and towns and
neighbourhoods frequent in VDC's records elsewhere; a town whose district is not certain sits
directly under its governorate rather than under a guessed district. Alternate spellings
include those seen in VDC's records. Coordinates are given only for well-known city centres
(approximate, to about a kilometre) and left empty elsewhere rather than guessed; users add
their own in an extra CSV. Ids are stable: ``sy-<governorate code>`` (ISO 3166-2:SY letters),
then ``-d-`` district, ``-s-`` subdistrict, ``-c-`` city or town, ``-n-`` neighbourhood.
Users extend it with their own CSV of the same columns (``Gazetteer.load(extra_csv=...)``, or
rows kept in the database: ``Gazetteer.load(extra_batches=...)``): a row with a new id adds an
entry, a row with the id of an existing entry adds its names and alternates to that entry's
spellings (a user cannot move or re-level a bundled place). The file is validated as a whole and
every problem is reported with its file, row and column.

``Gazetteer.resolve_record`` resolves a record's place fields together (governorate down to
neighbourhood), each within the ones above it.

CSV columns: ``id, name_ar, name_en, alternates, level, parent_id, latitude, longitude``;
``alternates`` are ``|``-separated, in either script; ``level`` is one of ``LEVELS``;
``parent_id`` names an entry of the bundled file or of the same file.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from everyname.core.errors import InputRejected, Problem
from everyname.core.names.arabic import arabic_not_article_words, has_arabic, normalise_arabic
from everyname.core.names.keys import name_key
from everyname.core.names.latin import fold_to_ascii
from everyname.core.names.romanise import romanise
from everyname.core.readers import detect_encoding

LEVELS: tuple[str, ...] = (
    "governorate",
    "district",
    "subdistrict",
    "city",
    "town",
    "village",
    "neighbourhood",
)
"""Administrative and settlement levels, broadest first."""
_DEPTH = {
    "governorate": 0,
    "district": 1,
    "subdistrict": 2,
    "city": 3,
    "town": 3,
    "village": 3,
    "neighbourhood": 4,
}


def level_depth(level: str) -> int:
    """How far below a governorate a level lies (0 governorate ... 4 neighbourhood)."""
    return _DEPTH.get(level, 3)


COLUMNS: tuple[str, ...] = (
    "id",
    "name_ar",
    "name_en",
    "alternates",
    "level",
    "parent_id",
    "latitude",
    "longitude",
)
BUNDLED = "gazetteer_syria.csv"

# Words that say what kind of place follows ("حي الوعر", "Homs city"): dropped for matching,
# kept as a hint of the level meant.
_GENERIC_WORDS: dict[str, str] = {
    "حي": "neighbourhood",
    "حاره": "neighbourhood",
    "مدينه": "city",
    "بلده": "town",
    "قريه": "village",
    "محافظه": "governorate",
    "منطقه": "district",
    "ناحيه": "subdistrict",
    "neighbourhood": "neighbourhood",
    "neighborhood": "neighbourhood",
    "quarter": "neighbourhood",
    "district": "district",
    "city": "city",
    "town": "town",
    "village": "village",
    "governorate": "governorate",
    "province": "governorate",
    "subdistrict": "subdistrict",
    "area": "",
    "the": "",
}
# First words of many place names ("Tal Zahab", "Bab Hud", "Kafr Laha"): alone, inside a longer
# string, they do not name the place that happens to be called just that.
_HEAD_WORDS = frozenset(
    {
        "tal",
        "tall",
        "tell",
        "tel",
        "bab",
        "deir",
        "dayr",
        "der",
        "wadi",
        "kafr",
        "kafar",
        "kfar",
        "ain",
        "ayn",
        "ein",
        "bani",
        "beni",
        "abu",
        "jisr",
        "ras",
        "khan",
        "karm",
        "bir",
        "jabal",
        "jebel",
        "qasr",
        "sheikh",
        "shaykh",
        "hay",
        "khirbet",
        "kherbet",
        "khirbat",
        "um",
        "umm",
        "beit",
        "bayt",
        "mazraa",
        "souq",
        "suq",
        "bustan",
        "dar",
        "jub",
        "al",
        "east",
        "west",
        "north",
        "south",
        "eastern",
        "western",
        "northern",
        "southern",
        "old",
        "new",
    }
)
_SEPARATORS = re.compile(r"\s+-\s+|[,،;؛/:|()\[\]\n]+|\s+[–—]\s+")
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")

# Confidence of a match, by how it was found.
CONFIDENCE_EXACT = 1.0
CONFIDENCE_FOLDED = 0.95
CONFIDENCE_CROSS_SCRIPT = 0.9
CONFIDENCE_FUZZY = 0.8
FUZZY_LEVEL = 0.92
"""Jaro-Winkler of folded Latin forms at or above which an unknown spelling is taken as a place."""
MIN_FOLDED = 5
"""Folded forms shorter than this ("sada") say too little to match on; exact spellings only."""
AMBIGUITY_FACTOR = 0.5
PARTIAL_FACTOR = 0.8


@dataclass(frozen=True)
class Place:
    """One gazetteer entry."""

    id: str
    name_ar: str
    name_en: str
    level: str
    parent_id: str | None = None
    alternates: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None

    @property
    def name(self) -> str:
        """The English name, or the Arabic one when there is none."""
        return self.name_en or self.name_ar

    def names(self) -> tuple[str, ...]:
        """Every spelling of the entry, canonical names first."""
        return tuple(n for n in (self.name_ar, self.name_en, *self.alternates) if n)


@dataclass(frozen=True)
class PlaceMatch:
    """A place string resolved to an entry.

    ``confidence`` is 1.0 for a spelling in the gazetteer, lower when found after folding,
    across scripts, by fuzzy matching, inside a longer string, or among several entries of the
    same name (then ``alternatives`` lists the other ids).
    """

    entry: Place
    confidence: float
    matched: str
    text: str
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaceReport:
    """Resolution of many strings: what resolved, and what stayed as text (with counts)."""

    resolved: dict[str, PlaceMatch] = field(default_factory=dict)
    unresolved: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class RecordPlace:
    """The places of one record's place fields, resolved together.

    ``place`` is the most specific entry resolved (None when nothing resolved); ``by_field``
    holds each field's match; ``unresolved`` the fields whose text named no known place (kept
    as text); ``conflicts`` the fields that resolved to a place outside the broader fields'.
    """

    place: PlaceMatch | None
    by_field: dict[str, PlaceMatch]
    unresolved: dict[str, str]
    conflicts: tuple[str, ...] = ()


# A record's place fields from broad to narrow, with the level each one names.
RECORD_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("governorate", "governorate"),
    ("district", "district"),
    ("locality", "city"),
    ("neighbourhood", "neighbourhood"),
    ("place", None),
)


@dataclass(frozen=True)
class _Candidate:
    place: Place
    confidence: float
    matched: str


def _level_hint(words: list[str]) -> tuple[list[str], str | None]:
    kept = [w for w in words if w not in _GENERIC_WORDS]
    hints = [_GENERIC_WORDS[w] for w in words if _GENERIC_WORDS.get(w)]
    if not kept:
        return words, None
    return kept, hints[0] if hints else None


def _arabic_form(text: str) -> tuple[str, str | None]:
    # Lower case first: normalise_arabic drops upper-case Latin words from names as extraction
    # codes, but in a place string ("حمص - BABA AMR") they are a place.
    words = normalise_arabic(text.lower()).split()
    words, hint = _level_hint(words)
    exceptions = arabic_not_article_words()
    stripped = [
        w[2:] if w.startswith("ال") and len(w) > 3 and w not in exceptions else w for w in words
    ]
    return " ".join(stripped), hint


def _latin_light_form(text: str) -> tuple[str, str | None]:
    words = fold_to_ascii(text).split()
    words, hint = _level_hint(words)
    words = [
        w
        for w in words
        if w
        not in (
            "al",
            "el",
            "ar",
            "as",
            "ash",
            "ad",
            "az",
            "an",
            "at",
            "ez",
            "es",
            "ed",
            "er",
            "en",
            "et",
        )
    ]
    return " ".join(words), hint


def place_forms(text: str) -> tuple[str, str, str | None]:
    """(script form, folded Latin form, level hint) of a place string, for matching.

    The script form is the normalised Arabic without articles for Arabic text, else the light
    Latin form (ASCII, lower case, articles and generic words dropped); the folded Latin form is
    ``romanise`` of what remains, comparable across scripts and spellings.
    """
    if has_arabic(text):
        form, hint = _arabic_form(text)
    else:
        form, hint = _latin_light_form(text)
    folded = romanise(form).replace(" ", "") if form else ""
    return form, folded, hint


class Gazetteer:
    """Places by id, with an index of every spelling in both scripts."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._places: dict[str, Place] = {}
        for place in places:
            self._places[place.id] = place
        self._children: dict[str, list[str]] = {}
        for place in self._places.values():
            if place.parent_id:
                self._children.setdefault(place.parent_id, []).append(place.id)
        self._script_index: dict[str, list[tuple[str, str]]] = {}
        self._folded_index: dict[str, list[tuple[str, str, bool]]] = {}
        for place in self._places.values():
            for name in place.names():
                self._index(place, name)
                bare = _QUALIFIER.sub("", name)
                if bare != name:
                    self._index(place, bare)
        self._folded_keys = list(self._folded_index)
        self._records: dict[tuple[str | None, ...], RecordPlace] = {}

    def _index(self, place: Place, name: str) -> None:
        form, folded, _ = place_forms(name)
        if form:
            self._script_index.setdefault(form, []).append((place.id, name))
        if folded:
            self._folded_index.setdefault(folded, []).append((place.id, name, has_arabic(name)))

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        extra_csv: str | Path | None = None,
        *,
        extra_batches: Iterable[tuple[str, Iterable[Mapping[str, str]]]] = (),
    ) -> Gazetteer:
        """The bundled Syrian gazetteer, extended with batches of user rows and a user's CSV of
        the same columns. ``extra_batches`` are ``(name, rows)`` kept elsewhere (rows as dicts
        keyed by ``COLUMNS``, e.g. each file imported into a database, named in errors as
        ``name``, its first row as row 2), each checked against the gazetteer as the batches
        before it left it.

        Raises ``InputRejected`` listing every problem (file, row, column) when the extra rows
        have a duplicate or empty id, an unknown level or parent, or a bad coordinate.
        """
        bundled = resources.files("everyname.core").joinpath("data", BUNDLED)
        places = _read_csv(bundled.read_text(encoding="utf-8"), BUNDLED, known={})
        for name, rows in extra_batches:
            places = read_place_rows(rows, name, known=places).apply(places)
        if extra_csv is not None:
            path = Path(extra_csv)
            places = read_places_file(path, known=places).apply(places)
        return cls(places)

    # -- navigation ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._places)

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places.values())

    def __contains__(self, place_id: object) -> bool:
        return place_id in self._places

    def get(self, place_id: str) -> Place:
        """The entry with this id (KeyError naming it when there is none)."""
        return self._places[place_id]

    def ancestors(self, place_id: str) -> list[Place]:
        """The entries above ``place_id``, nearest first (its city, district, governorate)."""
        out: list[Place] = []
        parent = self._places[place_id].parent_id
        while parent and parent in self._places and len(out) < len(self._places):
            out.append(self._places[parent])
            parent = self._places[parent].parent_id
        return out

    def descendants(self, place_id: str) -> list[Place]:
        """Every entry below ``place_id`` (not itself), for "everything in Homs" counts."""
        out: list[Place] = []
        stack = list(self._children.get(place_id, ()))
        while stack:
            child = stack.pop()
            out.append(self._places[child])
            stack.extend(self._children.get(child, ()))
        return out

    def at_level(self, place_id: str, levels: Iterable[str]) -> Place | None:
        """The entry itself or its nearest ancestor of one of ``levels`` ("Baba Amr" at the
        governorate level is Homs governorate), or None when no entry of that level holds it."""
        wanted = set(levels)
        if place_id not in self._places:
            return None
        for place in (self._places[place_id], *self.ancestors(place_id)):
            if place.level in wanted:
                return place
        return None

    def labels(self, place_id: str) -> tuple[str, str]:
        """(English, Arabic) name of an entry, each falling back on the other when missing."""
        place = self._places[place_id]
        return place.name_en or place.name_ar, place.name_ar or place.name_en

    # -- resolution ------------------------------------------------------------------------

    def _exact(self, text: str) -> list[_Candidate]:
        form, folded, _ = place_forms(text)
        found: dict[str, _Candidate] = {}

        def add(place_id: str, confidence: float, matched: str) -> None:
            if place_id not in found or found[place_id].confidence < confidence:
                found[place_id] = _Candidate(self._places[place_id], confidence, matched)

        for place_id, name in self._script_index.get(form, ()):
            add(place_id, CONFIDENCE_EXACT, name)
        if len(folded) >= MIN_FOLDED:
            script_arabic = has_arabic(text)
            for place_id, name, name_arabic in self._folded_index.get(folded, ()):
                same = name_arabic == script_arabic
                add(place_id, CONFIDENCE_FOLDED if same else CONFIDENCE_CROSS_SCRIPT, name)
        return list(found.values())

    def _fuzzy(self, text: str) -> list[_Candidate]:
        """A near spelling: close in Jaro-Winkler *and* with the same consonant skeleton, so
        that "Khaldiah" finds Khalidiya while "Hesyaa" does not become Hasakah."""
        form, folded, _ = place_forms(text)
        if len(folded) < MIN_FOLDED:
            return []
        skeleton = name_key(form)
        for key, score, _ in process.extract(
            folded,
            self._folded_keys,
            scorer=JaroWinkler.similarity,
            score_cutoff=FUZZY_LEVEL,
            limit=5,
        ):
            if name_key(key) == skeleton and abs(len(key) - len(folded)) <= max(1, len(key) // 5):
                return [
                    _Candidate(self._places[place_id], CONFIDENCE_FUZZY * score, name)
                    for place_id, name, _ in self._folded_index[key]
                ]
        return []

    def _segment_candidates(self, segment: str) -> tuple[list[_Candidate], bool]:
        """Candidates for one segment; True when only part of the segment matched."""
        found = self._exact(segment)
        if found:
            return found, False
        words = segment.split()
        for size in range(len(words) - 1, 0, -1):
            spans = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
            spans = [s for s in spans if fold_to_ascii(s) not in _HEAD_WORDS]
            partial = [c for span in spans for c in self._exact(span)]
            if partial:
                return partial, True
        return self._fuzzy(segment), False

    def resolve(
        self, text: str | None, level: str | None = None, within: str | None = None
    ) -> PlaceMatch | None:
        """The entry a place string names, or None when it names none the gazetteer knows.

        Works in both scripts, with or without articles, for alternate spellings, and for
        strings such as "Baba Amr, Homs" or "حمص - بابا عمرو", where the other parts confirm
        the parent and the most specific part wins. ``level`` (e.g. ``"governorate"`` for a
        governorate column) prefers entries of that level. When one name fits a place and its
        parents ("Homs": governorate, district, city), the broadest is chosen unless ``level``
        says otherwise: it contains whichever was meant. ``within`` (an id, e.g. the record's
        governorate) prefers entries at or below that place when the name also exists elsewhere.
        """
        if text is None or not text.strip():
            return None
        whole, partial = self._segment_candidates(text.strip())
        segments: list[tuple[list[_Candidate], bool]] = []
        if whole and not partial:
            segments = [(whole, False)]
        else:
            pieces = [p.strip() for p in _SEPARATORS.split(text) if p and p.strip()]
            segments = [self._segment_candidates(p) for p in pieces] if len(pieces) > 1 else []
            if not any(c for c, _ in segments):
                segments = [(whole, partial)]
        segments = [(self._inside(c, within), p) for c, p in segments if c]
        if not segments:
            return None
        hint = level or place_forms(text)[2]
        return self._choose(text, segments, hint, within)

    def _choose(
        self,
        text: str,
        segments: list[tuple[list[_Candidate], bool]],
        hint: str | None,
        within: str | None = None,
    ) -> PlaceMatch:
        """The entry a string names. Within one part of the string, unrelated entries of one
        name are told apart by the level hinted, the other parts (a parent they mention),
        the match's confidence; what remains tied is ambiguous: the broader entry is chosen
        (a governorate is more often meant than a village of its name) and the others are
        reported as ``alternatives``. Across parts, the most specific entry wins ("Baba Amr,
        Homs")."""
        segments = [(self._prune(c, hint), p) for c, p in segments]
        mentioned = [{c.place.id for c in candidates} for candidates, _ in segments]

        def evidence(index: int, candidate: _Candidate) -> tuple[int, int, int, float]:
            lineage = {a.id for a in self.ancestors(candidate.place.id)}
            confirmed = sum(bool(lineage & ids) for j, ids in enumerate(mentioned) if j != index)
            inside = int(within is not None and (within in lineage or candidate.place.id == within))
            hinted = int(hint is not None and candidate.place.level == hint)
            return (inside, hinted, confirmed, candidate.confidence)

        picks: list[tuple[tuple[int, int, int, float], _Candidate, bool, list[str]]] = []
        for index, (candidates, partial) in enumerate(segments):
            ranked = sorted(
                candidates,
                key=lambda c: (evidence(index, c), -_DEPTH.get(c.place.level, 3)),
                reverse=True,
            )
            top = ranked[0]
            chain = {top.place.id, *(a.id for a in self.ancestors(top.place.id))}
            rivals = [
                c.place.id
                for c in ranked[1:]
                if evidence(index, c) == evidence(index, top) and c.place.id not in chain
            ]
            picks.append((evidence(index, top), top, partial, rivals))
        _, best, partial, rivals = max(
            picks, key=lambda p: (p[0][:3], _DEPTH.get(p[1].place.level, 3), p[0][3])
        )
        confidence = best.confidence * (PARTIAL_FACTOR if partial else 1.0)
        lineage = {best.place.id, *(a.id for a in self.ancestors(best.place.id))}
        disagreeing = [
            c.place.id
            for _, c, _, _ in picks
            if c.place.id not in lineage
            and best.place.id not in {a.id for a in self.ancestors(c.place.id)}
        ]
        if disagreeing:
            # "Sfaireh: Mazraa village": the parts name places that do not contain each other.
            rivals = [*rivals, *disagreeing]
        if rivals:
            confidence *= AMBIGUITY_FACTOR
        return PlaceMatch(
            best.place, round(confidence, 3), best.matched, text, tuple(sorted(rivals))
        )

    def _inside(self, candidates: list[_Candidate], within: str | None) -> list[_Candidate]:
        if within is None or within not in self._places:
            return candidates
        inside = [
            c
            for c in candidates
            if c.place.id == within or within in {a.id for a in self.ancestors(c.place.id)}
        ]
        return inside or candidates

    def _prune(self, candidates: list[_Candidate], hint: str | None) -> list[_Candidate]:
        """One name for a place and its parents ("Homs"): keep the level hinted, else the
        broadest, which contains whichever was meant."""
        hinted = [c for c in candidates if hint is not None and c.place.level == hint]
        if hinted:
            return hinted
        ids = {c.place.id for c in candidates}
        return [c for c in candidates if not ids & {a.id for a in self.ancestors(c.place.id)}]

    def resolve_record(self, fields: Mapping[str, str | None]) -> RecordPlace:
        """Resolve a record's place fields (``governorate``, ``district``, ``locality``,
        ``neighbourhood``, ``place``) from broad to narrow, each within the ones above it.

        "Jobar" in the neighbourhood column of a record whose governorate is Homs is Homs's
        Jobar. A field naming a place outside the broader ones is reported in ``conflicts``
        (the narrower place is kept: recorders write neighbourhoods more carefully than
        governorates, and the conflict is there to review).
        """
        key = tuple(None if fields.get(n) is None else str(fields.get(n)) for n, _ in RECORD_FIELDS)
        if key not in self._records:
            # Persons repeat a few place strings: each combination is resolved once.
            self._records[key] = self._resolve_record(
                dict(zip((n for n, _ in RECORD_FIELDS), key, strict=True))
            )
        return self._records[key]

    def _resolve_record(self, fields: Mapping[str, str | None]) -> RecordPlace:
        by_field: dict[str, PlaceMatch] = {}
        unresolved: dict[str, str] = {}
        conflicts: list[str] = []
        context: str | None = None
        best: PlaceMatch | None = None
        for name, level in RECORD_FIELDS:
            text = fields.get(name)
            if text is None or not str(text).strip():
                continue
            match = self.resolve(str(text), level=level, within=context)
            if match is None:
                unresolved[name] = str(text)
                continue
            by_field[name] = match
            place_id = match.entry.id
            lineage = {place_id, *(a.id for a in self.ancestors(place_id))}
            if context is not None and context not in lineage:
                if best is not None and place_id in {a.id for a in self.ancestors(best.entry.id)}:
                    continue  # a broader field repeated lower down ("Homs" as locality)
                conflicts.append(name)
            if best is None or _DEPTH.get(match.entry.level, 3) >= _DEPTH.get(best.entry.level, 3):
                best, context = match, place_id
        return RecordPlace(best, by_field, unresolved, tuple(conflicts))

    def resolve_all(
        self, texts: Iterable[str | None], level: str | None = None, within: str | None = None
    ) -> PlaceReport:
        """Resolve many strings at once; what does not resolve is counted in ``unresolved``."""
        report = PlaceReport()
        for text in texts:
            if text is None or not text.strip() or text in report.resolved:
                continue
            match = self.resolve(text, level=level, within=within)
            if match is None:
                report.unresolved[text] += 1
            else:
                report.resolved[text] = match
        return report


def _parse_coordinate(value: str, low: float, high: float) -> float | None:
    if not value.strip():
        return None
    number = float(value)
    if not low <= number <= high:
        raise ValueError(value)
    return number


@dataclass(frozen=True)
class PlaceAdditions:
    """What a user's gazetteer rows add: new entries, and spellings of existing entries."""

    entries: tuple[Place, ...] = ()
    spellings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rows: tuple[tuple[int, Mapping[str, str]], ...] = ()
    """The rows read, as (row number, cells by column), for keeping them elsewhere."""

    def apply(self, places: Iterable[Place]) -> list[Place]:
        """``places`` with the spellings added to their entries and the new entries after."""
        out = []
        for place in places:
            extra = [s for s in self.spellings.get(place.id, ()) if s not in place.names()]
            if extra:
                place = replace(place, alternates=(*place.alternates, *dict.fromkeys(extra)))
            out.append(place)
        return out + list(self.entries)


def _read_csv(text: str, file: str, known: dict[str, Place]) -> list[Place]:
    """Rows of a gazetteer CSV as new entries, or InputRejected with every problem found."""
    return list(_parse_csv(text, file, list(known.values())).entries)


def read_places_file(path: str | Path, known: Iterable[Place] = ()) -> PlaceAdditions:
    """A user's gazetteer CSV checked against ``known`` entries: UTF-8 (with or without BOM),
    UTF-16 or Windows-1256, told apart as lists are (``readers.detect_encoding``).

    Raises ``InputRejected`` naming the file, row, column and what was expected for every
    problem found, so a whole file is corrected in one pass.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
        text = data.decode(detect_encoding(data, complete=True))
    except (OSError, UnicodeDecodeError) as error:
        raise InputRejected(
            [Problem(file=str(path), expected=f"a readable UTF-8 CSV file ({error})")]
        ) from error
    return _parse_csv(text, str(path), list(known))


def _parse_csv(text: str, file: str, known: list[Place]) -> PlaceAdditions:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("id", "level") if c not in header]
    if missing or not ({"name_ar", "name_en"} & set(header)):
        raise InputRejected(
            [Problem(file=file, expected=f"a header with the columns {', '.join(COLUMNS)}")]
        )
    return read_place_rows(reader, file, known)


def read_place_rows(
    rows: Iterable[Mapping[str, str | None]],
    file: str,
    known: Iterable[Place] = (),
    *,
    start: int = 2,
) -> PlaceAdditions:
    """Gazetteer rows (dicts keyed by ``COLUMNS``) checked against ``known`` entries.

    A row with a new id is a new entry: it needs a level of ``LEVELS``, a name, a parent that
    exists (known or in these rows) and coordinates in range, if any. A row with a known id adds
    its names and alternates to that entry's spellings; its level, parent and coordinates must
    be empty or the entry's own. ``start`` is the row number of the first row (2 in a file with
    a header). Raises ``InputRejected`` with every problem found.
    """
    known_by_id = {p.id: p for p in known}
    problems: list[Problem] = []
    places: list[Place] = []
    spellings: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    read: list[tuple[int, dict[str, str]]] = []
    for row_number, raw in enumerate(rows, start=start):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        read.append((row_number, row))
        place_id = row.get("id", "")
        if not place_id:
            problems.append(Problem(file, "a non-empty id", row_number, "id", ""))
            continue
        if place_id in seen:
            problems.append(
                Problem(
                    file,
                    f"an id not already used (row {seen[place_id]} has it)",
                    row_number,
                    "id",
                    place_id,
                )
            )
            continue
        names = [
            *(row.get(c, "") for c in ("name_ar", "name_en")),
            *(a.strip() for a in row.get("alternates", "").split("|")),
        ]
        names = [n for n in names if n]
        coordinates: list[float | None] = []
        for column, low, high in (("latitude", -90.0, 90.0), ("longitude", -180.0, 180.0)):
            try:
                coordinates.append(_parse_coordinate(row.get(column, ""), low, high))
            except ValueError:
                problems.append(
                    Problem(
                        file,
                        f"a decimal number between {low:g} and {high:g}, or empty",
                        row_number,
                        column,
                        row.get(column, ""),
                    )
                )
                coordinates.append(None)
        if place_id in known_by_id:
            problems += _spelling_row_problems(
                known_by_id[place_id], row, coordinates, names, file, row_number
            )
            spellings.setdefault(place_id, []).extend(names)
            continue
        seen[place_id] = row_number
        level = row.get("level", "")
        if level not in LEVELS:
            problems.append(
                Problem(file, f"one of {', '.join(LEVELS)}", row_number, "level", level)
            )
        if not row.get("name_ar") and not row.get("name_en"):
            problems.append(Problem(file, "an Arabic or English name", row_number, "name_en", ""))
        places.append(
            Place(
                id=place_id,
                name_ar=row.get("name_ar", ""),
                name_en=row.get("name_en", ""),
                level=level,
                parent_id=row.get("parent_id") or None,
                alternates=tuple(
                    a.strip() for a in row.get("alternates", "").split("|") if a.strip()
                ),
                latitude=coordinates[0],
                longitude=coordinates[1],
            )
        )
    every = {**known_by_id, **{p.id: p for p in places}}
    for place in places:
        if place.parent_id and place.parent_id not in every:
            problems.append(
                Problem(
                    file,
                    "the id of an entry in the bundled gazetteer or in this file",
                    seen[place.id],
                    "parent_id",
                    place.parent_id,
                )
            )
    problems.extend(_cycles(places, every, file, seen))
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise InputRejected(
            problems, f"{file}: {len(problems)} problem(s); nothing was added to the gazetteer"
        )
    return PlaceAdditions(tuple(places), {k: tuple(v) for k, v in spellings.items()}, tuple(read))


def _spelling_row_problems(
    place: Place,
    row: Mapping[str, str],
    coordinates: list[float | None],
    names: list[str],
    file: str,
    row_number: int,
) -> list[Problem]:
    """A row naming a known entry adds spellings; it cannot move or re-level the entry."""
    problems = []
    if not names:
        problems.append(
            Problem(file, f"a name or alternate to add to {place.id}", row_number, "alternates", "")
        )
    for column, given, own in (
        ("level", row.get("level", ""), place.level),
        ("parent_id", row.get("parent_id", ""), place.parent_id or ""),
    ):
        if given and given != own:
            problems.append(
                Problem(
                    file,
                    f"empty or {own!r}: {place.id} is already in the gazetteer, and a row with "
                    "its id only adds spellings",
                    row_number,
                    column,
                    given,
                )
            )
    for column, given, own in (
        ("latitude", coordinates[0], place.latitude),
        ("longitude", coordinates[1], place.longitude),
    ):
        if given is not None and given != own:
            shown = "" if own is None else f" or {own:g}"
            problems.append(
                Problem(
                    file,
                    f"empty{shown}: {place.id} is already in the gazetteer, and a row with its "
                    "id only adds spellings",
                    row_number,
                    column,
                    row.get(column, ""),
                )
            )
    return problems


def _cycles(
    places: list[Place], every: dict[str, Place], file: str, rows: dict[str, int]
) -> list[Problem]:
    problems = []
    for place in places:
        steps, parent = 0, place.parent_id
        while parent and parent in every and steps <= len(every):
            if parent == place.id:
                problems.append(
                    Problem(
                        file,
                        "a parent chain that does not lead back to the entry itself",
                        rows[place.id],
                        "parent_id",
                        place.parent_id,
                    )
                )
                break
            parent, steps = every[parent].parent_id, steps + 1
    return problems
