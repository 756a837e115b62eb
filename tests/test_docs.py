"""The README cannot drift: every command and every environment variable is documented."""

from pathlib import Path

import typer.main

from everyname import config
from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme():
    names = sorted(typer.main.get_command(app).commands)
    assert {"init", "import", "sources", "demo"} <= set(names)
    missing = [name for name in names if f"everyname {name}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_environment_variable_is_in_the_readme():
    missing = [name for name in config.ENVIRONMENT_VARIABLES if name not in README]
    assert not missing, f"variables missing from README.md: {missing}"


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```", 2)[1]
    assert "make demo" in first_block and "make test" in first_block
