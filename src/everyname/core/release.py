"""Public releases: a versioned, checksummed folder of persons that readers can follow over time.

Published lists change as documentation improves: duplicates are merged, a record is withdrawn,
a date is corrected. Each release is a new folder ``v1``, ``v2``... under the releases folder,
never overwritten, with a change log against the previous one so a reader can see why a name
appeared, disappeared or changed.

What is published is an **allow-list** of resolved fields (:data:`PUBLIC_COLUMNS`): anything
else a persons table carries — national ids, reporter names and contacts, source contacts,
notes — cannot reach a release even if a caller passes it in. Names can be withheld for
children or for everyone (``withhold``); the person stays in the list with the name blank.

Places are published as written and, with a gazetteer, as gazetteer places: ``place_id`` (the
most specific place the records name) and ``<level>_id`` for governorate, district, locality
and neighbourhood (a gazetteer id, ``unresolved`` or ``unknown``, as counts have them), with
``places.csv`` naming every place in English and Arabic and ``counts_by_place.csv`` the persons
per place at each level, so a reader's "deaths by neighbourhood" has one row per place.

Change-log rule (by person id and by which records each person is made of):

- **added**: a new person id whose records were in no person of the previous release;
- **removed**: an old person id that is gone and none of whose records is in any new person
  (e.g. a record was withdrawn or found not to be a death);
- **merged**: an old person id that is gone while its records now belong to another person
  (two entries were found to be one person); ``into`` names the person(s) now holding them;
- **split**: a new person id made of records that belonged to a person still present (one
  entry was found to be two people); ``from`` names that person;
- **corrected**: the same person id with a different published value; ``fields`` lists them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from everyname.core import csvout
from everyname.core.corroboration import corroborate
from everyname.core.count.breakdown import (
    UNRESOLVED,
    place_labels,
    place_values,
    resolves_places,
)
from everyname.core.count.data import clean, isin
from everyname.core.csvout import restore_frame
from everyname.core.errors import EverynameError
from everyname.core.files import atomic_folder
from everyname.core.places import level_depth
from everyname.core.provenance import file_chunks, sha256_hex
from everyname.core.schema import PLACE_FIELDS, PLACE_LEVELS, UNKNOWN

WITHHOLD_CHOICES = ("none", "children", "all")
PLACES_TEXT = """## Places

The place columns (`governorate` ... `place`) are as the sources wrote them. Counted as places,
they are `place_id` (the most specific gazetteer place the person's records name) and
`governorate_id`, `district_id`, `locality_id`, `neighbourhood_id` (the gazetteer place at that
level holding it: a record naming only its neighbourhood is in that neighbourhood's governorate).
`unresolved` means the text names no place the gazetteer knows, or several places and nothing in
the records says which; `unknown` means no place was given at that level. `places.csv` names
each place in English and Arabic with its parent; `counts_by_place.csv` gives the persons per
place at each level. Group by these ids, not by the text, to count one row per place.

"""
PUBLIC_COLUMNS: tuple[str, ...] = (
    "person_id",
    "full_name",
    "sex",
    "age_years",
    "age_group",
    "date_of_death",
    "date_of_death_precision",
    *PLACE_FIELDS,
    "cause",
    "status",
    "outcome",
)
"""The only person fields a release can contain (plus the derived columns below)."""
DERIVED_COLUMNS = ("independent_sources", "grade", "name_withheld")
PLACE_COLUMNS = ("place_id", *(f"{level}_id" for level in PLACE_LEVELS))
"""Derived with a gazetteer: the places counts count (see ``core.count.breakdown``)."""
CHANGE_KINDS = ("added", "removed", "merged", "split", "corrected")
SUMS_FILE = "SHA256SUMS"


class ReleaseError(EverynameError):
    """A release cannot be written as asked (the message says what to change)."""


@dataclass(frozen=True)
class Change:
    kind: str
    person_id: str
    related: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReleaseManifest:
    """What a release holds: its version, folder, files with their SHA-256, and the changes."""

    version: int
    folder: Path
    link_run: str
    created_at: str
    withhold: str
    persons: int
    previous_version: int | None
    changes: Mapping[str, int]
    files: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["folder"] = str(self.folder)
        out["changes"] = dict(self.changes)
        out["files"] = dict(self.files)
        return out


def _text(value: Any) -> str:
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def public_persons(
    persons: pd.DataFrame,
    memberships: pd.DataFrame,
    *,
    withhold: str = "none",
    copy_groups: Mapping[str, str] | None = None,
    conflicts: Mapping[str, Any] | None = None,
    gazetteer: Any = None,
) -> pd.DataFrame:
    """The published persons table: allow-listed fields as text, corroboration, withheld
    names, and with a gazetteer each person's places (``PLACE_COLUMNS``)."""
    if withhold not in WITHHOLD_CHOICES:
        raise ReleaseError(f"withhold {withhold!r}: expected one of {', '.join(WITHHOLD_CHOICES)}")
    if "person_id" not in persons.columns:
        raise ReleaseError("persons: a person_id column is required")
    table = pd.DataFrame(
        {c: persons[c].map(_text) if c in persons.columns else "" for c in PUBLIC_COLUMNS}
    )
    table = table.sort_values("person_id", kind="stable").reset_index(drop=True)
    graded = corroborate(memberships, conflicts, copy_groups, table["person_id"]).table
    table["independent_sources"] = graded["independent_sources"].astype(int).astype(str).tolist()
    table["grade"] = graded["grade"].tolist()
    withheld = pd.Series("", index=table.index)
    if withhold == "all":
        withheld[:] = "all names withheld"
    elif withhold == "children":
        withheld[table["age_group"] == "child"] = "child"
    table.loc[withheld != "", "full_name"] = ""
    table["name_withheld"] = withheld
    if resolves_places(gazetteer):
        ordered = persons.assign(person_id=persons["person_id"].map(_text))
        ordered = ordered.set_index("person_id").loc[table["person_id"]].reset_index()
        table["place_id"] = place_values(ordered, "place", gazetteer)[0].tolist()
        for level in PLACE_LEVELS:
            table[f"{level}_id"] = place_values(ordered, level, gazetteer)[0].tolist()
    return table


def place_tables(table: pd.DataFrame, gazetteer: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The release's ``places.csv`` (every gazetteer place its persons are in, with the places
    above them) and ``counts_by_place.csv`` (persons per place at each level, ``unresolved``
    and ``unknown`` included)."""
    used: dict[str, None] = {}
    for column in PLACE_COLUMNS:
        for place_id in table[column]:
            if place_id in gazetteer:
                used[place_id] = None
                used.update({a.id: None for a in gazetteer.ancestors(place_id)})
    entries = [gazetteer.get(i) for i in used]
    places = pd.DataFrame(
        [
            {"place_id": p.id, "name_en": p.name_en, "name_ar": p.name_ar, "level": p.level,
             "parent_id": p.parent_id or ""}
            for p in sorted(entries, key=lambda p: (level_depth(p.level), p.id))
        ],
        columns=["place_id", "name_en", "name_ar", "level", "parent_id"],
    )  # fmt: skip
    counts = []
    for level in PLACE_LEVELS:
        sizes = table[f"{level}_id"].value_counts()
        order = sorted((v for v in sizes.index if v not in (UNRESOLVED, UNKNOWN)),
                       key=lambda v: (-int(sizes[v]), v))  # fmt: skip
        labels = place_labels(gazetteer, order)
        for value in [*order, UNRESOLVED, UNKNOWN]:
            en, ar = labels.get(value, (value, ""))
            counts.append({"level": level, "place_id": value, "name_en": en, "name_ar": ar,
                           "persons": int(sizes.get(value, 0))})  # fmt: skip
    columns = ["level", "place_id", "name_en", "name_ar", "persons"]
    return places, pd.DataFrame(counts, columns=columns)


def _records_by_person(records: pd.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for person_id, record_id in zip(records["person_id"], records["record_id"], strict=True):
        out.setdefault(str(person_id), set()).add(str(record_id))
    return out


def compare_releases(
    old_persons: pd.DataFrame,
    old_records: pd.DataFrame,
    new_persons: pd.DataFrame,
    new_records: pd.DataFrame,
) -> list[Change]:
    """The change log between two releases (see the module note for the rule)."""
    old_r, new_r = _records_by_person(old_records), _records_by_person(new_records)
    old_ids, new_ids = set(old_persons["person_id"]), set(new_persons["person_id"])
    owner_new = {r: p for p, rs in new_r.items() for r in rs}
    owner_old = {r: p for p, rs in old_r.items() for r in rs}
    changes: list[Change] = []
    for person_id in sorted(old_ids - new_ids):
        targets = sorted({owner_new[r] for r in old_r.get(person_id, ()) if r in owner_new})
        if targets:
            changes.append(Change("merged", person_id, tuple(targets)))
        else:
            changes.append(Change("removed", person_id))
    for person_id in sorted(new_ids - old_ids):
        origins = {owner_old[r] for r in new_r.get(person_id, ()) if r in owner_old}
        still_there = sorted(o for o in origins if o in new_ids)
        if not origins:
            changes.append(Change("added", person_id))
        elif still_there:
            changes.append(Change("split", person_id, tuple(still_there)))
        # else: made only of persons that are gone; those are listed as merged into it.
    compared = [c for c in new_persons.columns if c in old_persons.columns and c != "person_id"]
    old_rows = old_persons.set_index("person_id")
    new_rows = new_persons.set_index("person_id")
    for person_id in sorted(old_ids & new_ids):
        differ = tuple(
            c for c in compared if str(old_rows.at[person_id, c]) != str(new_rows.at[person_id, c])
        )
        if differ:
            changes.append(Change("corrected", person_id, fields=differ))
    return changes


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return sha256_hex(file_chunks(handle))


def existing_versions(root: Path) -> list[int]:
    """Release versions already in ``root`` (folders named ``v1``, ``v2``...)."""
    if not root.is_dir():
        return []
    return sorted(int(p.name[1:]) for p in root.iterdir() if re.fullmatch(r"v\d+", p.name))


def _read_release(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    persons_path, records_path = folder / "persons.csv", folder / "records.csv"
    if not persons_path.exists() or not records_path.exists():
        raise ReleaseError(
            f"{folder} is not an everyname release (persons.csv and records.csv expected)"
        )
    read = {"dtype": str, "keep_default_na": False, "encoding": "utf-8-sig"}
    version = None
    manifest = folder / "manifest.json"
    if manifest.exists():
        version = json.loads(manifest.read_text("utf-8")).get("version")
    persons, records = (restore_frame(pd.read_csv(p, **read)) for p in (persons_path, records_path))
    return persons, records, version


def write_release(
    out: str | Path,
    persons: pd.DataFrame,
    memberships: pd.DataFrame,
    *,
    link_run: str,
    previous_release: str | Path | None = None,
    withhold: str = "none",
    copy_groups: Mapping[str, str] | None = None,
    conflicts: Mapping[str, Any] | None = None,
    methodology: str | None = None,
    created_at: datetime | None = None,
    gazetteer: Any = None,
) -> ReleaseManifest:
    """Write the next release under ``out`` (``out/v1``, ``out/v2``...) and return its manifest.

    ``previous_release`` is the release to compare with; by default the latest one already in
    ``out``. ``memberships`` (person_id, record_id, source) says which records make each person:
    the record ids are published (they are internal numbers, not source row ids) so the next
    release can tell merged from removed; source codes are not published per person.
    """
    root = Path(out)
    versions = existing_versions(root)
    version = (versions[-1] + 1) if versions else 1
    if previous_release is None and versions:
        previous_release = root / f"v{versions[-1]}"
    previous = _read_release(Path(previous_release)) if previous_release is not None else None
    final = root / f"v{version}"
    try:
        with atomic_folder(final) as folder:
            manifest = _write_release_files(
                folder,
                version,
                persons,
                memberships,
                link_run=link_run,
                previous=previous,
                withhold=withhold,
                copy_groups=copy_groups,
                conflicts=conflicts,
                methodology=methodology,
                created_at=created_at,
                gazetteer=gazetteer,
            )
    except FileExistsError:
        raise ReleaseError(
            f"{final} already exists: another release was published at the same time. "
            "Nothing was written; publish again to make the next version."
        ) from None
    return ReleaseManifest(**{**asdict(manifest), "folder": final})


def _write_release_files(
    folder: Path,
    version: int,
    persons: pd.DataFrame,
    memberships: pd.DataFrame,
    *,
    link_run: str,
    previous: tuple[pd.DataFrame, pd.DataFrame, int | None] | None,
    withhold: str,
    copy_groups: Mapping[str, str] | None,
    conflicts: Mapping[str, Any] | None,
    methodology: str | None,
    created_at: datetime | None,
    gazetteer: Any,
) -> ReleaseManifest:
    """Fill a (temporary) release folder; ``write_release`` renames it when it is complete."""
    table = public_persons(
        persons,
        memberships,
        withhold=withhold,
        copy_groups=copy_groups,
        conflicts=conflicts,
        gazetteer=gazetteer,
    )
    records = pd.DataFrame(
        {
            "person_id": memberships["person_id"].map(_text),
            "record_id": memberships["record_id"].map(_text),
        }
    )
    records = records[isin(records["person_id"], set(table["person_id"]))]
    records = records.drop_duplicates().sort_values(["person_id", "record_id"], kind="stable")
    changes: list[Change] = []
    previous_version = None
    if previous is not None:
        old_persons, old_records, previous_version = previous
        changes = compare_releases(old_persons, old_records, table, records)
    stamp = (created_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")

    csvout.write_frame(table, folder / "persons.csv")
    (folder / "persons.json").write_text(
        json.dumps(table.to_dict("records"), ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    csvout.write_frame(records, folder / "records.csv")
    if resolves_places(gazetteer):
        places, counts = place_tables(table, gazetteer)
        csvout.write_frame(places, folder / "places.csv")
        csvout.write_frame(counts, folder / "counts_by_place.csv")
    _write_changes(folder, changes, previous_version, previous is not None)
    (folder / "METHODOLOGY.md").write_text(
        _methodology(version, link_run, withhold, stamp, methodology, resolves_places(gazetteer)),
        "utf-8",
    )
    counts = {kind: sum(c.kind == kind for c in changes) for kind in CHANGE_KINDS}
    files = {p.name: _sha256(p) for p in sorted(folder.iterdir())}
    manifest = ReleaseManifest(
        version=version,
        folder=folder,
        link_run=link_run,
        created_at=stamp,
        withhold=withhold,
        persons=len(table),
        previous_version=previous_version,
        changes=counts,
        files=files,
    )
    manifest_data = {k: v for k, v in manifest.to_dict().items() if k != "folder"}
    (folder / "manifest.json").write_text(json.dumps(manifest_data, indent=1) + "\n", "utf-8")
    sums = {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.name != SUMS_FILE}
    (folder / SUMS_FILE).write_text("".join(f"{h}  {n}\n" for n, h in sums.items()), "ascii")
    return ReleaseManifest(**{**asdict(manifest), "folder": folder, "files": sums})


def _write_changes(
    folder: Path, changes: Iterable[Change], previous_version: int | None, has_previous: bool
) -> None:
    changes = list(changes)
    rows = [
        {
            "change": c.kind,
            "person_id": c.person_id,
            "related_person_ids": ";".join(c.related),
            "fields": ";".join(c.fields),
        }
        for c in changes
    ]
    columns = ["change", "person_id", "related_person_ids", "fields"]
    csvout.write_frame(pd.DataFrame(rows, columns=columns), folder / "changes.csv")
    if not has_previous:
        text = "# Changes\n\nFirst release: there is no previous release to compare with.\n"
    else:
        against = f"v{previous_version}" if previous_version else "the previous release"
        text = f"# Changes against {against}\n\n"
        for kind in CHANGE_KINDS:
            these = [c for c in changes if c.kind == kind]
            text += f"## {kind.capitalize()}: {len(these)}\n\n"
            for c in these:
                detail = {
                    "merged": f" into {', '.join(c.related)}",
                    "split": f" from {', '.join(c.related)}",
                    "corrected": f": {', '.join(c.fields)}",
                }.get(kind, "")
                text += f"- {c.person_id}{detail}\n"
            text += "\n"
    (folder / "CHANGES.md").write_text(text, "utf-8")


def _methodology(
    version: int,
    link_run: str,
    withhold: str,
    stamp: str,
    extra: str | None,
    places: bool = False,
) -> str:
    withheld = {
        "none": "No names are withheld.",
        "children": "Names of persons recorded as children (under 18) are withheld: the person "
        "is listed with a blank name and `name_withheld` = child. Persons of unknown age keep "
        "their names.",
        "all": "All names are withheld: every person is listed with a blank name.",
    }[withhold]
    text = f"""# everyname public release v{version}

Created {stamp} from link run `{link_run}`.

## What this is

One row per **person** (`persons.csv`, also `persons.json`): a victim as established by linking
the records of every source, each person counted once however many lists name them. The values
are the resolved values of the person's records; `unknown` means no source gave the value (it is
never guessed). `date_of_death` is as precise as the sources are: `2012-02` is February 2012,
day unknown (`date_of_death_precision`). `independent_sources` is the number of independent
sources naming the person (sources known to copy one another count once) and `grade` is
`confirmed` (two or more), `single_source`, or `contested` (the sources disagree on status or
on whether the person was killed or injured).

{PLACES_TEXT if places else ""}## What is not published

Never: reporter or witness names and contacts, source contact details, identity document
numbers, free-text notes. Only the fields listed above are written. {withheld}

## Versions and changes

Releases are never overwritten; each is a folder `vN`. `CHANGES.md` and `changes.csv` compare
this release with the previous one, by person id and by the records (`records.csv`: which
internal record ids make each person) — added: a new person from new records; removed: a person
whose records are in no person any more; merged: a person whose records now belong to another
person; split: a new person made of records of a person still listed; corrected: a changed value.

## Checking the files

`SHA256SUMS` lists the SHA-256 of every file; check with `sha256sum -c SHA256SUMS`.
"""
    if extra:
        text += "\n## Notes\n\n" + extra.strip() + "\n"
    return text
