"""Public releases: publishing the next one from the latest link run, and listing those published.

A release is a folder of files (``core.release.write_release``) meant to leave the building, so
publishing is its own permission. The store keeps no copy of a release: the audit entry written
with it (version, folder, link run, what was withheld, the files' SHA-256) is the record that it
was published, and :func:`list_releases` reads those entries.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from everyname.core.errors import Conflict, InvalidInput, NotFound
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
    id: int = 0
    """Its audit entry's id: what names one release (versions start again in another folder)."""

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
            published_at=event.at.isoformat(timespec="seconds"),
            published_by=event.actor,
            changes=dict(d.get("changes") or {}),
            files=dict(d.get("files") or {}),
            id=event.pk,
        )
        for event in events
        for d in (event.details,)
    )


RELEASES_FOLDER = "releases"


def releases_folder() -> Path:
    """Where releases published from the web app are written: ``releases`` beside the key file
    (as the web app's secret key is), a folder of the server's own, so no page names a path on
    the server. The command line still publishes wherever ``--out`` says."""
    from everyname import config

    return config.key_file_path().with_name(RELEASES_FOLDER)


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a published release, open for reading, checked against the SHA-256 recorded
    when it was published. The caller closes ``handle``."""

    release_id: int
    version: int
    name: str
    sha256: str
    size_bytes: int
    handle: IO[bytes] = field(repr=False)


def release_file(actor: Actor, release_id: int, name: str) -> ReleaseFile:
    """One file of a published release (``release_id`` as :func:`list_releases` gives it), for
    download. Only a file the release's audit entry names is served, so no name reaches another
    file on the server; a file changed since it was published is refused, not served, since
    readers rely on the checksums."""
    require(actor, Permission.VIEW_RELEASES)
    event = AuditEvent.objects.filter(pk=release_id, action=str(Action.RELEASE_PUBLISHED)).first()
    if event is None:
        raise NotFound(f"there is no release {release_id}", field="release")
    version = int(event.details["version"])
    files = dict(event.details.get("files") or {})
    if name not in files:
        raise NotFound(f"release v{version} has no file {name!r}", field="file")
    path = Path(str(event.details["folder"])) / name
    try:
        handle = path.open("rb")
    except OSError:
        raise NotFound(
            f"{name} of release v{version} is no longer in its folder on this server", field="file"
        ) from None
    digest = hashlib.sha256()
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
    if digest.hexdigest() != files[name]:
        handle.close()
        raise Conflict(
            f"{name} of release v{version} has changed since it was published (its SHA-256 is "
            "not the one recorded): it is not served",
            field="file",
        )
    size = handle.tell()
    handle.seek(0)
    return ReleaseFile(release_id, version, name, files[name], size, handle)
