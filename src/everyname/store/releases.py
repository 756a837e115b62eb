"""Public releases: publishing the next one from the latest link run, and listing those published.

A release is a folder of files (``core.release.write_release``) meant to leave the building, so
publishing is its own permission. The store keeps no copy of a release: the audit entry written
with it (version, folder, link run, what was withheld, the files' SHA-256) is the record that it
was published, and :func:`list_releases` reads those entries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from everyname.core.errors import InvalidInput
from everyname.core.release import WITHHOLD_CHOICES, ReleaseManifest, write_release
from everyname.store.audit import Action, record_event
from everyname.store.counting import count_input, gazetteer
from everyname.store.models import AuditEvent
from everyname.store.permissions import Actor, Permission, require


def publish_release(actor: Actor, out: str | Path, withhold: str = "none") -> ReleaseManifest:
    """Write the next public release of the latest link run under ``out`` (``out/v1``, ...).

    Only the resolved, public fields of persons are written (``release.public_persons`` is an
    allow-list): never reporter identities, national ids or source contacts. ``withhold``
    blanks the names of children, or of everyone, for a release published while families are
    at risk."""
    require(actor, Permission.PUBLISH_RELEASE)
    if withhold not in WITHHOLD_CHOICES:
        raise InvalidInput(
            f"withhold {withhold!r}: expected one of {', '.join(WITHHOLD_CHOICES)}",
            field="withhold",
        )
    data = count_input()
    manifest = write_release(
        out,
        data.persons,
        data.memberships,
        link_run=data.link_run,
        withhold=withhold,
        copy_groups=data.copy_groups,
        conflicts=data.conflicts,
        gazetteer=gazetteer(),
    )
    with transaction.atomic():
        record_event(
            Action.RELEASE_PUBLISHED,
            actor,
            None,
            version=manifest.version,
            folder=str(manifest.folder),
            link_run=manifest.link_run,
            withhold=withhold,
            persons=manifest.persons,
            changes=dict(manifest.changes),
            files=dict(manifest.files),
        )
    return manifest


@dataclass(frozen=True)
class PublishedRelease:
    """A release as its audit entry recorded it."""

    version: int
    folder: str
    link_run: str
    withhold: str
    persons: int
    published_at: str
    published_by: str
    changes: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    """File name → SHA-256 (releases published before these were recorded have none)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_releases(actor: Actor) -> tuple[PublishedRelease, ...]:
    """Every release published from this database, oldest first."""
    require(actor, Permission.VIEW_RELEASES)
    events = AuditEvent.objects.filter(action=str(Action.RELEASE_PUBLISHED)).order_by("at", "id")
    return tuple(
        PublishedRelease(
            version=int(d["version"]),
            folder=str(d["folder"]),
            link_run=str(d["link_run"]),
            withhold=str(d.get("withhold", "none")),
            persons=int(d.get("persons", 0)),
            published_at=event.at.isoformat(),
            published_by=event.actor,
            changes=dict(d.get("changes") or {}),
            files=dict(d.get("files") or {}),
        )
        for event in events
        for d in (event.details,)
    )
