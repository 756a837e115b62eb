"""The ``everyname`` command line (Typer + Rich).

Each command lives in a module of its own that registers itself on ``app``; a command parses
its options, calls one store or core function and presents the result. Domain errors
(``EverynameError``) become a clean message and exit code 1; usage errors exit with 2.
"""

from everyname.cli.app import app, main

__all__ = ["app", "main"]
