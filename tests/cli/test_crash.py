"""Crashes and full disks, as a user meets them: the installed ``everyname`` killed with
SIGKILL in the middle of a large import, and exports that run out of room part-way.

The failures are real: a real SIGKILL, and a file size limit (``RLIMIT_FSIZE``) under which the
kernel refuses a write part-way, as a full disk would.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from everyname.core.demo.large import write_large_csv

EVERYNAME = Path(sys.executable).with_name("everyname")
GONE_WITHIN = 60  # seconds: a bound on "gone", not a performance threshold


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVERYNAME_", "DJANGO_"))}
    env["EVERYNAME_DATABASE_URL"] = f"sqlite:///{folder / 'everyname.sqlite3'}"
    env["EVERYNAME_KEY_FILE"] = str(folder / "everyname.key")
    return env


def everyname(folder: Path, *args: object, **options):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [str(EVERYNAME), *map(str, args)], cwd=folder, env=environment(folder),
        capture_output=True, text=True, timeout=600, **options,
    )  # fmt: skip


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_parse_workers_exit_when_the_import_is_killed(tmp_path):  # type: ignore[no-untyped-def]
    assert everyname(tmp_path, "init").returncode == 0
    path = write_large_csv(tmp_path / "large.csv", 150_000, seed=7)  # parsed by workers
    importing = subprocess.Popen(
        [str(EVERYNAME), "import", str(path), "--source", "big"], cwd=tmp_path,
        env=environment(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    parent = psutil.Process(importing.pid)
    workers: list[psutil.Process] = []
    while importing.poll() is None and len(workers) < 2:
        workers = [p for p in parent.children(recursive=True) if alive(p)]
        time.sleep(0.2)
    assert importing.poll() is None, "the import ended before its workers were seen"
    time.sleep(2)  # let them fill their queues: a worker blocked on a full queue used to stay
    importing.send_signal(signal.SIGKILL)
    importing.wait()
    deadline = time.monotonic() + GONE_WITHIN
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [w.pid for w in workers if alive(w)]
    for pid in left:  # leave the machine clean even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers {left} outlived the killed import"
    # Nothing partial: the killed import's transaction never committed.
    listing = everyname(tmp_path, "sources")
    assert "large.csv" not in listing.stdout


def _limit_file_size(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture
def linked(tmp_path):  # type: ignore[no-untyped-def]
    """A small linked database in a folder of its own."""
    assert everyname(tmp_path, "init").returncode == 0
    for seed, source in ((11, "lcc"), (12, "ngo")):
        listed = write_large_csv(tmp_path / f"{source}.csv", 3000, seed=seed)
        imported = everyname(tmp_path, "import", listed, "--source", source)
        assert imported.returncode == 0, imported.stderr
    done = everyname(tmp_path, "link")
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_exports_that_run_out_of_room_leave_nothing_and_say_so(linked):  # type: ignore[no-untyped-def]
    folder = linked
    # The database is larger than the limit; the export only reads it, so only the export's
    # own file meets the limit, part-way through.
    limit = _limit_file_size(64 * 1024)
    persons = everyname(folder, "export", "persons", "--out", "out/persons.csv", preexec_fn=limit)
    said = " ".join(persons.stderr.split())
    assert persons.returncode == 1, persons.stderr
    assert "Traceback" not in persons.stderr
    assert "persons.csv" in said and "size" in said
    assert not (folder / "out").exists() or list((folder / "out").iterdir()) == []

    public = everyname(folder, "export", "public", "--out", "releases", preexec_fn=limit)
    said = " ".join(public.stderr.split())
    assert public.returncode == 1, public.stderr
    assert "Traceback" not in public.stderr
    assert "Nothing was written" in said and "releases/v1/" in said and ".tmp" not in said
    assert not (folder / "releases").exists() or list((folder / "releases").iterdir()) == []

    # Room again: the failed attempt blocks nothing.
    again = everyname(folder, "export", "public", "--out", "releases")
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (folder / "releases").iterdir()) == ["v1"]
    whole = everyname(folder, "export", "persons", "--out", "out/persons.csv")
    assert whole.returncode == 0, whole.stderr
    assert (folder / "out" / "persons.csv").stat().st_size > 64 * 1024


def test_an_import_that_fills_the_disk_says_so_and_leaves_nothing(tmp_path):  # type: ignore[no-untyped-def]
    assert everyname(tmp_path, "init").returncode == 0
    path = write_large_csv(tmp_path / "list.csv", 20_000, seed=13)
    database = tmp_path / "everyname.sqlite3"
    # Room for the database as it is, not for a list's records on top.
    limit = _limit_file_size(database.stat().st_size + 256 * 1024)
    full = everyname(tmp_path, "import", path, "--source", "lcc", preexec_fn=limit)
    said = " ".join(full.stderr.split())
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    assert "The database could not be written" in said and "rolled back" in said
    assert "list.csv" not in everyname(tmp_path, "sources").stdout
    again = everyname(tmp_path, "import", path, "--source", "lcc")
    assert again.returncode == 0, again.stderr


def test_a_full_disk_anywhere_is_one_message_and_a_bug_keeps_its_traceback():  # type: ignore[no-untyped-def]
    from everyname.cli.output import environment_message

    # /dev/full is a real device: every write to it fails with ENOSPC.
    with pytest.raises(OSError) as caught, open("/dev/full", "wb", buffering=0) as handle:
        handle.write(b"x")
    wrapped = RuntimeError("while writing a working file")
    wrapped.__cause__ = caught.value
    assert "the disk is full" in (environment_message(wrapped) or "")
    assert environment_message(ValueError("a bug")) is None
