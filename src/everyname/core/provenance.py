"""What is kept with a stored figure so that it can be reproduced and checked.

A link run, an estimate, a report and a release each record the versions of the libraries that
could change their numbers, a SHA-256 fingerprint of their input, and their results as JSON. One
helper for each, so that every stored result records them the same way:
:func:`library_versions`, :func:`sha256_hex` and :func:`json_safe`.
"""

from __future__ import annotations

import hashlib
import math
import platform
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from importlib import metadata
from typing import Any

import pandas as pd

NOT_INSTALLED = "not installed"


def library_versions(*distributions: str) -> dict[str, str]:
    """Python's version and each installed distribution's (``NOT_INSTALLED`` when absent, e.g.
    pyspark for a run that did not use Spark, or everyname run from a source tree)."""
    versions = {"python": platform.python_version()}
    for name in distributions:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = NOT_INSTALLED
    return versions


def sha256_hex(chunks: Iterable[bytes | str]) -> str:
    """SHA-256 of the chunks in order (text as UTF-8): a fingerprint is its chunks' digest, so
    two inputs that give the same chunks have the same fingerprint."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
    return digest.hexdigest()


def file_chunks(handle: Any, size: int = 1 << 20) -> Iterable[bytes]:
    """A binary file's bytes in chunks, for :func:`sha256_hex` over a large file."""
    while chunk := handle.read(size):
        yield chunk


def json_safe(value: Any, default: Any = None) -> Any:
    """``value`` as plain JSON data: results by their ``to_dict()``, other dataclasses as dicts,
    tuples as lists, NumPy scalars as Python numbers, and NaN, infinities and missing times as
    ``null`` (JSON has no infinity; PostgreSQL's JSON refuses it). ``default`` turns anything
    else into JSON (``str`` for paths and dates); without it such values are left as they are."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "to_dict") and callable(value.to_dict) and not isinstance(value, type):
        return json_safe(value.to_dict(), default)
    if is_dataclass(value) and not isinstance(value, type):
        return json_safe(asdict(value), default)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, default) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, default) for v in value]
    if value is pd.NaT:
        return None
    if hasattr(value, "tolist") and callable(value.tolist):  # a NumPy scalar or array
        return json_safe(value.tolist(), default)
    return value if default is None else default(value)
