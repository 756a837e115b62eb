"""Writing the linkage benchmarks' figures, with the machine they ran on, to results/link.md.

Each benchmark replaces its own section (``## name``) and leaves the others as they are.
"""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "link.md"


def machine() -> str:
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM"
    except ImportError:
        memory = "RAM unknown"
    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), {memory}"
    )


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section ``## name`` of results/link.md."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = RESULTS.read_text() if RESULTS.exists() else "# Linkage benchmarks\n"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"## {name}\n\nRun {stamp} on {machine()}.\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n")
