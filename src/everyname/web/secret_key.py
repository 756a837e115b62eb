"""The web app's secret key file: made by ``everyname init``, required by ``everyname serve``.

Django signs sessions, CSRF tokens and the second-factor state with this key; anyone holding it
could forge a signed-in admin's session. So it is random, written owner-only and whole (never a
half-written file), never replaced once made (replacing it signs everyone out, which an admin
may do on purpose by deleting the file), and there is no built-in fallback.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from everyname import config
from everyname.core.files import atomic_write, is_private


class SecretKeyError(config.ConfigurationError):
    """The web app's secret key is missing or unsafe."""


def create_secret_key_file(path: Path | None = None) -> tuple[Path, bool]:
    """Create the secret key file if it is missing; return its path and whether it was made.

    Nothing is written when ``EVERYNAME_SECRET_KEY`` gives the key itself.
    """
    path = path or config.secret_key_file_path()
    if path.exists():
        check_secret_key_file(path)
        return path, False
    try:
        with atomic_write(path, "w", private=True, overwrite=False, encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(64) + "\n")
    except FileExistsError:  # another init made it first: theirs stands
        check_secret_key_file(path)
        return path, False
    return path, True


def check_secret_key_file(path: Path) -> None:
    if not is_private(path):
        raise SecretKeyError(
            f"The secret key file {path} can be read by other users. Run `chmod 600 {path}`.",
            field="secret_key_file",
        )


def require_secret_key() -> str:
    """The configured secret key, or an error saying how to make one (for ``serve``)."""
    import os

    key = config.secret_key()
    if key is None:
        path = config.secret_key_file_path()
        raise SecretKeyError(
            f"The web app has no secret key: the file {path} does not exist. Run "
            "`everyname init` to create it (or set EVERYNAME_SECRET_KEY_FILE to yours). "
            "everyname never serves with a built-in key.",
            field="secret_key_file",
        )
    if not os.environ.get("EVERYNAME_SECRET_KEY"):
        check_secret_key_file(config.secret_key_file_path())
    if len(key) < 32:
        raise SecretKeyError(
            "The web app's secret key is shorter than 32 characters; use the one "
            "`everyname init` makes.",
            field="secret_key",
        )
    return key
