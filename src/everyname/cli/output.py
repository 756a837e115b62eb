"""How commands talk to the user: Rich consoles, clean errors, progress bars."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from everyname.core.errors import EverynameError

console = Console()
errors = Console(stderr=True)

EXIT_REJECTED = 1
EXIT_USAGE = 2

P = ParamSpec("P")
R = TypeVar("R")


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into a message and exit code 1 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except EverynameError as exc:
            errors.print(f"[bold red]Error:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_REJECTED) from None

    return wrapper


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
