"""``everyname worker``: runs what the web app queued, as the user who queued it."""

from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.store import jobs
from everyname.store.models import Batch, Job
from everyname.store.sources import get_or_create_source

pytestmark = pytest.mark.django_db
runner = CliRunner()


def upload(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_worker_once_runs_the_queued_jobs_then_exits(key_file, cast):
    get_or_create_source("src-a", "setup")
    first = jobs.enqueue(
        cast["recorder_a"], "import", {"source": "src-a"}, file=upload(b"name\nAhmad\n", "a.csv")
    )
    second = jobs.enqueue(
        cast["recorder_a"], "import", {"source": "src-a"}, file=upload(b"name\nHuda\n", "b.csv")
    )
    result = runner.invoke(app, ["worker", "--once", "--max-jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Ran 1 job." in result.output
    assert [j.state for j in Job.objects.order_by("id")] == ["done", "queued"]
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Ran 1 job." in result.output
    assert jobs.job_status(cast["recorder_a"], second.id).state == "done"
    assert sorted(Batch.objects.values_list("file_name", flat=True)) == ["a.csv", "b.csv"]
    assert jobs.job_status(cast["recorder_a"], first.id).result["records_imported"] == 1
    nothing = runner.invoke(app, ["worker", "--once"])
    assert nothing.exit_code == 0 and "Ran 0 jobs." in nothing.output


def test_worker_is_listed_in_help():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "worker" in result.output
    assert runner.invoke(app, ["worker", "--max-jobs", "0"]).exit_code == 2
