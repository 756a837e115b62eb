"""The demo's lists as linkage input, with the generator's truth: what accuracy is measured on.

Read through ingest exactly as an import reads them (mappings, encodings, normalisation), so
the benchmark and the tests measure linkage on the records a user's demo run links.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from everyname.core.demo.generator import DemoError, generate_demo, read_ground_truth


def demo_link_records(seed: int = 2012) -> pd.DataFrame:
    """One row per record of the five demo lists, ready for ``link_records``, plus ``truth``
    (the generator's person id). Record ids are ``source:row`` (row counted from 0)."""
    from everyname.core.ingest import open_source
    from everyname.core.link.names import link_input

    with tempfile.TemporaryDirectory() as tmp:
        manifest = generate_demo(Path(tmp), seed=seed)
        truth = pd.DataFrame(read_ground_truth(manifest))
        frames = []
        for demo_file in manifest.files:
            with open_source(demo_file.path, demo_file.mapping) as source:
                rows = [r.normalised for r in source.records()]
            frame = pd.DataFrame(rows)
            frame["source"] = demo_file.source_code
            frame["record_id"] = [f"{demo_file.source_code}:{i}" for i in range(len(frame))]
            persons = truth.loc[truth["source"] == demo_file.source_code, "person_id"]
            if len(persons) != len(frame):
                raise DemoError(f"{demo_file.path.name}: truth rows do not match the records")
            frame["truth"] = persons.to_numpy()
            frames.append(frame)
    return link_input(pd.concat(frames, ignore_index=True))
