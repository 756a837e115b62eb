"""Audit events: small typed records with stable names, written by one function.

Every write the store makes goes through ``record_event`` in the same transaction as the write,
so a rolled-back change leaves no audit entry and a committed one always has one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from everyname.store.models import AuditEvent


class Action(StrEnum):
    DATABASE_INITIALISED = "database.initialised"
    SOURCE_CREATED = "source.created"
    BATCH_IMPORTED = "batch.imported"
    SECRET_READ = "secret.read"
    LINK_RUN_CREATED = "link_run.created"
    MATCH_DECIDED = "match.decided"
    CLAIMS_IMPORTED = "claims.imported"
    SOURCES_GROUPED = "sources.grouped"
    RELEASE_PUBLISHED = "release.published"
    PLACES_IMPORTED = "places.imported"


def record_event(
    action: Action,
    actor: str,
    obj: Any | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one audit event. ``details`` must never contain reporter or witness identities."""
    object_type = type(obj).__name__ if obj is not None else ""
    object_id = str(getattr(obj, "pk", "")) if obj is not None else ""
    return AuditEvent.objects.create(
        actor=actor,
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
