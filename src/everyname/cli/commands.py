"""Imports every command module so that each registers itself on the app."""

import everyname.cli.estimate  # noqa: F401
from everyname.cli import (  # noqa: F401
    audit,
    counting,
    demo,
    imports,
    init,
    keys,
    linking,
    places,
    users,
    worker,
)
