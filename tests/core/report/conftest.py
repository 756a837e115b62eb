"""Report test helpers: golden files, and a :class:`CountInput` from the demo's ground truth.

The ground-truth input lets report tests run without linkage.

The persons are the true victims that at least one list names (``persons_truth.csv``), their
memberships are the true record → person assignments (``ground_truth.csv``), and the status
disputes the generator plants become status conflicts. Once linkage lands, the lead switches
the demo golden test to the persons the real pipeline produces; differences between the two
goldens are then linkage errors, visible figure by figure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from everyname.core.count import CountInput
from everyname.core.demo import DemoManifest

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
OTHER_STATUS = {"civilian": "combatant", "combatant": "civilian"}


@pytest.fixture
def truth_input() -> Callable[[DemoManifest], CountInput]:
    return demo_truth_input


def demo_truth_input(manifest: DemoManifest) -> CountInput:
    truth = pd.read_csv(manifest.persons_truth, dtype=str, keep_default_na=False)
    named = truth[truth["sources"] != ""]
    persons = pd.DataFrame(
        {
            "person_id": named["person_id"],
            "full_name": named["name_latin"],
            "sex": named["sex"],
            "age_years": named["age"],
            "age_group": named["age_group"],
            "date_of_death": named["date_of_death"],
            "date_of_death_precision": "day",
            "governorate": "Homs",
            "locality": "Homs",
            "neighbourhood": named["neighbourhood"],
            "cause": named["cause"],
            "status": named["status"],
            "outcome": "killed",
        }
    )
    records = pd.read_csv(manifest.ground_truth, dtype=str, keep_default_na=False)
    memberships = pd.DataFrame(
        {
            "person_id": records["person_id"],
            "record_id": records["source"] + ":" + records["source_record_id"],
            "source": records["source"],
        }
    )
    conflicts = {}
    for row in named[named["status_disputed_by"] != ""].itertuples():
        other = OTHER_STATUS[row.status]
        conflicts[row.person_id] = [
            {"field": "status", "values": {row.status: ["truth"], other: [row.status_disputed_by]}}
        ]
    claims = pd.read_csv(manifest.claims, dtype={"date": str})
    return CountInput(
        persons,
        memberships,
        link_run="demo-ground-truth",
        conflicts=conflicts,
        claims=claims,
        copy_groups={"ngo_national": "lcc_homs", "lcc_homs": "lcc_homs"},
    )


@pytest.fixture
def check_golden() -> Callable[[str, dict], None]:
    return _check_golden


def _check_golden(name: str, figures: dict) -> None:
    """Compare with ``tests/core/golden/<name>``; EVERYNAME_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    text = json.dumps(figures, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("EVERYNAME_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; create it with EVERYNAME_UPDATE_GOLDEN=1"
    assert json.loads(path.read_text("utf-8")) == json.loads(text), (
        f"report figures changed; review the difference and, if intended, rerun with "
        f"EVERYNAME_UPDATE_GOLDEN=1 to rewrite {path}"
    )
