"""The demo as one use case: sample lists generated, imported, linked, counted, estimated and
reported through the same services every front end calls.

:func:`run_demo` works in the database it is given (``everyname demo`` points the process at a
fresh one of its own first) and writes into ``out_dir`` only what a demo is for: the sample
lists, the rows it set aside, the report and its tables. It returns plain results; printing
them is the front end's business.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from everyname.core import files
from everyname.core.count import CountFilters, CountResult
from everyname.store.permissions import Actor, Permission, Role, require

DEMO_FIELDS = ("sex", "age_group", "status", "cause")
"""The breakdowns the demo shows."""

ByteProgress = Callable[[int, int], None]

DEMO_USERS = (("demo-admin", Role.ADMIN), ("demo-viewer", Role.VIEWER))
"""The demo's team: an administrator (who sets up a second factor at first sign-in) and a
viewer, so the demo opens in the browser (``everyname serve``)."""


@dataclass(frozen=True)
class DemoImport:
    """One sample list as imported."""

    source: str
    kind: str
    file: str
    format: str
    encoding: str
    rows: int
    records: int
    rejected: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: the lists it made, each import, the link run, the count for its
    window and place, the estimate (None when the lists cannot carry one) and the report."""

    lists_dir: Path
    ground_truth: Path
    place: str
    filters: CountFilters
    imports: tuple[DemoImport, ...]
    claims: int
    link: Any
    count: CountResult
    estimate: Any
    report: Any
    report_path: Path
    tables_path: Path

    def to_dict(self) -> dict[str, Any]:
        return {
            "lists_dir": str(self.lists_dir),
            "ground_truth": str(self.ground_truth),
            "place": self.place,
            "filters": self.filters.to_dict(),
            "imports": [i.to_dict() for i in self.imports],
            "claims": self.claims,
            "link_run": self.count.link_run,
            "count": self.count.to_dict(),
            "estimate": self.estimate.to_dict() if self.estimate is not None else None,
            "report": self.report.to_dict(),
            "report_path": str(self.report_path),
            "tables_path": str(self.tables_path),
        }


def run_demo(
    actor: Actor,
    out_dir: Path,
    *,
    seed: int = 2012,
    import_progress: Callable[[Path], AbstractContextManager[ByteProgress | None]] | None = None,
    link_progress: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """Generate the Homs sample lists (``seed``) into ``out_dir`` and run the pipeline on them.

    ``import_progress`` gives, per list, a context yielding a byte-progress callback;
    ``link_progress`` receives the link run's stages."""
    for permission in (Permission.IMPORT, Permission.LINK, Permission.RUN_ANALYSIS):
        require(actor, permission)
    from everyname.core.demo import generate_demo
    from everyname.core.report import write_tables
    from everyname.store.claims import import_claims
    from everyname.store.counting import count
    from everyname.store.estimating import get_estimate
    from everyname.store.imports import import_file
    from everyname.store.linking import run_link
    from everyname.store.reporting import build_report

    manifest = generate_demo(out_dir / "lists", seed=seed)
    imports = []
    for item in manifest.files:
        context = import_progress(item.path) if import_progress else nullcontext(None)
        with context as progress:
            report = import_file(
                item.path,
                item.source_code,
                actor=actor,
                mapping_path=item.mapping,
                source_name=item.source_name,
                source_kind=item.source_kind,
                skip_invalid=True,
                defaults={"outcome": "killed"},  # the sample lists are lists of the dead
                rejects_path=out_dir / f"{item.path.stem}.rejects.csv",
                progress=progress,
            )
        imports.append(
            DemoImport(
                report.source_code,
                item.source_kind,
                item.path.name,
                report.file_format,
                report.encoding,
                report.rows_read,
                report.records_imported,
                report.rows_rejected,
            )
        )
    claims = import_claims(actor, manifest.claims).claims
    link = run_link(actor, progress=link_progress)

    filters = CountFilters(
        since=manifest.period_start, until=manifest.period_end, place=manifest.place
    )
    counted = count(actor, filters, DEMO_FIELDS)
    built = build_report(actor, filters, "html")  # fits and stores the estimates it shows
    fitted = get_estimate(actor, built.estimate_ids[0]) if built.estimate_ids else None
    report_path, tables_path = out_dir / "report.html", out_dir / "tables"
    files.write_bytes(report_path, built.content)
    if built.report is not None:
        write_tables(built.report, tables_path)
    return DemoResult(
        lists_dir=out_dir / "lists",
        ground_truth=manifest.ground_truth,
        place=manifest.place,
        filters=filters,
        imports=tuple(imports),
        claims=claims,
        link=link,
        count=counted,
        estimate=fitted if fitted and fitted.overall.get("estimate") is not None else None,
        report=built,
        report_path=report_path,
        tables_path=tables_path,
    )


@dataclass(frozen=True)
class DemoUser:
    """A demo user and the one-time password made for them (shown once, never stored)."""

    name: str
    role: str
    password: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role}  # never the password


def add_demo_users(actor: Actor) -> tuple[DemoUser, ...]:
    """Add the demo's administrator and viewer with random passwords: a demo database is not
    a place for a password everyone knows. Once they exist the command line acts as a named
    user (``EVERYNAME_USER=demo-admin``)."""
    import secrets

    from everyname.store.users import add_user

    require(actor, Permission.MANAGE_USERS)
    made = []
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(15)
        add_user(actor, name, role, password=password, one_time=True)
        made.append(DemoUser(name, str(role), password))
    return tuple(made)
