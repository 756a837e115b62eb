"""Who may do what: the one place every use case asks.

Every store function that reads personal data, changes something or reveals a secret takes the
acting user (an :class:`Actor`) and calls :func:`require` before it touches the database, so no
front end (command line, web page, API) can forget a check. The table below is the whole policy;
tests run every use case over a fixed cast of users against it.

Roles follow the design: admin (users, sources, keys), analyst (everything but user
administration), reviewer (match decisions), recorder (entry, imports and corrections for the
sources assigned to them), viewer (figures, reports and releases only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from everyname.core.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    RECORDER = "recorder"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW_FIGURES = "view_figures"  # counts, stored estimates and reports
    VIEW_RELEASES = "view_releases"
    RUN_ANALYSIS = "run_analysis"  # fit an estimate, build a report
    PUBLISH_RELEASE = "publish_release"
    VIEW_RECORDS = "view_records"  # names and values of records and persons (source-scoped)
    IMPORT = "import"  # upload a list (source-scoped)
    ENTER_RECORD = "enter_record"  # typed entry of one victim (source-scoped)
    CORRECT_RECORD = "correct_record"  # a revision of a record (source-scoped)
    DOWNLOAD_ORIGINAL = "download_original"  # a batch's original file
    LINK = "link"
    REVIEW = "review"  # match decisions
    MANAGE_SOURCES = "manage_sources"  # create sources, copy groups
    MANAGE_CLAIMS = "manage_claims"
    MANAGE_PLACES = "manage_places"  # add gazetteer places and spellings
    VIEW_AUDIT = "view_audit"
    REVEAL_IDENTITY = "reveal_identity"  # decrypt a reporter or witness identity (audited)
    MANAGE_USERS = "manage_users"
    MANAGE_KEYS = "manage_keys"  # keys and backups


#: Permissions a recorder holds only for the sources assigned to them.
SOURCE_SCOPED = frozenset(
    {
        Permission.VIEW_RECORDS,
        Permission.IMPORT,
        Permission.ENTER_RECORD,
        Permission.CORRECT_RECORD,
    }
)

_EVERYONE = {Permission.VIEW_FIGURES, Permission.VIEW_RELEASES}
_ANALYST = set(Permission) - {Permission.MANAGE_USERS, Permission.MANAGE_KEYS}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset(_ANALYST),
    Role.REVIEWER: frozenset(_EVERYONE | {Permission.VIEW_RECORDS, Permission.REVIEW}),
    Role.RECORDER: frozenset(
        _EVERYONE
        | {
            Permission.VIEW_RECORDS,
            Permission.IMPORT,
            Permission.ENTER_RECORD,
            Permission.CORRECT_RECORD,
        }
    ),
    Role.VIEWER: frozenset(_EVERYONE),
}


def requires_two_factor(role: Role | str) -> bool:
    """Admins and every role that may reveal a witness's identity must sign in with two factors."""
    perms = ROLE_PERMISSIONS[Role(role)]
    return Permission.MANAGE_USERS in perms or Permission.REVEAL_IDENTITY in perms


@dataclass(frozen=True)
class Actor:
    """The user a use case acts for: plain data, so the core of a check needs no database.

    ``user_id`` is None for the local administrator: the command line on a laptop where no user
    has been created yet acts as one, as everyname always did. ``sources`` are the source codes a
    recorder is assigned to (ignored for other roles, who see every source).
    """

    username: str
    role: Role
    sources: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "sources", frozenset(self.sources))

    @classmethod
    def local_admin(cls, username: str) -> Actor:
        return cls(username=username, role=Role.ADMIN)

    def can(self, permission: Permission, source: str | None = None) -> bool:
        if permission not in ROLE_PERMISSIONS[self.role]:
            return False
        if self.role is Role.RECORDER and permission in SOURCE_SCOPED:
            return source is None or source in self.sources
        return True

    def source_scope(self) -> frozenset[str] | None:
        """The sources whose records this actor may see; None means every source."""
        return self.sources if self.role is Role.RECORDER else None

    def __str__(self) -> str:
        return self.username


def require(actor: Actor, permission: Permission, source: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may do ``permission`` (on ``source``).

    For a source-scoped permission asked without a source (a list of records), a recorder passes
    and the caller must narrow the query to :meth:`Actor.source_scope`.
    """
    if not isinstance(actor, Actor):
        raise TypeError(f"expected an Actor, got {type(actor).__name__}")
    if actor.can(permission, source):
        return
    what = permission.value.replace("_", " ")
    if source is not None and permission in ROLE_PERMISSIONS[actor.role]:
        raise PermissionDenied(
            f"{actor.username} ({actor.role}) is not assigned to source {source!r}", field="source"
        )
    raise PermissionDenied(f"{actor.username} ({actor.role}) may not {what}")


def require_sources(actor: Actor, permission: Permission, sources: Iterable[str]) -> None:
    """:func:`require` for each source a change touches (a merge of two records touches two)."""
    for source in sources:
        require(actor, permission, source)
