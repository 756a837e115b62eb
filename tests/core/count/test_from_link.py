"""A CountInput straight from linkage output: persons, not records, and conflicts kept."""

from __future__ import annotations

import pandas as pd

from everyname.core.count import CountFilters, CountInput, count_persons
from everyname.core.link.resolve import resolve_persons


def test_from_link_counts_persons_and_keeps_conflicts():
    records = pd.DataFrame(
        {
            "record_id": ["1", "2", "3", "4"],
            "source": ["lcc", "hospital", "lcc", "lcc"],
            "full_name": ["Omar", "Omar", "Huda", "Huda"],
            "status": ["civilian", "combatant", "civilian", None],
            "date_of_death": ["2012-02", "2012-02-04", "2012-02-05", "2012-02-05"],
        }
    )
    resolved = resolve_persons(records, ["P1", "P1", "P2", "P2"])
    data = CountInput.from_link(resolved, records, link_run="run-9")
    result = count_persons(data, CountFilters(since="2012-02-03"), by=["status", "grade"])
    assert result.total == 2  # four records, two persons
    assert result.figure("grade", "contested") == 1  # P1: civilian vs combatant
    assert result.unknown("status") == 1  # a tie is unknown, never a guess
    assert set(data.memberships["source"]) == {"lcc", "hospital"}
    assert data.persons.set_index("person_id").loc["P2", "full_name"] == "Huda"
