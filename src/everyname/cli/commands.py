"""Imports every command module so that each registers itself on the app."""

from everyname.cli import demo, imports, init  # noqa: F401
