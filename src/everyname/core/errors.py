"""One base exception for the project, and the input problem that every reader reports.

Problems are collected, not raised one by one, so a recorder fixing a spreadsheet sees every
mistake in one go (file, row, column, the value and what was expected).
"""

from __future__ import annotations

from dataclasses import dataclass


class EverynameError(Exception):
    """Base of every error a user can act on. Its message is shown as is, without a traceback."""


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
