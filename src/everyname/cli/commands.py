"""Kept for code that imported it to register the commands: importing the app now does that
(``everyname.cli.app.register``)."""

from everyname.cli.app import app

__all__ = ["app"]
