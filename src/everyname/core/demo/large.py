"""Millions of synthetic casualty records with known duplicates, streamed, for the benchmarks.

The import benchmark needs a 1,000,000-row CSV and the linkage benchmark a large file whose
duplicates are known. Both need it quickly and in constant memory, so nothing here keeps a list
of persons: every attribute of a true person is a hash of (seed, person id, field), and a
duplicate record regenerates its person from the id alone, however far back it first appeared.
Records vary as real ones do: Arabic script or one of several romanisations, the article
written differently, typing slips, missing parts, partial dates, a day's difference.

Numbers are drawn a chunk at a time with NumPy; only the final assembly of each row's text is
Python. ``true_person_id`` holds the truth; the other headers are ones ingest recognises.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from random import Random

import numpy as np

from everyname.core.demo.spelling import ARABIC_INDIC, arabic_spelling, arabic_typo, latin_typo
from everyname.core.demo.tables import Table, labels, names_table, syrian_places

LARGE_HEADER: tuple[str, ...] = (
    "record id",
    "first name",
    "father",
    "grandfather",
    "family",
    "sex",
    "age",
    "date of death",
    "governorate",
    "city",
    "cause",
    "status",
    "true_person_id",
)
"""Columns of :func:`generate_rows` / :func:`write_large_csv`; the last one is the truth."""

FIRST_DAY = date(2011, 3, 15)
DAYS = 6 * 365
CHUNK = 20_000
_ARTICLES = ("al-", "al-", "el-", "Al ", "")
_SIBLING_SHARE = 0.3  # persons sharing father, grandfather, family, date and place with kin
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
_FIELDS = {
    name: np.uint64(k * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)
    for k, name in enumerate(
        ("sex", "given", "father", "grandfather", "family", "age", "child", "day", "place",
         "cause", "status", "kin", "grandfather_kept"),
        start=1,
    )
}  # fmt: skip


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a well-spread 64-bit hash of each value (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniform(key: np.uint64, ids: np.ndarray, field: str) -> np.ndarray:
    """A uniform [0, 1) number per id, fixed by (seed, id, field)."""
    h = _mix(_mix(ids ^ key) ^ _FIELDS[field])
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def _weighted(table: Table, u: np.ndarray) -> np.ndarray:
    cumulative = np.asarray(table.cumulative) / table.cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(table) - 1)


class _Forms:
    """Precomputed spellings per table entry, so a row costs list look-ups, not string work."""

    def __init__(self, table: Table, articles: bool) -> None:
        self.arabic = [e.arabic for e in table.entries]
        self.latin: list[list[str]] = []
        for e in table.entries:
            if articles and e.has_article:
                self.latin.append([a + stem for stem in e.latin for a in _ARTICLES])
            else:
                self.latin.append(list(e.latin))
        self.count = np.array([len(v) for v in self.latin])

    def pick(self, entries: np.ndarray, u: np.ndarray, preferred: np.ndarray) -> np.ndarray:
        """Index of the spelling: the usual one when ``preferred``, else any."""
        return np.where(preferred, 0, (u * self.count[entries]).astype(np.int64))


def _label_pair(field: str, value: str) -> tuple[str, str]:
    arabic, english = labels()[(field, value)]
    return arabic[0], english[0]


class _Vocabulary:
    def __init__(self) -> None:
        self.male = _Forms(names_table("male"), articles=False)
        self.female = _Forms(names_table("female"), articles=False)
        self.family = _Forms(names_table("family"), articles=True)
        places = syrian_places()
        self.places = places
        self.city_ar = [e.arabic for e in places.entries]
        self.city_en = [e.latin[0] for e in places.entries]
        self.gov_ar = [e.extra[0] for e in places.entries]
        self.gov_en = [e.extra[1] for e in places.entries]
        self.sex = [_label_pair("sex", v) for v in ("male", "female")]
        self.causes = ("shelling", "shooting", "airstrike", "sniper", "explosion", "torture",
                       "execution", "unknown")  # fmt: skip
        self.cause_cum = np.cumsum([0.38, 0.22, 0.14, 0.07, 0.06, 0.06, 0.03, 0.04])
        self.cause_labels = [_label_pair("cause", c) for c in self.causes]
        self.status_labels = [_label_pair("status", v) for v in ("civilian", "combatant")]
        self.days = [(FIRST_DAY + timedelta(days=d)).isoformat() for d in range(DAYS + 2)]
        self.ages = [str(a) for a in range(121)]
        self.ages_indic = [a.translate(ARABIC_INDIC) for a in self.ages]


def _chunk_rows(
    vocab: _Vocabulary,
    key: np.uint64,
    rng: np.random.Generator,
    noise_rng: Random,
    first_row: int,
    size: int,
    persons_before: int,
    duplicate_rate: float,
) -> tuple[list[tuple[str, ...]], int]:
    """``size`` rows starting at ``first_row``; returns them and the new number of persons."""
    dup = rng.random(size) < duplicate_rate
    new = ~dup
    persons_at = persons_before + np.cumsum(new) - new  # persons created before each row
    dup &= persons_at > 0
    new = ~dup
    persons_at = persons_before + np.cumsum(new) - new
    pick = (rng.random(size) * np.maximum(persons_at, 1)).astype(np.int64)
    pid = np.where(dup, pick, persons_at).astype(np.uint64)

    # The person (a pure function of the id): kin share a household's parts, date and place.
    kin = _uniform(key, pid, "kin") < _SIBLING_SHARE
    home = np.where(kin, pid // np.uint64(4) + np.uint64(1 << 40), pid)
    female = _uniform(key, pid, "sex") < 0.2
    child = _uniform(key, pid, "child") < 0.15
    u_age = _uniform(key, pid, "age")
    age = np.where(child, (u_age * 18).astype(np.int64), 18 + (u_age * 63).astype(np.int64))
    male_t, female_t, family_t = names_table("male"), names_table("female"), names_table("family")
    given = np.where(
        female,
        _weighted(female_t, _uniform(key, pid, "given")),
        _weighted(male_t, _uniform(key, pid, "given")),
    )
    father = _weighted(male_t, _uniform(key, home, "father"))
    grandfather = _weighted(male_t, _uniform(key, home, "grandfather"))
    family = _weighted(family_t, _uniform(key, home, "family"))
    day = (_uniform(key, home, "day") * DAYS).astype(np.int64)
    place = _weighted(vocab.places, _uniform(key, home, "place"))
    cause = np.minimum(
        np.searchsorted(vocab.cause_cum, _uniform(key, pid, "cause"), side="right"),
        len(vocab.causes) - 1,
    )
    combatant = (~female) & (~child) & (_uniform(key, pid, "status") < 0.15)

    # The record: how this source wrote that person.
    arabic = rng.random(size) < 0.5
    preferred = rng.random((4, size)) < np.where(dup, 0.35, 0.65)
    u_spell = rng.random((4, size))
    given_form = np.where(
        female,
        vocab.female.pick(np.where(female, given, 0), u_spell[0], preferred[0]),
        vocab.male.pick(np.where(female, 0, given), u_spell[0], preferred[0]),
    )
    father_form = vocab.male.pick(father, u_spell[1], preferred[1])
    grand_form = vocab.male.pick(grandfather, u_spell[2], preferred[2])
    family_form = vocab.family.pick(family, u_spell[3], preferred[3])
    drop_grandfather = rng.random(size) < np.where(dup, 0.5, 0.3)
    typo = rng.random(size) < np.where(dup, 0.3, 0.02)
    noisy = dup | (rng.random(size) < 0.1)
    shift = np.where(dup & (rng.random(size) < 0.2), 1, 0)
    missing_age = rng.random(size) < 0.1
    partial = rng.random(size) < 0.05
    missing_sex = rng.random(size) < 0.02
    missing_place = rng.random(size) < 0.03
    indic = arabic & (rng.random(size) < 0.2)

    male_f, female_f, family_f = vocab.male, vocab.female, vocab.family
    columns = (
        pid.tolist(), female.tolist(), given.tolist(), given_form.tolist(), father.tolist(),
        father_form.tolist(), grandfather.tolist(), grand_form.tolist(), family.tolist(),
        family_form.tolist(), age.tolist(), (day + shift).tolist(), place.tolist(), cause.tolist(),
        combatant.tolist(), arabic.tolist(), drop_grandfather.tolist(), typo.tolist(),
        noisy.tolist(), missing_age.tolist(), partial.tolist(), missing_sex.tolist(),
        missing_place.tolist(), indic.tolist(),
    )  # fmt: skip
    rows: list[tuple[str, ...]] = []
    row_id = first_row
    for (
        p, fem, g, gf, f, ff, gg, ggf, fa, faf, a, d, pl, c, comb, ar, nogg, ty, nz, noage, part,
        nosex, noplace, ind,
    ) in zip(*columns, strict=True):  # fmt: skip
        row_id += 1
        names = female_f if fem else male_f
        if ar:
            parts = [names.arabic[g], male_f.arabic[f], male_f.arabic[gg], family_f.arabic[fa]]
            if nz:
                parts = [arabic_spelling(x, noise_rng, 0.5) for x in parts]
            if ty:
                k = noise_rng.randrange(4)
                parts[k] = arabic_typo(parts[k], noise_rng)
            lang = 0
        else:
            parts = [
                names.latin[g][gf],
                male_f.latin[f][ff],
                male_f.latin[gg][ggf],
                family_f.latin[fa][faf],
            ]
            if ty:
                k = noise_rng.randrange(4)
                parts[k] = latin_typo(parts[k], noise_rng)
            lang = 1
        day_text = vocab.days[d]
        if part:
            day_text = day_text[:7]
        age_text = "" if noage else (vocab.ages_indic[a] if ind else vocab.ages[a])
        rows.append(
            (
                str(row_id),
                parts[0],
                parts[1],
                "" if nogg else parts[2],
                parts[3],
                "" if nosex else vocab.sex[fem][lang],
                age_text,
                day_text,
                "" if noplace else (vocab.gov_ar[pl] if ar else vocab.gov_en[pl]),
                "" if noplace else (vocab.city_ar[pl] if ar else vocab.city_en[pl]),
                vocab.cause_labels[c][lang],
                vocab.status_labels[comb][lang],
                str(p + 1),
            )
        )
    return rows, persons_before + int(new.sum())


def _chunks(n_rows: int, seed: int, duplicate_rate: float) -> Iterator[list[tuple[str, ...]]]:
    if n_rows < 0:
        raise ValueError(f"n_rows={n_rows}: expected a number of rows >= 0")
    if not 0.0 <= duplicate_rate < 1.0:
        raise ValueError(f"duplicate_rate={duplicate_rate}: expected a share in [0, 1)")
    vocab = _Vocabulary()
    key = _mix(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
    rng = np.random.default_rng(seed)
    noise_rng = Random(f"{seed}:large")
    persons = 0
    done = 0
    while done < n_rows:
        size = min(CHUNK, n_rows - done)
        rows, persons = _chunk_rows(vocab, key, rng, noise_rng, done, size, persons, duplicate_rate)
        done += size
        yield rows


def generate_rows(
    n_rows: int, seed: int = 2012, duplicate_rate: float = 0.1
) -> Iterator[tuple[str, ...]]:
    """Stream ``n_rows`` synthetic records as tuples in the order of :data:`LARGE_HEADER`.

    About ``duplicate_rate`` of the rows are further records of a person already generated
    (``true_person_id`` says which); memory does not grow with ``n_rows``.
    """
    for rows in _chunks(n_rows, seed, duplicate_rate):
        yield from rows


def write_large_csv(path: Path, n_rows: int, seed: int = 2012, duplicate_rate: float = 0.1) -> Path:
    """Write ``n_rows`` records (UTF-8, header :data:`LARGE_HEADER`) to ``path``; returns it."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(LARGE_HEADER)
        for rows in _chunks(n_rows, seed, duplicate_rate):
            writer.writerows(rows)
    return path
