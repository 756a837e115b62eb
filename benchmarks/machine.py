"""What machine a benchmark ran on, and how its figures are recorded."""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import subprocess
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def describe() -> str:
    """One line: CPU model, cores, memory, OS, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def peak_memory_bytes(children_only: bool = False) -> int:
    """Peak resident memory of this process, or of its largest finished child process (Linux
    reports kilobytes)."""
    who = resource.RUSAGE_CHILDREN if children_only else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss * 1024


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(name: str, title: str, body: str) -> Path:
    """Write a benchmark's latest figures to ``benchmarks/results/<name>.md``."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(
        f"# {title}\n\nMeasured {stamp} at commit {git_revision()} on: {describe()}\n\n{body}\n",
        encoding="utf-8",
    )
    return path
