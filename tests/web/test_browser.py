"""The team server used as a person would use it: Debian's Chromium (driven by Playwright, never
a downloaded browser) against ``everyname serve`` on a real SQLite file holding the demo's lists,
imported and linked. Every request the pages make is recorded: none may go to another host.

The screenshots of each main page, in English and in Arabic, are kept in
``$EVERYNAME_SCREENSHOTS`` (default: a temporary folder) for a person to look at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

pytestmark = pytest.mark.slow

EVERYNAME = Path(sys.executable).with_name("everyname")
PASSWORD = "a long browser passphrase 9"


def totp(secret: str, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows for ``secret`` (RFC 6238: SHA-1, 30 s)."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The demo's database, its users and a running ``everyname serve``."""

    def __init__(self, root: Path):
        self.root = root
        folder = root / "everyname-demo"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("EVERYNAME_")},
            "EVERYNAME_DATABASE_URL": f"sqlite:///{folder / 'everyname-demo.sqlite3'}",
            "EVERYNAME_KEY_FILE": str(folder / "everyname.key"),
            "EVERYNAME_SECRET_KEY": secrets.token_urlsafe(50),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def run_bytes(self, *args: str, user: str | None = None) -> bytes:
        """A command's standard output, acting as ``user`` (once users exist, one is needed)."""
        env = self.env | ({"EVERYNAME_USER": user} if user else {})
        done = subprocess.run(
            [str(EVERYNAME), *args], cwd=self.root, env=env, capture_output=True, timeout=600
        )
        assert done.returncode == 0, (done.stderr + done.stdout).decode(errors="replace")
        return done.stdout

    def run(self, *args: str, user: str | None = None) -> str:
        return self.run_bytes(*args, user=user).decode("utf-8")

    def add_user(self, name: str, role: str, by: str | None, sources: str = "") -> None:
        """``everyname user add`` with the tests' password (and a recorder's sources)."""
        secret = self.root / f"{name}.password"
        secret.write_text(PASSWORD + "\n", encoding="utf-8")
        extra = ["--sources", sources] if sources else []
        self.run(
            "user", "add", name, "--role", role, *extra, "--password-file", str(secret), user=by
        )  # fmt: skip

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(EVERYNAME), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with urlopen(f"{self.url}/accounts/login/", timeout=5) as response:
                    assert response.status == 200
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    output = self.process.stdout.read().decode() if self.process.stdout else ""
                    raise AssertionError(f"everyname serve did not start:\n{output}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("served")
    served = Server(root)
    served.run("demo")  # its own database: five lists imported and linked
    # The demo made its administrator and viewer; the test's own users are added by the former.
    served.add_user("amal", "admin", by="demo-admin")
    served.add_user("farah", "viewer", by="demo-admin")
    served.add_user("ghassan", "viewer", by="demo-admin")
    served.start()
    yield served
    served.stop()


@pytest.fixture
def visit(browser, server):
    """``visit(locale)``: a fresh browser context (no cookies) whose every request is recorded;
    at the end of the test none may have gone to another host."""
    contexts, requested = [], []

    def open_page(locale: str = "en-GB"):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.on("request", lambda request: requested.append(request.url))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert requested, "no request was recorded"
    others = sorted(
        {url for url in requested if urlsplit(url).netloc != f"127.0.0.1:{server.port}"}
    )
    assert not others, f"requests to other hosts: {others}"


def sign_in(page, server: Server, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("form.stacked button[type=submit]")
    # A click waits for the next page to start, not to be read whole.
    page.wait_for_load_state()


def test_an_admin_signs_in_with_a_second_factor_sees_the_count_and_reads_it_in_arabic(
    server, visit, shots
):
    page = visit()
    sign_in(page, server, "amal")
    # An admin must have a second factor: enrolment comes before any other page.
    assert "/accounts/two-factor/" in page.url
    page.goto(f"{server.url}/figures/")
    assert "/accounts/two-factor/" in page.url
    page.screenshot(path=shots / "enrol-en.png", full_page=True)
    secret = page.inner_text("code.secret")
    page.fill("input[name=code]", totp(secret))
    page.click("form.stacked button[type=submit]")
    page.goto(f"{server.url}/")
    assert page.url == f"{server.url}/"

    counted = json.loads(server.run("count", "--format", "json", user="amal"))
    assert int(page.inner_text("#total")) == counted["total"] > 0
    pairs = counted["total_range"]["pairs_awaiting_review"]
    assert int(page.inner_text("#pairs-awaiting-review")) == pairs
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.screenshot(path=shots / "dashboard-en.png", full_page=True)
    page.goto(f"{server.url}/figures/?by=sex&by=age_group&by=place")
    assert page.locator("table[data-field=place] tbody tr").count() > 1
    page.screenshot(path=shots / "figures-en.png", full_page=True)
    with page.expect_download() as download:
        page.click("text=CSV")
    csv_path = download.value.path()
    assert Path(csv_path).read_bytes() == server.run_bytes(
        "count", "--by", "sex,age_group,place", "--format", "csv", user="amal"
    )

    page.click("header form.language button")  # the switch, posted: no script runs
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert "الأرقام" in page.inner_text("h1")
    page.screenshot(path=shots / "figures-ar.png", full_page=True)
    page.goto(f"{server.url}/")
    assert page.inner_text("h1") == "لوحة المتابعة"
    assert int(page.inner_text("#total")) == counted["total"]
    # Right to left: the navigation starts at the right edge of the page.
    brand = page.locator("header .brand").bounding_box()
    assert brand["x"] > 1280 / 2
    page.screenshot(path=shots / "dashboard-ar.png", full_page=True)


def test_before_sign_in_the_browser_language_chooses_arabic(server, visit, shots):
    arabic = visit("ar")
    arabic.goto(f"{server.url}/")
    assert "/accounts/login/" in arabic.url
    assert arabic.locator("html").get_attribute("dir") == "rtl"
    assert arabic.inner_text("h1") == "تسجيل الدخول"
    arabic.screenshot(path=shots / "login-ar.png", full_page=True)
    english = visit("en-GB")
    english.goto(f"{server.url}/accounts/login/")
    assert english.inner_text("h1") == "Sign in"
    english.screenshot(path=shots / "login-en.png", full_page=True)


def test_a_viewer_sees_the_figures_and_is_refused_other_pages(server, visit):
    page = visit()
    sign_in(page, server, "farah")
    assert page.url == f"{server.url}/"  # a viewer needs no second factor
    assert page.get_by_role("link", name="Figures", exact=True).count() == 1
    response = page.goto(f"{server.url}/records/")
    assert response.status == 403  # the page exists; a viewer is refused it, never shown it
    download = page.request.get(f"{server.url}/figures/?format=json")  # the page's cookies
    assert download.ok and download.json()["total"] > 0


def test_ten_wrong_passwords_lock_the_account(server, visit, shots):
    """Last in this module: the lockout also pauses this address for every user."""
    page = visit()
    for _ in range(10):
        sign_in(page, server, "ghassan", "not the password")
    sign_in(page, server, "ghassan")  # the right password no longer helps
    assert "/accounts/login/" in page.url or "paused" in page.content().lower()
    text = page.inner_text("main")
    assert "paused" in text and "ghassan" not in text
    page.screenshot(path=shots / "locked-en.png", full_page=True)
