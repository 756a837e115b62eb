"""Seeded sample data: the Homs demo lists with their ground truth, and large synthetic files.

``generate_demo`` writes five realistic, partly overlapping casualty lists (Homs, 3–9 February
2012) in different layouts, scripts, encodings and formats, with the truth about who is who;
``write_large_csv`` / ``generate_rows`` stream millions of synthetic records with known
duplicates for the import and linkage benchmarks. Pure Python: no Django, no database.
"""

from everyname.core.demo.generator import DemoError, generate_demo, read_ground_truth
from everyname.core.demo.large import LARGE_HEADER, generate_rows, write_large_csv
from everyname.core.demo.manifest import (
    DemoFile,
    DemoManifest,
    ManifestError,
    load_manifest,
    write_manifest,
)

__all__ = [
    "LARGE_HEADER",
    "DemoError",
    "DemoFile",
    "DemoManifest",
    "ManifestError",
    "generate_demo",
    "generate_rows",
    "load_manifest",
    "read_ground_truth",
    "write_large_csv",
    "write_manifest",
]
