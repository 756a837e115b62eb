"""Files that appear whole or not at all, owner-only by default, and one message for a full disk.

Why: a crash, a kill or a full disk in the middle of a write used to leave a truncated CSV that
looked complete, or a half-written release folder that blocked every later release. Everything
the tool writes goes through here: the content is written to a hidden temporary name in the
destination's own folder (so the final rename never crosses a file system), flushed to disk, and
renamed over the destination only when complete. A failed write removes its temporary file; one
left by a kill -9 has a name no command reads or waits for, so it never blocks the next run.

Files are created owner-only (0600, folders 0700) unless a caller says they hold nothing
personal: exports, rejects, reports and releases hold names of the dead and sometimes
witnesses' details, and a shared machine's other users should not read them by default.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from everyname.core.errors import EverynameError

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700

# errno values meaning "no room left" (a full disk or a quota) or "file too large for a limit".
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_TOO_LARGE = {errno.EFBIG}


class WriteFailed(EverynameError):
    """A file could not be written (a full disk, a quota or a size limit); nothing was left."""

    field = "output"


def _umasked(mode: int) -> int:
    """``mode`` narrowed by the process's umask, as ``open`` would have done."""
    current = os.umask(0)
    os.umask(current)
    return mode & ~current


def write_error(path: Path, error: OSError) -> EverynameError | None:
    """The user's message for an ``OSError`` met while writing ``path``, or ``None`` when the
    error is not about space (those keep their own message and traceback: they are bugs or
    environment problems nobody can fix by freeing space)."""
    if error.errno in _NO_SPACE:
        return WriteFailed(
            f"Could not write {path}: the disk is full. Nothing was written; free some space "
            "and run the command again."
        )
    if error.errno in _TOO_LARGE:
        return WriteFailed(
            f"Could not write {path}: the file reached the largest size this system allows "
            "(a file size limit). Nothing was written."
        )
    return None


@contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """Turn a full disk or a size limit while writing ``path`` into one clear message."""
    try:
        yield
    except OSError as error:
        mapped = write_error(path, error)
        if mapped is None:
            raise
        raise mapped from None


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (so a power cut leaves the old file or the new one, not neither)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - folders cannot be opened on some systems (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)


def _publish(temporary: Path, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temporary, path)
        return
    # A hard link fails if the destination exists, atomically: no window where a file that
    # appeared meanwhile (another process, a user) is replaced.
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:  # pragma: no cover - file systems without hard links
        if path.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(temporary, path)
        return
    temporary.unlink()


@contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: str = "wb",
    *,
    private: bool = True,
    overwrite: bool = True,
    encoding: str | None = None,
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a handle whose content replaces ``path`` only when the ``with`` block ends cleanly.

    ``mode`` is ``"wb"`` or ``"w"`` (text, with ``encoding`` and ``newline`` as for ``open``).
    ``private`` creates the file owner-only (0600); otherwise it gets the usual 0666 narrowed by
    the umask. ``overwrite=False`` refuses (``FileExistsError``) a destination that exists when
    the write completes. On any error the temporary file is removed and ``path`` is untouched;
    a full disk or size limit becomes :class:`WriteFailed` naming ``path``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes whole files: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    folder = path.parent
    with disk_errors(path):
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER if private else 0o777)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    temporary = Path(name)
    try:
        with disk_errors(path):
            if not private:
                os.chmod(temporary, _umasked(0o666))
            kwargs: dict[str, Any] = {}
            if "b" not in mode:
                kwargs = {"encoding": encoding or "utf-8", "newline": newline}
            with os.fdopen(fd, mode, **kwargs) as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            _publish(temporary, path, overwrite)
            _fsync_folder(folder)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes, **options: Any) -> Path:
    """Write ``data`` to ``path`` whole or not at all (options as for :func:`atomic_write`)."""
    with atomic_write(path, "wb", **options) as handle:
        handle.write(data)
    return Path(path)


def write_text(
    path: str | os.PathLike[str], text: str, encoding: str = "utf-8", **options: Any
) -> Path:
    """Write ``text`` to ``path`` whole or not at all (options as for :func:`atomic_write`)."""
    with atomic_write(path, "w", encoding=encoding, newline="", **options) as handle:
        handle.write(text)
    return Path(path)


@contextmanager
def atomic_folder(path: str | os.PathLike[str], *, private: bool = True) -> Iterator[Path]:
    """Yield a temporary folder beside ``path`` to fill; it becomes ``path`` when the block ends.

    For a release: readers and later runs see the whole folder or none. ``path`` must not exist
    (``FileExistsError``, checked before and at the rename). On any error the temporary folder
    and everything in it are removed. Files inside may be written plainly: the folder as a whole
    is what appears at once (each is flushed to disk before the rename).
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(errno.EEXIST, "File exists", str(path))
    with disk_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER if private else 0o777)
        temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        with disk_errors(path):
            yield temporary
            for item in temporary.rglob("*"):
                if item.is_file():
                    _fsync_file(item)
                    if not private:
                        os.chmod(item, _umasked(0o666))
                elif item.is_dir() and not private:
                    os.chmod(item, _umasked(0o777))
            if not private:
                os.chmod(temporary, _umasked(0o777))
            if path.exists():  # os.rename would replace an empty folder silently
                raise FileExistsError(errno.EEXIST, "File exists", str(path))
            os.rename(temporary, path)
            _fsync_folder(path.parent)
    except WriteFailed as failed:
        shutil.rmtree(temporary, ignore_errors=True)
        # Name the folder the user asked for, not the temporary one that is gone.
        raise WriteFailed(str(failed).replace(str(temporary), str(path))) from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def make_private(path: str | os.PathLike[str]) -> None:
    """Narrow an existing file or folder to its owner (0600 / 0700)."""
    path = Path(path)
    os.chmod(path, PRIVATE_FOLDER if path.is_dir() else PRIVATE_FILE)


def is_private(path: str | os.PathLike[str]) -> bool:
    """Whether nobody but the owner can read, write or enter ``path``."""
    return not Path(path).stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
