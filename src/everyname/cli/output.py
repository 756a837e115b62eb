"""How commands talk to the user: Rich consoles, clean errors, progress bars.

Every value printed passes through :func:`terminal_safe`: list values come from outside, and a
name holding ``ESC [2J`` (clear screen), an OSC window title, a bell or a carriage return would
otherwise act on the reader's terminal, or hide what was printed before it. The consoles below
strip such characters from every piece of text they render (the text only: Rich's own colours
and cursor movements are added afterwards and kept), and JSON is written with them escaped.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.segment import Segment

from everyname.core.errors import EverynameError, NotFound

# C0 controls but tab and newline (the tool's own layout), DEL, and the C1 controls (U+0080 to
# U+009F: some terminals read U+009B as the start of an escape sequence).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What JSON leaves raw (it escapes U+0000 to U+001F itself): escaped, so no value changes.
_JSON_RAW_CONTROL = re.compile("[\x7f-\x9f]")
T = TypeVar("T")


def terminal_safe(text: T) -> T:
    """``text`` without the control characters a terminal would act on (tab and newline kept);
    anything but a string (a count in a CSV row) as it is."""
    return _CONTROL.sub("", text) if isinstance(text, str) else text  # type: ignore[return-value]


class SafeConsole(Console):
    """A Rich console that strips control characters from every text it renders.

    Both hooks are public Rich API: ``render_str`` turns every printed string and table cell
    into text, ``render`` yields every segment (also of ``Text`` objects built elsewhere); a
    segment Rich marks as control (cursor movement of a progress bar) is Rich's own and kept.
    """

    def render_str(self, text: str, **options: Any) -> Any:  # type: ignore[override]
        return super().render_str(terminal_safe(text), **options)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterator[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and _CONTROL.search(segment.text):
                yield Segment(terminal_safe(segment.text), segment.style)
            else:
                yield segment


console = SafeConsole()
errors = SafeConsole(stderr=True)


def json_text(data: Any, **options: Any) -> str:
    """``json.dumps`` (non-ASCII kept) with DEL and C1 controls escaped as ``\\uXXXX``: the values
    read back unchanged, and none reaches a terminal raw."""
    text = json.dumps(data, ensure_ascii=False, **options)
    return _JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_json(data: Any, **options: Any) -> None:
    """Write ``data`` as JSON and a newline to standard output (see :func:`json_text`)."""
    sys.stdout.write(json_text(data, **options) + "\n")


EXIT_REJECTED = 1
EXIT_USAGE = 2

P = ParamSpec("P")
R = TypeVar("R")


NEXT_COMMAND = {"link_run": "Run `everyname link` first."}
"""The command that supplies what a store error found missing, by the error's field: the store's
messages name no front end, since the web app shows them too."""


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into a message and exit code 1 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EverynameError as exc:
            errors.print(f"[bold red]Error:[/] {escape(str(exc))}")
            hint = NEXT_COMMAND.get(getattr(exc, "field", None) or "")
            if isinstance(exc, NotFound) and hint:
                errors.print(hint)
            raise typer.Exit(EXIT_REJECTED) from None
        except Exception as exc:
            message = environment_message(exc)
            if message is None:
                raise
            errors.print(f"[bold red]Error:[/] {escape(message)}")
            raise typer.Exit(EXIT_REJECTED) from None

    return wrapper


BUSY_MESSAGE = (
    "The database is busy: another command is writing to it (an import, a link run) and did "
    "not finish in time. This command's change was not written. Run it again when the other "
    "has finished, or set EVERYNAME_SQLITE_WAIT to a longer wait in seconds."
)
DATABASE_FULL_MESSAGE = (
    "The database could not be written ({detail}): the disk holding it is full, or a file "
    "size limit was reached. This command's changes were rolled back; free some space and run "
    "it again."
)
FULL_MESSAGE = (
    "A working file could not be written ({detail}): the disk is full. This command's changes "
    "were rolled back; free some space and run it again."
)
# SQLite's words for a write the file system refused (SQLITE_FULL, SQLITE_IOERR: the latter
# is what a file size limit gives), PostgreSQL's SQLSTATE for a full disk, and the operating
# system's words that DuckDB and PostgreSQL pass on.
_SQLITE_FULL = ("database or disk is full", "disk I/O error")
_DISK_FULL_SQLSTATE = "53100"
_NO_SPACE_WORDS = "No space left on device"


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def environment_message(exc: BaseException) -> str | None:
    """One clear message for what the machine, not the user's input, refused: the database
    busy with another writer, a full disk; ``None`` for anything else (a bug keeps its
    traceback)."""
    import sqlite3

    from everyname.core.files import write_error

    for error in _chain(exc):
        text = str(error)
        if isinstance(error, sqlite3.OperationalError):
            if "database is locked" in text:
                return BUSY_MESSAGE
            if any(words in text for words in _SQLITE_FULL):
                return DATABASE_FULL_MESSAGE.format(detail=text)
        if getattr(error, "sqlstate", None) == _DISK_FULL_SQLSTATE:
            return DATABASE_FULL_MESSAGE.format(detail=text.splitlines()[0] if text else "")
        if isinstance(error, OSError):
            mapped = write_error(Path(error.filename or "a working file"), error)
            if mapped is not None:
                return str(mapped)
        if _NO_SPACE_WORDS in text:  # DuckDB's working files
            return FULL_MESSAGE.format(detail=text.splitlines()[0])
    return None


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@contextmanager
def byte_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar over bytes; yields the callback that advances it."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=False,
    ) as progress:
        task = progress.add_task(escape(description), total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update
