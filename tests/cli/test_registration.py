"""Importing the app gives the whole command line: the commands are put on it in one place
(``everyname.cli.app.register``), and no command module changes the app when it is imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import typer.main

import everyname.cli
from everyname.cli.app import COMMAND_ORDER, app

CLI = Path(everyname.cli.__file__).parent


def test_importing_the_app_alone_gives_every_command():
    """In a fresh interpreter nothing but the app module is imported, as a web view or a test
    would; its commands are the ones ``everyname --help`` lists here."""
    code = (
        "import sys, typer.main\n"
        "from everyname.cli.app import app\n"
        "group = typer.main.get_command(app)\n"
        "print(' '.join(group.list_commands(None)))\n"
        "print('everyname.cli.commands' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    listed, commands_imported = out.stdout.splitlines()
    here = typer.main.get_command(app).list_commands(None)
    assert listed.split() == here
    assert set(COMMAND_ORDER) <= set(here), "every command of the order is registered"
    assert commands_imported == "False"


def test_no_command_module_registers_itself_on_the_app():
    """Only ``app.py`` calls ``app.command`` or ``app.add_typer``: a module's sub-app (places,
    claims, user) holds its own sub-commands and is added to the app there."""
    offenders = []
    for path in sorted(CLI.glob("*.py")):
        if path.name == "app.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "app"
                and node.attr in ("command", "add_typer", "callback")
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, f"commands registered outside app.py: {offenders}"
