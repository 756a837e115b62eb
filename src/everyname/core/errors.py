"""One base exception for the project, and the input problem that every reader reports.

Problems are collected, not raised one by one, so a recorder fixing a spreadsheet sees every
mistake in one go (file, row, column, the value and what was expected).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, in terms every front end can map: the CLI to an exit code, a view to a
    form error or an HTTP status (404, 409, 400, 403), the API to ``{"error", "field"}``."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"


class EverynameError(Exception):
    """Base of every error a user can act on. Its message is shown as is, without a traceback.

    ``kind`` says what went wrong and ``field`` which input (a canonical field, a filter, a
    setting: never a command-line flag, since the CLI, the web and the API name inputs
    differently). Subclasses set a class-level ``kind``; ``field`` is passed where one input is
    to blame. Messages are worded for any front end.
    """

    kind: ErrorKind = ErrorKind.INVALID
    field: str | None = None

    def __init__(self, *args: object, field: str | None = None) -> None:
        super().__init__(*args)
        if field is not None:
            self.field = field

    def to_dict(self) -> dict[str, str | None]:
        return {"error": str(self), "field": self.field, "kind": str(self.kind)}


class InvalidInput(EverynameError):
    """A value given to a use case cannot be used (names the field)."""


class NotFound(EverynameError):
    """The thing asked for does not exist (or is not visible to the acting user)."""

    kind = ErrorKind.NOT_FOUND


class Conflict(EverynameError):
    """The change clashes with what is stored (already imported, already decided, ...)."""

    kind = ErrorKind.CONFLICT


class PermissionDenied(EverynameError):
    """The acting user's role does not allow this use case (or not for this source)."""

    kind = ErrorKind.PERMISSION_DENIED


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    ``row`` is the row number a person sees when opening the file in a spreadsheet (the header
    is row 1) or the 1-based index of an object in a JSON list; ``None`` for whole-file problems.
    ``value`` is ``None`` when showing it would reveal a witness's identity.
    """

    file: str
    expected: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        shown = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{shown}; expected {self.expected}"


class InputRejected(EverynameError):
    """An input was refused as a whole; nothing was written. Carries every problem found."""

    def __init__(self, problems: list[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        self.summary = summary or f"{len(self.problems)} problem(s) found; nothing was imported"
        lines = [self.summary, *(f"  - {p}" for p in self.problems[:50])]
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        super().__init__("\n".join(lines))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Rebuilt from its problems when it crosses a process boundary (parallel imports).
        return (type(self), (self.problems, self.summary))
