"""``everyname worker``: run the jobs queued by the web app and the API."""

from __future__ import annotations

from typing import Annotated

import typer

from everyname.cli.db import open_database
from everyname.cli.output import console, user_errors


@user_errors
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run the jobs queued now, then exit.")
    ] = False,
    max_jobs: Annotated[
        int | None,
        typer.Option("--max-jobs", min=1, help="Exit after running this many jobs."),
    ] = None,
) -> None:
    """Run queued jobs (imports, previews, link runs, estimates, reports, releases).

    Runs until stopped. Each job runs as the user who queued it, whose permission is checked
    again when it runs; its progress and its result or error are kept with the job. Several
    workers may run at once. On the command line the same work runs in the foreground instead.
    """
    open_database()
    from everyname.store.jobs import run_worker

    ran = run_worker(once=once, max_jobs=max_jobs)
    console.print(f"Ran {ran} job{'' if ran == 1 else 's'}.")
