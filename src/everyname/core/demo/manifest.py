"""What the demo generator wrote, as a small JSON file the demo command and benchmarks read.

Paths are stored relative to the manifest's folder so a generated demo can be moved or copied
(e.g. into a test's temporary folder) and still load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from everyname.core.errors import EverynameError

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


class ManifestError(EverynameError):
    """A demo manifest that cannot be read: the message names the file and what is wrong."""


@dataclass(frozen=True)
class DemoFile:
    """One source list: where it is, whose it is, and how it is written.

    ``persons`` is the number of distinct true victims the file names and ``records`` its rows
    (more when the list names someone twice); ``expected_persons`` is what the capture model
    expects on average, so tests can check the draw against the design.
    """

    path: Path
    source_code: str
    source_name: str
    source_kind: str
    format: str
    encoding: str | None
    script: str
    records: int
    persons: int
    expected_persons: float
    mapping: Path | None = None


@dataclass(frozen=True)
class DemoManifest:
    """Everything ``generate_demo`` wrote, with the truth the benchmarks score against.

    ``true_population`` counts every victim, including those no list names (the quantity
    multiple systems estimation tries to recover); ``named_persons`` those at least one list names.
    ``histories`` holds their true capture histories (one 0/1 column per list and a count).
    """

    out_dir: Path
    seed: int
    place: str
    period_start: str
    period_end: str
    files: tuple[DemoFile, ...]
    ground_truth: Path
    persons_truth: Path
    claims: Path
    histories: Path
    true_population: int
    named_persons: int
    records: int

    def file(self, source_code: str) -> DemoFile:
        for f in self.files:
            if f.source_code == source_code:
                return f
        raise KeyError(source_code)


def _relative(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix()


def write_manifest(manifest: DemoManifest, path: Path | None = None) -> Path:
    """Write the manifest as JSON (default: ``manifest.json`` in the demo folder)."""
    path = path or manifest.out_dir / MANIFEST_NAME
    base = path.parent
    data: dict[str, Any] = {"version": MANIFEST_VERSION}
    for f in fields(manifest):
        value = getattr(manifest, f.name)
        if f.name == "out_dir":
            continue
        if f.name == "files":
            value = [
                {
                    **asdict(df),
                    "path": _relative(df.path, base),
                    "mapping": None if df.mapping is None else _relative(df.mapping, base),
                }
                for df in value
            ]
        elif isinstance(value, Path):
            value = _relative(value, base)
        data[f.name] = value
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def load_manifest(path: Path) -> DemoManifest:
    """Read a manifest written by :func:`write_manifest`; paths come back absolute."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"{path}: no demo manifest here; run the demo generator first") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: not a demo manifest (invalid JSON: {exc})") from exc
    if data.get("version") != MANIFEST_VERSION:
        raise ManifestError(
            f"{path}: manifest version {data.get('version')!r}; expected {MANIFEST_VERSION}"
        )
    base = path.parent.resolve()
    try:
        files = tuple(
            DemoFile(
                **{
                    **f,
                    "path": base / f["path"],
                    "mapping": None if f["mapping"] is None else base / f["mapping"],
                }
            )
            for f in data["files"]
        )
        return DemoManifest(
            out_dir=base,
            seed=data["seed"],
            place=data["place"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            files=files,
            ground_truth=base / data["ground_truth"],
            persons_truth=base / data["persons_truth"],
            claims=base / data["claims"],
            histories=base / data["histories"],
            true_population=data["true_population"],
            named_persons=data["named_persons"],
            records=data["records"],
        )
    except (KeyError, TypeError) as exc:
        raise ManifestError(f"{path}: demo manifest is missing or has a bad field: {exc}") from exc
