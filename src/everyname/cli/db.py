"""Opening the database for a command, and who the command acts for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from everyname import config
from everyname.store.bootstrap import require_initialised, setup

if TYPE_CHECKING:
    from everyname.store.permissions import Actor


def open_database(*, require_init: bool = True) -> None:
    setup()
    if require_init:
        require_initialised()


def current_actor() -> Actor:
    """The acting user of this command (``EVERYNAME_USER``, else the OS user); call it after
    :func:`open_database` (the store's models need Django set up)."""
    from everyname.store.users import acting_user

    return acting_user(config.actor())
