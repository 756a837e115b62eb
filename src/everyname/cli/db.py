"""Opening the database for a command."""

from __future__ import annotations

from everyname.store.bootstrap import require_initialised, setup


def open_database(*, require_init: bool = True) -> None:
    setup()
    if require_init:
        require_initialised()
