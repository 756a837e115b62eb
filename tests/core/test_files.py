"""Files appear whole or not at all, owner-only by default; a full disk gives one message.

The failures here are real ones: ``/dev/full`` answers every write with ENOSPC, and a child
process under ``RLIMIT_FSIZE`` gets EFBIG from the kernel part-way through a write.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from everyname.core import files
from everyname.core.files import WriteFailed, atomic_folder, atomic_write


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_a_completed_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with atomic_write(target, "w") as handle:
        handle.write("new\n")
        assert target.read_text() == "old\n"  # not visible until the block ends
    assert target.read_text() == "new\n"
    assert _leftovers(tmp_path, {"out.csv"}) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as handle:
        handle.write("half")
        raise RuntimeError("crash in the middle")
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path, {"out.csv"}) == []


def test_files_are_owner_only_unless_said_otherwise(tmp_path: Path) -> None:
    private = files.write_bytes(tmp_path / "private.csv", b"x")
    assert files.is_private(private)
    old = os.umask(0o022)
    try:
        shared = files.write_bytes(tmp_path / "shared.txt", b"x", private=False)
    finally:
        os.umask(old)
    assert shared.stat().st_mode & 0o777 == 0o644


def test_no_overwrite_refuses_an_existing_file_and_keeps_it(tmp_path: Path) -> None:
    target = tmp_path / "rejects.csv"
    target.write_text("mine\n")
    with pytest.raises(FileExistsError):
        files.write_text(target, "theirs\n", overwrite=False)
    assert target.read_text() == "mine\n"
    assert _leftovers(tmp_path, {"rejects.csv"}) == []
    files.write_text(tmp_path / "new.csv", "fresh\n", overwrite=False)
    assert (tmp_path / "new.csv").read_text() == "fresh\n"


def test_a_full_disk_gives_one_message_naming_the_file() -> None:
    # /dev/full is a real device that fails every write with ENOSPC.
    with (
        pytest.raises(WriteFailed) as caught,
        files.disk_errors(Path("/dev/full")),
        open("/dev/full", "wb", buffering=0) as handle,
    ):
        handle.write(b"x" * 1024)
    assert "/dev/full" in str(caught.value)
    assert "the disk is full" in str(caught.value)
    assert caught.value.field == "output"


def test_a_folder_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    release = tmp_path / "release-1"
    with pytest.raises(RuntimeError), atomic_folder(release) as folder:
        (folder / "persons.csv").write_text("half")
        raise RuntimeError("crash in the middle")
    assert not release.exists()
    assert list(tmp_path.iterdir()) == []
    # the failed attempt does not block the next one
    with atomic_folder(release) as folder:
        (folder / "persons.csv").write_text("whole")
        assert not release.exists()
    assert (release / "persons.csv").read_text() == "whole"
    assert files.is_private(release)
    with pytest.raises(FileExistsError), atomic_folder(release):
        pass


_PART_WAY = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from everyname.core.errors import EverynameError
    from everyname.core.files import atomic_write, atomic_folder
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    target, kind = Path(sys.argv[1]), sys.argv[2]
    try:
        if kind == "file":
            with atomic_write(target, "wb") as handle:
                for _ in range(100):
                    handle.write(b"y" * 1000)
        else:
            with atomic_folder(target) as folder:
                (folder / "small.txt").write_text("fits")
                with atomic_write(folder / "big.csv", "wb") as handle:
                    handle.write(b"y" * 100_000)
    except EverynameError as error:
        print(error)
        sys.exit(3)
    """
)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_write_that_fails_part_way_leaves_nothing(tmp_path: Path, kind: str) -> None:
    target = tmp_path / ("export.csv" if kind == "file" else "release")
    done = subprocess.run(
        [sys.executable, "-c", _PART_WAY, str(target), kind],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert str(target) in done.stdout or "big.csv" in done.stdout
    assert "size" in done.stdout
    assert list(tmp_path.iterdir()) == []
