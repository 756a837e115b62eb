"""The README's command-line reference, generated from the commands' own ``--help``.

The README cannot drift from the code when its reference is the code's output: ``cog -r
README.md`` (``make docs``) rewrites the marked sections from these functions, and
``tests/test_docs.py`` regenerates them and fails when the README differs. The help is click's
plain text at a fixed width, not the terminal's boxes, so it reads the same on every machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

from everyname.cli.app import app

WIDTH = 100


def _root() -> Any:
    return typer.main.get_command(app)


def _context(command: Any, name: str, parent: Any = None) -> Any:
    return typer.Context(
        command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH
    )


def plain_help(command: Any, ctx: Any) -> str:
    """``command --help`` as plain text (Typer draws boxes with Rich when it can)."""
    mode = getattr(command, "rich_markup_mode", None)
    command.rich_markup_mode = None
    try:
        return command.get_help(ctx).rstrip()
    finally:
        command.rich_markup_mode = mode


def walk(command: Any = None, ctx: Any = None) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """Every command and sub-command below ``command`` (default: everyname itself) in the order
    ``--help`` lists them, with its path of names and its help context."""
    if command is None:
        command = _root()
        ctx = _context(command, "everyname")
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        sub_ctx = _context(sub, name, ctx)
        path = (*ctx.command_path.split()[1:], name)
        yield path, sub, sub_ctx
        if isinstance(sub, TyperGroup):
            yield from walk(sub, sub_ctx)


def overview() -> str:
    """``everyname --help``: the commands in the order a user runs them."""
    root = _root()
    return f"```\n{plain_help(root, _context(root, 'everyname'))}\n```\n"


def command_reference() -> str:
    """Each command's ``--help``, under a heading naming it."""
    sections = [
        f"### everyname {' '.join(path)}\n\n```\n{plain_help(command, ctx)}\n```\n"
        for path, command, ctx in walk()
    ]
    return "\n".join(sections)
