"""The Homs demo: five partly overlapping lists of people killed, 3–9 February 2012, and the truth.

``generate_demo`` simulates the true victims (families, relatives, single deaths), lets each
source document some of them (capture depends on the source and the person), writes every list
in its own layout, language, encoding and format, and writes the answers beside them: which
record is which person (for linkage), who was killed but named by no list (for estimation), and
aggregate claims without names (for counting). Everything follows from the seed.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from random import Random

from everyname.core.demo.layouts import LAYOUTS, Cell, Layout, Report, label
from everyname.core.demo.manifest import DemoFile, DemoManifest, write_manifest
from everyname.core.demo.population import FIRST_DAY, LAST_DAY, Victim, simulate_victims
from everyname.core.demo.sources import SOURCES, SourceSpec
from everyname.core.demo.spelling import latin_family, latin_form
from everyname.core.demo.tables import labels
from everyname.core.demo.writers import write_csv, write_xlsx
from everyname.core.errors import EverynameError

GROUND_TRUTH_NAME = "ground_truth.csv"
PERSONS_NAME = "persons_truth.csv"
CLAIMS_NAME = "claims.csv"
HISTORIES_NAME = "capture_histories.csv"
GROUND_TRUTH_COLUMNS = ("file", "source", "source_record_id", "person_id", "row")
CLAIMS_COLUMNS = ("source", "date", "place", "category", "count", "text")
STATUS_DISPUTES = 6
"""How many victims two sources disagree about (civilian in one list, combatant in another)."""
UNIDENTIFIED_PER_HOSPITAL = 2

_STATUS_SOURCES = ("lcc_homs", "fh_khalidiya", "ngo_national")


def _capture(
    victims: list[Victim], rng: Random
) -> tuple[dict[str, list[Victim]], dict[str, float]]:
    """Who each source names, and how many it names on average (the sum of probabilities)."""
    captured: dict[str, list[Victim]] = {}
    expected: dict[str, float] = {}
    for spec in SOURCES:
        copied = {v.person_id for v in captured.get(spec.capture.copies or "", [])}
        chosen, total = [], 0.0
        for v in victims:
            p = spec.capture.probability(v, v.person_id in copied)
            total += p
            if rng.random() < p:
                chosen.append(v)
        captured[spec.code] = chosen
        expected[spec.code] = total
    return captured, expected


def _disputes(captured: dict[str, list[Victim]], rng: Random) -> dict[str, str]:
    """Victims whose status two sources disagree on → the source that got it "wrong"."""
    seen: dict[str, list[str]] = defaultdict(list)
    for code in _STATUS_SOURCES:
        for v in captured[code]:
            if v.sex == "male" and not v.is_child:  # nobody calls a child or a woman a fighter
                seen[v.person_id].append(code)
    candidates = sorted(pid for pid, codes in seen.items() if len(codes) >= 2)
    chosen = rng.sample(candidates, min(STATUS_DISPUTES, len(candidates)))
    return {pid: rng.choice(seen[pid]) for pid in sorted(chosen)}


def _unidentified(captured: dict[str, list[Victim]], rng: Random) -> dict[str, set[str]]:
    """Bodies a field hospital could not name: victims no other list names either."""
    counts = Counter(v.person_id for vs in captured.values() for v in vs)
    result: dict[str, set[str]] = {}
    for code in ("fh_babaamr", "fh_khalidiya"):
        only_here = sorted(v.person_id for v in captured[code] if counts[v.person_id] == 1)
        k = min(UNIDENTIFIED_PER_HOSPITAL, len(only_here))
        result[code] = set(rng.sample(only_here, k))
    return result


def _reports(
    spec: SourceSpec,
    victims: list[Victim],
    disputes: dict[str, str],
    unidentified: set[str],
    family_sizes: Counter[str],
    rng: Random,
) -> list[Report]:
    reports = []
    for v in victims:
        status = v.status
        if disputes.get(v.person_id) == spec.code:
            status = "civilian" if v.status == "combatant" else "combatant"
        late = rng.random() < spec.shift
        reports.append(
            Report(
                victim=v,
                day=v.date_of_death + timedelta(days=late),
                status=status,
                unidentified=v.person_id in unidentified,
                with_family=family_sizes[v.household] > 1,
                disputed=v.person_id in disputes,
            )
        )
    if spec.duplicate > 0:
        named = [r for r in reports if not r.unidentified]
        k = min(len(named), max(2, round(spec.duplicate * len(reports))))
        for r in rng.sample(named, k):
            late = rng.random() < 0.3
            reports.append(replace(r, duplicate=True, day=r.day + timedelta(days=late)))
    # Lists run in the order deaths were reported; within a day the order is arbitrary.
    keyed = [(r.day, rng.random(), r) for r in reports]
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [r for _, _, r in keyed]


def _record_ids(spec: SourceSpec, n: int, rng: Random) -> list[str | int]:
    if spec.code in ("lcc_homs", "fh_babaamr"):
        return list(range(1, n + 1))
    if spec.code == "fh_khalidiya":
        return [f"KH-{i:03d}" for i in range(1, n + 1)]
    if spec.code == "nb_oldcity":
        return [f"OC{i:02d}" for i in range(1, n + 1)]
    ids, current = [], 10_000 + rng.randint(0, 5_000)
    for _ in range(n):
        current += rng.randint(1, 40)
        ids.append(current)
    return ids


def _unknown_labels() -> set[str]:
    return {
        text for (_, value), (ar, en) in labels().items() if value == "unknown" for text in ar + en
    }


def _ensure_missing(
    layout: Layout, rows: list[list[Cell]], reports: list[Report], rng: Random
) -> None:
    """Every optional column has at least one missing value, as every real list does (never
    the status of a victim the sources disagree on: that disagreement must stay visible)."""
    unknown = _unknown_labels()
    free = [i for i, r in enumerate(reports) if not r.disputed] or list(range(len(rows)))
    for col in range(2, len(layout.columns)):
        if not any(row[col] in (None, "") or row[col] in unknown for row in rows):
            rows[rng.choice(free)][col] = None


def _render_source(
    spec: SourceSpec, reports: list[Report], rng: Random
) -> tuple[list[list[Cell]], list[str | int]]:
    layout = LAYOUTS[spec.code]
    ids = _record_ids(spec, len(reports), rng)
    rows = [[rid, *layout.render(r, spec, rng)] for rid, r in zip(ids, reports, strict=True)]
    if rows:
        _ensure_missing(layout, rows, reports, rng)
    return rows, ids


def _write_source(spec: SourceSpec, path: Path, rows: list[list[Cell]]) -> None:
    layout = LAYOUTS[spec.code]
    if spec.format == "xlsx":
        date_col = layout.columns.index("تاريخ الوفاة")
        write_xlsx(
            path,
            "الشهداء",
            layout.columns,
            rows,
            number_formats={date_col: "yyyy-mm-dd"},
            title=spec.name,
        )
    else:
        assert spec.encoding is not None
        line_end = "\r\n" if spec.encoding == "cp1256" else "\n"
        write_csv(path, layout.columns, rows, spec.encoding, line_end)


def _latin_name(v: Victim) -> str:
    rng = Random(0)  # the usual romanisation, for reading the truth file; not a source's spelling
    parts = [latin_form(p, rng, 1.0) for p in (v.given, v.father, v.grandfather)]
    return " ".join([*parts, latin_family(v.family, rng, 1.0, ("al-",))])


def _write_persons(
    path: Path,
    victims: list[Victim],
    sources_of: dict[str, list[str]],
    disputes: dict[str, str],
    unidentified: dict[str, set[str]],
) -> None:
    header = (
        "person_id", "household", "name_arabic", "name_latin", "given_arabic", "father_arabic",
        "grandfather_arabic", "family_arabic", "sex", "age", "age_months",
        "age_group", "date_of_death", "neighbourhood", "neighbourhood_arabic", "cause", "status",
        "sources", "status_disputed_by", "unidentified_in",
    )  # fmt: skip
    rows = []
    for v in victims:
        arabic = " ".join(p.arabic for p in (v.given, v.father, v.grandfather, v.family))
        unnamed_in = sorted(code for code, pids in unidentified.items() if v.person_id in pids)
        rows.append(
            (
                v.person_id, v.household, arabic, _latin_name(v), v.given.arabic,
                v.father.arabic, v.grandfather.arabic, v.family.arabic, v.sex, v.age,
                v.age_months or "", "child" if v.is_child else "adult",
                v.date_of_death.isoformat(), v.neighbourhood.latin[0], v.neighbourhood.arabic,
                v.cause, v.status, ";".join(sources_of.get(v.person_id, [])),
                disputes.get(v.person_id, ""), ";".join(unnamed_in),
            )
        )  # fmt: skip
    write_csv(path, header, rows, "utf-8")


def _claims(victims: list[Victim]) -> list[tuple[str, str, str, str, int, str]]:
    """Aggregate statements without names, as press agencies and committees made them.

    The opposition figures are rounded from the true named deaths; the state-media figure
    concerns army and security members, who are in none of the named lists.
    """
    by_day = Counter(v.date_of_death for v in victims)
    north_4 = sum(1 for v in victims if v.area == "north" and v.date_of_death == date(2012, 2, 4))
    baba_amr = sum(1 for v in victims if v.neighbourhood.latin[0] == "Baba Amr")
    children = sum(1 for v in victims if v.is_child)
    return [
        (
            "SANA", "2012-02-07", "Homs", "army_security", 30,
            "30 army and security members killed by armed terrorist groups in Homs buried",
        ),
        (
            "SANA", "2012-02-04", "Homs", "army_security", 7,
            "7 law enforcement members killed in attacks on checkpoints in Homs",
        ),
        (
            "Local Coordination Committees", "2012-02-04", "al-Khalidiya", "killed",
            5 * round(north_4 * 1.3 / 5),
            f"More than {5 * round(north_4 * 1.3 / 5)} martyrs in the massacre of al-Khalidiya",
        ),
        (
            "Syrian Observatory for Human Rights", "2012-02-06", "Homs", "civilians",
            by_day[date(2012, 2, 6)] + 4,
            f"At least {by_day[date(2012, 2, 6)] + 4} civilians killed in the shelling of Homs",
        ),
        (
            "Baba Amr field hospital", "2012-02-09", "بابا عمرو", "killed", 10 * (baba_amr // 10),
            f"حصيلة القصف على بابا عمرو منذ السبت تجاوزت {10 * (baba_amr // 10)} شهيداً",
        ),
        (
            "Local Coordination Committees", "2012-02-09", "Homs", "children", children,
            f"{children} children among the martyrs of Homs since 3 February",
        ),
    ]  # fmt: skip


def _write_histories(path: Path, sources_of: dict[str, list[str]]) -> None:
    """The true capture histories (as perfect linkage would find them), in the format
    ``everyname estimate --histories`` reads: one 0/1 column per list and a ``count``."""
    codes = [spec.code for spec in SOURCES]
    patterns = Counter(tuple(int(c in found) for c in codes) for found in sources_of.values())
    rows = [(*pattern, n) for pattern, n in sorted(patterns.items(), reverse=True)]
    write_csv(path, (*codes, "count"), rows, "utf-8")


class DemoError(EverynameError):
    """The demo could not be generated (e.g. the output folder is not writable)."""


def generate_demo(out_dir: Path, seed: int = 2012, n_victims: int = 300) -> DemoManifest:
    """Write the Homs demo lists, their ground truth and claims into ``out_dir``.

    ``n_victims`` is the true number killed, including those no list names. The same seed
    writes byte-identical files. Returns the manifest (also written as ``manifest.json``).
    """
    if n_victims < 20:
        raise DemoError(f"n_victims={n_victims}: the demo needs at least 20 victims")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"{out_dir}: cannot create the demo folder ({exc})") from exc
    out_dir = out_dir.resolve()
    victims = simulate_victims(Random(f"{seed}:population"), n_victims)
    captured, expected = _capture(victims, Random(f"{seed}:capture"))
    choice_rng = Random(f"{seed}:choices")
    disputes = _disputes(captured, choice_rng)
    unidentified = _unidentified(captured, choice_rng)
    family_sizes = Counter(v.household for v in victims)

    files: list[DemoFile] = []
    truth_rows: list[tuple[str, str, str, str, int]] = []
    sources_of: dict[str, list[str]] = defaultdict(list)
    for spec in SOURCES:
        rng = Random(f"{seed}:{spec.code}")
        reports = _reports(
            spec,
            captured[spec.code],
            disputes,
            unidentified.get(spec.code, set()),
            family_sizes,
            rng,
        )
        rows, ids = _render_source(spec, reports, rng)
        path = out_dir / spec.filename
        _write_source(spec, path, rows)
        mapping = None
        if spec.mapping:
            mapping = out_dir / spec.mapping
            text = resources.files(__package__).joinpath("mappings", spec.mapping).read_bytes()
            mapping.write_bytes(text)
        for i, (rid, r) in enumerate(zip(ids, reports, strict=True)):
            truth_rows.append((spec.filename, spec.code, str(rid), r.victim.person_id, i + 2))
        for v in captured[spec.code]:
            sources_of[v.person_id].append(spec.code)
        files.append(
            DemoFile(
                path=path,
                source_code=spec.code,
                source_name=spec.name,
                source_kind=spec.kind,
                format=spec.format,
                encoding=spec.encoding,
                script=spec.script,
                records=len(reports),
                persons=len(captured[spec.code]),
                expected_persons=round(expected[spec.code], 3),
                mapping=mapping,
            )
        )

    ground_truth = out_dir / GROUND_TRUTH_NAME
    write_csv(ground_truth, GROUND_TRUTH_COLUMNS, truth_rows, "utf-8")
    persons_truth = out_dir / PERSONS_NAME
    _write_persons(persons_truth, victims, sources_of, disputes, unidentified)
    claims = out_dir / CLAIMS_NAME
    write_csv(claims, CLAIMS_COLUMNS, _claims(victims), "utf-8")
    histories = out_dir / HISTORIES_NAME
    _write_histories(histories, sources_of)

    manifest = DemoManifest(
        out_dir=out_dir,
        seed=seed,
        place=f"{label('place', 'homs', 'en', Random(0), 1.0)}, Syria",
        period_start=FIRST_DAY.isoformat(),
        period_end=LAST_DAY.isoformat(),
        files=tuple(files),
        ground_truth=ground_truth,
        persons_truth=persons_truth,
        claims=claims,
        histories=histories,
        true_population=len(victims),
        named_persons=len(sources_of),
        records=len(truth_rows),
    )
    write_manifest(manifest)
    return manifest


def read_ground_truth(manifest: DemoManifest) -> list[dict[str, str]]:
    """The ground-truth rows: file, source, source_record_id, person_id, row."""
    with manifest.ground_truth.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
