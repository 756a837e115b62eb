"""``everyname serve``: the team server, on the configured database.

Waitress serves it: a production WSGI server in pure Python, so the same command works on a
Linux server and on a recorder's Windows or macOS laptop (gunicorn runs on Unix only), with
nothing to compile and no separate process manager. It handles requests in a pool of threads;
Django gives each thread its own database connection, and on SQLite each connection waits for
the write lock (WAL, IMMEDIATE transactions, ``EVERYNAME_SQLITE_WAIT``) instead of failing with
"database is locked". Static files are served by the app itself (WhiteNoise).
"""

from __future__ import annotations

from typing import Annotated

import typer

from everyname.cli.db import open_database
from everyname.cli.output import console, escape, user_errors


@user_errors
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. 127.0.0.1 (the default) is this machine only; "
            "0.0.0.0 is every network interface (then set EVERYNAME_ALLOWED_HOSTS).",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, max=256, help="Requests handled at once (threads)."),
    ] = 8,
) -> None:
    """Run the web app: sign in at http://HOST:PORT/accounts/login/.

    Refuses to start without the secret key file `everyname init` creates. Users are added
    with `everyname user add`; admins and analysts set up a second factor at first sign-in.
    """
    from everyname.web.secret_key import require_secret_key

    require_secret_key()
    open_database()
    from waitress import serve as waitress_serve

    from everyname.web.wsgi import application

    console.print(
        f"everyname is serving on http://{escape(host)}:{port}/ "
        f"({workers} at once). Stop it with Ctrl+C."
    )
    waitress_serve(
        application,
        host=host,
        port=port,
        threads=workers,
        ident="everyname",
    )
