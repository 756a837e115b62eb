"""What a user sees first: commands listed in the order they are run, a review prompt whose
keys are shown, and a link run on the smallest list that says it used defaults."""

from __future__ import annotations

import csv
import re

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import COMMAND_ORDER, app
from everyname.store.models import MatchDecision

runner = CliRunner()


def listed_commands(help_text: str) -> list[str]:
    """Command names in the order the help's command panel lists them."""
    panel = help_text.split("Commands", 1)[1]
    return re.findall(r"^│ ([a-z]+) ", panel, flags=re.M)  # not a wrapped description line


def test_help_lists_commands_in_the_order_a_user_runs_them():
    result = runner.invoke(app, ["--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    listed = listed_commands(result.output)
    registered = set(app_commands())
    assert set(listed) == registered, "every command is listed, none twice"
    assert len(listed) == len(registered)
    expected = [c for c in COMMAND_ORDER if c in registered]
    assert listed[: len(expected)] == expected
    for before, after in (("init", "import"), ("import", "sources"), ("link", "review")):
        assert listed.index(before) < listed.index(after)
    assert listed[-1] == "demo" or listed[-1] not in COMMAND_ORDER


def test_a_command_missing_from_the_order_is_listed_last_not_dropped():
    import typer

    from everyname.cli.app import OrderedCommands

    extra = typer.Typer(cls=OrderedCommands)
    for name in ("zebra", "link", "init"):
        extra.command(name)(lambda: None)
    group = typer.main.get_command(extra)
    assert group.list_commands(None) == ["init", "link", "zebra"]


def app_commands() -> list[str]:
    import typer

    return list(typer.main.get_command(app).commands)


def write_list(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["الرقم", "الاسم", "الجنس", "تاريخ الوفاة", "المحافظة"], *rows]
        )
    return path


@pytest.mark.django_db
def test_review_prompt_shows_its_keys_on_a_two_record_database(tmp_path, key_file):
    """Two lists naming one person, one record each: linking used to stop with a traceback;
    now it says it used defaults, the pair awaits review, and the prompt shows [s]ame..."""
    one = ["محمد عبد الرحمن الخالدي", "ذكر", "2012-02-04", "حمص"]
    for row, source in enumerate(("lcc", "ngo"), start=1):
        path = write_list(tmp_path / f"{source}.csv", [[str(row), *one]])
        result = runner.invoke(app, ["import", str(path), "--source", source])
        assert result.exit_code == 0, result.output
    linked = runner.invoke(app, ["link"], terminal_width=200)
    assert linked.exit_code == 0, linked.output
    assert "Defaults used" in linked.output
    assert "every compared pair awaits review" in linked.output
    reviewed = runner.invoke(app, ["review"], input="q\n", terminal_width=200)
    assert reviewed.exit_code == 0, reviewed.output
    assert "[s]ame person, [d]ifferent people, [k] skip, [q]uit" in reviewed.output
    assert "ame person, ifferent people" not in reviewed.output  # what markup left of it
    assert "محمد" in reviewed.output  # the pair was shown before the prompt
    decided = runner.invoke(app, ["review"], input="s\n", terminal_width=200)
    assert decided.exit_code == 0, decided.output
    assert MatchDecision.objects.filter(verdict="same").count() == 1


@pytest.mark.django_db
def test_review_shows_a_value_that_could_not_be_read_as_written_and_says_so(tmp_path, key_file):
    """An age of 430 is shown as written with "(unread)"; a status the list gives as unknown
    was read, and a cause both lists give as unknown is not shown at all."""
    rows = {
        "lcc": ["1", "محمد عبد الرحمن الخالدي", "430", "غير معروف", "غير معروف"],
        "ngo": ["2", "محمد عبد الرحمن الخالدي", "33", "مدني", "Unknown"],
    }
    for source, row in rows.items():
        path = tmp_path / f"{source}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["الرقم", "الاسم", "العمر", "الصفة", "سبب الوفاة"], row])
        result = runner.invoke(app, ["import", str(path), "--source", source])
        assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["link"]).exit_code == 0
    reviewed = runner.invoke(app, ["review"], input="q\n", terminal_width=200)
    assert reviewed.exit_code == 0, reviewed.output
    assert re.search(r"430 \(unread\)\s*│\s*33", reviewed.output), reviewed.output
    assert re.search(r"unknown\s*│\s*civilian", reviewed.output), reviewed.output
    assert "(unread)" not in reviewed.output.replace("430 (unread)", "")
    assert "cause" not in reviewed.output
