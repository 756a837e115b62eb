"""The README cannot drift: its command-line reference is regenerated from every command's
``--help`` and compared; every command and option has help, and every environment variable the
code reads is documented."""

import re
from pathlib import Path

import pytest
from cogapp import Cog

from everyname import config
from everyname.cli.reference import command_reference, overview, walk

ROOT = Path(__file__).resolve().parents[1]
README_PATH = ROOT / "README.md"
README = README_PATH.read_text(encoding="utf-8")
COMMANDS = list(walk())


def test_the_readme_reference_is_what_the_code_says():
    """Regenerate the README's cog sections as `make docs` does and compare, section by section
    so that a failure names what changed."""
    cog = Cog()
    regenerated = cog.process_string(README, fname=str(README_PATH))
    assert regenerated == README, "the README's command-line reference is stale: run `make docs`"
    assert overview() in README and command_reference() in README


@pytest.mark.parametrize("path", [" ".join(p) for p, _, _ in COMMANDS])
def test_every_command_is_documented(path):
    command = next(c for p, c, _ in COMMANDS if " ".join(p) == path)
    assert (command.help or "").strip(), f"`everyname {path}` has no help text"
    assert f"### everyname {path}\n" in README, f"`everyname {path}` is not in README.md"


@pytest.mark.parametrize("path", [" ".join(p) for p, _, _ in COMMANDS])
def test_every_option_is_documented(path):
    command = next(c for p, c, _ in COMMANDS if " ".join(p) == path)
    section = README.split(f"### everyname {path}\n", 1)[1].split("\n### ", 1)[0]
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert (param.help or "").strip(), f"everyname {path} {param.opts[0]}: no help text"
        for flag in param.opts if param.param_type_name == "option" else ():
            assert flag in section, f"everyname {path} {flag} is not in its README section"


def test_the_commands_appear_in_the_order_a_user_runs_them():
    from everyname.cli.app import COMMAND_ORDER

    top = [p[0] for p, _, _ in COMMANDS if len(p) == 1]
    assert {"init", "import", "sources", "link", "review", "count", "demo"} <= set(top)
    known = [c for c in top if c in COMMAND_ORDER]
    assert known == [c for c in COMMAND_ORDER if c in top]


def variables_the_code_reads() -> set[str]:
    """Every ``EVERYNAME_*`` name in the package's source (a secret's ``_FILE`` twin counts as
    the secret: ``EVERYNAME_SECRET_KEY_FILE`` is ``EVERYNAME_SECRET_KEY`` read from a file)."""
    found = set()
    for path in (ROOT / "src" / "everyname").rglob("*.py"):
        found |= set(re.findall(r"\bEVERYNAME_[A-Z0-9_]*[A-Z0-9]\b", path.read_text("utf-8")))
    declared = set(config.ENVIRONMENT_VARIABLES)
    return {
        name.removesuffix("_FILE") if name.removesuffix("_FILE") in declared else name
        for name in found
    }


def test_every_environment_variable_is_documented():
    read = variables_the_code_reads()
    assert {"EVERYNAME_DATABASE_URL", "EVERYNAME_USER"} <= read
    undeclared = sorted(read - set(config.ENVIRONMENT_VARIABLES))
    assert not undeclared, f"variables read but not in config.ENVIRONMENT_VARIABLES: {undeclared}"
    missing = [name for name in config.ENVIRONMENT_VARIABLES if f"`{name}`" not in README]
    assert not missing, f"variables missing from README.md: {missing}"


def test_readme_starts_with_the_two_commands_and_says_what_make_test_needs():
    first_block = README.split("```", 2)[1]
    assert "make demo" in first_block and "make test" in first_block
    before_the_command_line = README.split("## The command line", 1)[0]
    for need in ("../shared", "PostgreSQL 15", "WeasyPrint"):
        assert need in before_the_command_line, need
