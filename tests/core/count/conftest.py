"""A small fixed persons table: Homs, 3–9 February 2012, with every kind of unknown."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
import pytest

from everyname.core.count import CountInput

COLUMNS = (
    "person_id sex age_group date_of_death status cause outcome governorate neighbourhood place_id"
)
ROWS = """
P01 male   child   2012-02-03 civilian  shelling  killed  Homs  Baba-Amr    ngh-baba-amr
P02 female child   2012-02-04 civilian  shelling  killed  Homs  Baba-Amr    ngh-baba-amr
P03 male   adult   2012-02-04 combatant shooting  killed  Homs  Khalidiya   ngh-khalidiya
P04 male   -       2012-02-04 -         -         killed  Homs  Khalidiya   -
P05 -      adult   2012-02    civilian  sniper    killed  Homs  Inshaat     -
P06 female adult   -          civilian  shelling  killed  Homs  -           city-homs
P07 male   adult   2012-02-09 civilian  shelling  killed  Homs  Inshaat     ngh-inshaat
P08 male   adult   2012-02-10 civilian  shelling  killed  Homs  Inshaat     ngh-inshaat
P09 male   child   2012-02-05 civilian  shelling  injured Homs  Baba-Amr    ngh-baba-amr
P10 male   adult   2012-02-06 civilian  shooting  killed  Idlib -           gov-idlib
P11 male   adult   2012       unknown   -         killed  Homs  -           -
"""


def persons_table() -> pd.DataFrame:
    rows = [
        [None if cell == "-" else cell for cell in line.split()]
        for line in ROWS.strip().splitlines()
    ]
    return pd.DataFrame(rows, columns=COLUMNS.split())


MEMBERSHIPS = [
    ("P01", "r01", "committee"),
    ("P01", "r02", "hospital"),
    ("P01", "r03", "hospital"),  # the hospital listed P01 twice: still one person
    ("P02", "r04", "committee"),
    ("P02", "r05", "ngo"),  # the NGO copies the committee: one independent source
    ("P03", "r06", "committee"),
    ("P03", "r07", "sana"),
    ("P04", "r08", "hospital"),
    ("P05", "r09", "family"),
    ("P06", "r10", "committee"),
    ("P06", "r11", "hospital"),
    ("P07", "r12", "committee"),
    ("P08", "r13", "hospital"),
    ("P09", "r14", "hospital"),
    ("P10", "r15", "ngo"),
    ("P11", "r16", "committee"),
]
CONFLICTS = {
    "P03": [{"field": "status", "values": {"combatant": ["r07"], "civilian": ["r06"]}}],
    "P06": [{"field": "status", "values": {"civilian": ["r10"], "unknown": ["r11"]}}],
    "P07": [{"field": "age_group", "values": {"adult": ["r12"], "child": ["r12"]}}],
}


class Gazetteer:
    """A three-level gazetteer: governorate → city → neighbourhoods (plain data, no mocks)."""

    parents: ClassVar[dict[str, str]] = {
        "city-homs": "gov-homs",
        "ngh-baba-amr": "city-homs",
        "ngh-khalidiya": "city-homs",
        "ngh-inshaat": "city-homs",
    }
    names: ClassVar[dict[str, str]] = {
        "gov-homs": "Homs",
        "gov-idlib": "Idlib",
        "city-homs": "Homs city",
    }

    def resolve(self, text: str) -> str | None:
        for place_id, name in self.names.items():
            if name.casefold() == text.casefold():
                return place_id
        return text if text in self.parents or text in self.names else None

    def descendants(self, place_id: str) -> list[str]:
        below = [c for c, p in self.parents.items() if p == place_id]
        return below + [d for c in below for d in self.descendants(c)]


@pytest.fixture
def data() -> CountInput:
    memberships = pd.DataFrame(MEMBERSHIPS, columns=["person_id", "record_id", "source"])
    return CountInput(
        persons_table(),
        memberships,
        link_run="run-7",
        conflicts=CONFLICTS,
        copy_groups={"ngo": "committee-family", "committee": "committee-family"},
    )


@pytest.fixture
def gazetteer() -> Gazetteer:
    return Gazetteer()
