"""Configuration from the environment, parsed strictly in one place.

A clean checkout just works: SQLite in the working folder and a key file beside it. A team
server sets ``EVERYNAME_DATABASE_URL`` to a PostgreSQL URL. Every secret can also be read from a
file named by the same variable with ``_FILE`` appended. A bad value stops start-up with a
message naming the variable and what it accepts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from everyname.core.errors import EverynameError

DEFAULT_DATABASE_FILE = "everyname.sqlite3"
DEFAULT_KEY_FILE = "everyname.key"
DEFAULT_SECRET_KEY_FILE = "everyname.secret"
DEFAULT_SQLITE_WAIT = 60
DEFAULT_UPLOAD_LIMIT_MB = 200
SUPPORTED_SCHEMES = ("sqlite", "postgres", "postgresql")

ENVIRONMENT_VARIABLES: dict[str, str] = {
    "EVERYNAME_DATABASE_URL": (
        "Database to use: sqlite:///path/to/file.sqlite3 or postgresql://user:pass@host:port/db. "
        f"Default: a SQLite file {DEFAULT_DATABASE_FILE} in the working folder."
    ),
    "EVERYNAME_KEY_FILE": (
        "File holding the key that encrypts reporter and witness identities at rest. "
        f"Created by `everyname init` with owner-only permissions. Default: ./{DEFAULT_KEY_FILE}."
    ),
    "EVERYNAME_SECRET_KEY": (
        "Django secret key for the web app (or EVERYNAME_SECRET_KEY_FILE, the file holding it). "
        "`everyname init` creates the file owner-only; default: "
        f"{DEFAULT_SECRET_KEY_FILE} beside the key file. `everyname serve` refuses to start "
        "without one; there is no built-in key."
    ),
    "EVERYNAME_ALLOWED_HOSTS": (
        "Comma-separated host names the web app answers to besides 127.0.0.1 and localhost "
        "(the server's name on the team's network, e.g. everyname.example.org)."
    ),
    "EVERYNAME_HTTPS": (
        "1 when the web app is reached over HTTPS (behind a TLS proxy): cookies are sent only "
        "over HTTPS and browsers are told to use HTTPS for a year (HSTS). Default: 0."
    ),
    "EVERYNAME_USER": (
        "Who the command line acts for. While the database has no users, the local "
        "administrator, under this name in the audit log (default: the OS user); once users "
        "exist, it must name an active user, whose role decides what commands may do."
    ),
    "EVERYNAME_BACKUP_PASSPHRASE": (
        "Passphrase for `everyname backup` and `restore` (or EVERYNAME_BACKUP_PASSPHRASE_FILE; "
        "at least 12 characters). Unset: asked for at a prompt."
    ),
    "EVERYNAME_DEBUG": "1 to show Django debug pages in the web app; 0 (default) otherwise.",
    "EVERYNAME_MAX_CELL_CHARS": (
        "Longest cell an import reads, in characters (default 32767, Excel's own limit); a "
        "longer one is kept cut to it and named by row and column."
    ),
    "EVERYNAME_MAX_ROW_CHARS": (
        "Longest CSV line, JSON Lines line or JSON record an import reads (default 1048576)."
    ),
    "EVERYNAME_MAX_JSON_DEPTH": (
        "Deepest nesting of arrays and objects in one JSON record an import reads (default 64)."
    ),
    "EVERYNAME_MAX_XLSX_PART_BYTES": (
        "Largest part of a workbook (a sheet, its shared strings) an import unpacks, in bytes "
        "(default 1073741824)."
    ),
    "EVERYNAME_UPLOAD_LIMIT_MB": (
        "Largest list the web app accepts as an upload, in megabytes (default "
        f"{DEFAULT_UPLOAD_LIMIT_MB}); a larger one "
        "is refused while it arrives, never kept whole."
    ),
    "EVERYNAME_SQLITE_WAIT": (
        "Seconds a command on a SQLite database waits for another command's write (an import, "
        f"a link run) to finish before it gives up with a message. Default: {DEFAULT_SQLITE_WAIT}."
    ),
}


class ConfigurationError(EverynameError):
    """An environment variable has a value everyname cannot use."""


def env(name: str, default: str | None = None) -> str | None:
    """Read ``name``, or the file named by ``name_FILE`` (secrets kept out of the environment)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def parse_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}={value!r} is not understood; use 1 or 0")


def database_settings(url: str | None = None) -> dict[str, Any]:
    """Django ``DATABASES['default']`` for the configured URL."""
    import dj_database_url

    url = url if url is not None else env("EVERYNAME_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{Path.cwd() / DEFAULT_DATABASE_FILE}"
    scheme = url.split(":", 1)[0].lower()
    if scheme not in SUPPORTED_SCHEMES:
        raise ConfigurationError(
            f"EVERYNAME_DATABASE_URL={redact_url(url)!r} is not supported; expected a URL "
            "starting with sqlite:/// or postgresql://"
        )
    try:
        config = dj_database_url.parse(url)
    except Exception as exc:  # dj_database_url raises several types for malformed URLs
        raise ConfigurationError(
            f"EVERYNAME_DATABASE_URL={redact_url(url)!r} cannot be parsed: {exc}"
        ) from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers read while an import writes; IMMEDIATE takes the write lock when a
            # transaction starts, so two writers queue instead of both reading and then failing
            # to upgrade (SQLite's deadlock); the timeout is how long a writer queues.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": sqlite_wait(),
        }
    return config


def sqlite_wait() -> float:
    """Seconds to wait for SQLite's write lock (``EVERYNAME_SQLITE_WAIT``)."""
    value = env("EVERYNAME_SQLITE_WAIT")
    if value is None:
        return float(DEFAULT_SQLITE_WAIT)
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ConfigurationError(
            f"EVERYNAME_SQLITE_WAIT={value!r} is not understood; use a number of seconds, e.g. 60"
        )
    return seconds


def upload_limit_bytes() -> int:
    """The largest upload the web app takes (``EVERYNAME_UPLOAD_LIMIT_MB``), in bytes."""
    value = env("EVERYNAME_UPLOAD_LIMIT_MB")
    if value is None:
        return DEFAULT_UPLOAD_LIMIT_MB * 1024 * 1024
    try:
        megabytes = int(value)
    except ValueError:
        megabytes = 0
    if megabytes < 1:
        raise ConfigurationError(
            f"EVERYNAME_UPLOAD_LIMIT_MB={value!r} is not understood; use a whole number of "
            "megabytes, e.g. 200"
        )
    return megabytes * 1024 * 1024


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def key_file_path() -> Path:
    return Path(env("EVERYNAME_KEY_FILE", DEFAULT_KEY_FILE) or DEFAULT_KEY_FILE).expanduser()


def allowed_hosts() -> list[str]:
    """Host names from ``EVERYNAME_ALLOWED_HOSTS`` (comma-separated)."""
    value = env("EVERYNAME_ALLOWED_HOSTS") or ""
    return [host.strip() for host in value.split(",") if host.strip()]


def secret_key_file_path() -> Path:
    """The web app's secret key file: ``EVERYNAME_SECRET_KEY_FILE``, or beside the key file."""
    named = os.environ.get("EVERYNAME_SECRET_KEY_FILE")
    if named:
        return Path(named).expanduser()
    return key_file_path().with_name(DEFAULT_SECRET_KEY_FILE)


def secret_key() -> str | None:
    """The web app's secret key, or None when none is configured (the command line needs none;
    ``everyname serve`` refuses to start without one). A missing file is None, not an error:
    ``everyname init`` is what creates it."""
    value = os.environ.get("EVERYNAME_SECRET_KEY")
    if value:
        return value
    path = secret_key_file_path()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError(f"the secret key file {path} cannot be read: {exc}") from exc
    return text or None


def actor() -> str:
    """Who is acting from the command line, for the audit log."""
    import getpass

    name = env("EVERYNAME_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return "unknown"
