"""``everyname serve`` as a team would run it: a real server in its own process, on a free
port, on a database ``everyname init`` made, with the secret key file init made."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from everyname.web import __file__ as web_init

EVERYNAME = Path(sys.executable).with_name("everyname")
STATIC_CSS = Path(web_init).parent / "static" / "web" / "everyname.css"
PASSWORD = "a long serve passphrase 9"


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A fresh database for the server: a SQLite file, or a new database on the suite's
    throwaway PostgreSQL cluster with ``--db=postgres``."""
    if request.config.getoption("--db") != "postgres":
        return f"sqlite:///{tmp_path / 'served.sqlite3'}"
    import psycopg

    cluster = request.getfixturevalue("postgres_cluster")
    name = f"serve_{secrets.token_hex(4)}"
    with psycopg.connect(
        host=cluster["HOST"], port=cluster["PORT"], user="postgres", dbname="postgres",
        autocommit=True,
    ) as connection:  # fmt: skip
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@{quote(cluster['HOST'], safe='')}:{cluster['PORT']}/{name}"


@pytest.fixture
def folder(tmp_path, database_url):
    """A working folder with its environment: everyname's own variables only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVERYNAME_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["EVERYNAME_DATABASE_URL"] = database_url
    env["EVERYNAME_USER"] = "setup"
    return tmp_path, env


def everyname(folder, *args: str, env: dict[str, str] | None = None):
    cwd, folder_env = folder
    return subprocess.run(
        [str(EVERYNAME), *args], cwd=cwd, env=env or folder_env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_init_makes_the_secret_key_file_owner_only_once(folder):
    cwd, _ = folder
    assert everyname(folder, "init").returncode == 0
    secret = cwd / "everyname.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    first = secret.read_text()
    assert len(first.strip()) >= 50
    again = everyname(folder, "init")
    assert again.returncode == 0, again.stderr
    assert secret.read_text() == first  # never replaced: that would sign everyone out


def test_serve_refuses_to_start_without_a_secret_key(folder):
    cwd, env = folder
    assert everyname(folder, "init").returncode == 0
    (cwd / "everyname.secret").unlink()
    refused = everyname(folder, "serve", "--port", str(free_port()))
    assert refused.returncode == 1
    said = " ".join(refused.stderr.split())  # as one line: the terminal's width folds it
    assert "no secret key" in said and "everyname init" in said
    env["EVERYNAME_SECRET_KEY_FILE"] = str(cwd / "elsewhere.secret")
    refused = everyname(folder, "serve", "--port", str(free_port()))
    assert refused.returncode == 1
    assert "elsewhere.secret" in "".join(refused.stderr.split())  # a long path is folded too


def test_serve_refuses_a_secret_key_others_can_read(folder):
    cwd, _ = folder
    assert everyname(folder, "init").returncode == 0
    (cwd / "everyname.secret").chmod(0o644)
    refused = everyname(folder, "serve", "--port", str(free_port()))
    assert refused.returncode == 1
    assert "chmod 600" in refused.stderr


class Browser:
    """One visitor: its own cookies, following redirects as a browser does."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str):
        return self.opener.open(self.base + path, timeout=120)

    def sign_in(self, name: str, password: str):
        page = self.get("/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": name, "password": password}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/"}
        )
        return self.opener.open(request, timeout=120)


def wait_for(base: str, server: subprocess.Popen) -> None:
    """Until the server answers (or has exited, which fails the test with its output)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"everyname serve exited: {server.stderr.read()}")
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail("everyname serve did not answer within two minutes")


@pytest.mark.slow
def test_serve_serves_sign_in_static_files_and_many_sign_ins_at_once(folder):
    cwd, env = folder
    assert everyname(folder, "init").returncode == 0
    (cwd / "pw").write_text(PASSWORD + "\n")
    added = everyname(folder, "user", "add", "amal", "--role", "admin", "--password-file", "pw")
    assert added.returncode == 0, added.stderr
    added = everyname(
        folder, "user", "add", "farah", "--role", "viewer", "--password-file", "pw",
        env={**env, "EVERYNAME_USER": "amal"},
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(EVERYNAME), "serve", "--port", str(port), "--workers", "8"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(base, server)
        login = urllib.request.urlopen(base + "/accounts/login/", timeout=60)
        assert login.status == 200
        assert login.headers["X-Frame-Options"] == "DENY"
        assert 'name="csrfmiddlewaretoken"' in login.read().decode()
        css = urllib.request.urlopen(base + "/static/web/everyname.css", timeout=60)
        assert css.status == 200 and css.read() == STATIC_CSS.read_bytes()

        # Sixteen sign-ins at once: each writes a session and an access record, eight
        # threads deep, and not one of them may fail ("database is locked" on SQLite).
        def sign_in(i: int) -> tuple[str, str]:
            browser = Browser(base)
            name = "amal" if i % 2 else "farah"
            response = browser.sign_in(name, PASSWORD)
            return name, response.geturl()

        with ThreadPoolExecutor(max_workers=16) as pool:
            landed = list(pool.map(sign_in, range(16)))
        for name, url in landed:
            if name == "amal":  # an admin without a second factor is sent to enrol
                assert urllib.parse.urlsplit(url).path == "/accounts/two-factor/"
            else:
                assert urllib.parse.urlsplit(url).path == "/"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=60)
    assert "database is locked" not in errors
    assert "Traceback" not in errors
