"""The five demo sources: who they are, whom they tend to document, and how often they err.

Each source documents a victim with a probability that depends on the source (a field hospital
sees the wounded of its own neighbourhoods, more often children; a local committee hears of
defected soldiers) and on the victim (a latent visibility shared by every list). That gives
multiple systems estimation what it meets in the field: heterogeneous capture and positively
dependent lists, plus one list (the national NGO) that partly copies another (the committee).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from everyname.core.demo.population import Victim


@dataclass(frozen=True)
class Capture:
    """Logit-scale capture model: base by area, effects of the victim's traits and visibility."""

    base_by_area: dict[str, float]
    child: float = 0.0
    combatant: float = 0.0
    female: float = 0.0
    visibility: float = 0.8
    copies: str | None = None
    copy_effect: float = 0.0

    def probability(self, victim: Victim, in_copied: bool = False) -> float:
        logit = self.base_by_area[victim.area]
        logit += self.child * victim.is_child
        logit += self.combatant * (victim.status == "combatant")
        logit += self.female * (victim.sex == "female")
        logit += self.visibility * victim.visibility
        logit += self.copy_effect * in_copied
        return 1.0 / (1.0 + math.exp(-logit))


@dataclass(frozen=True)
class SourceSpec:
    """One demo source and the habits of its recorders.

    ``noise`` is the chance of each Arabic spelling variation; ``typo`` of a typing slip per
    name; ``shift`` of a date one day late (the day it was reported); ``partial`` of a date
    written as year-month only; ``duplicate`` the share of victims entered twice.
    """

    code: str
    name: str
    kind: str
    filename: str
    format: str
    encoding: str | None
    script: str
    capture: Capture
    noise: float = 0.2
    typo: float = 0.04
    shift: float = 0.05
    partial: float = 0.05
    duplicate: float = 0.0
    missing: dict[str, float] = field(default_factory=dict)
    mapping: str | None = None


_ALL = ("south", "north", "old", "west")

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        code="lcc_homs",
        name="Local Coordination Committee, Homs",
        kind="local_committee",
        filename="lcc_homs_martyrs.csv",
        format="csv",
        encoding="utf-8-sig",
        script="arabic",
        capture=Capture(dict.fromkeys(_ALL, 0.3), combatant=1.2, female=-0.2, visibility=1.0),
        noise=0.25,
        typo=0.04,
        shift=0.10,
        partial=0.06,
        duplicate=0.04,
        missing={
            "sex": 0.03,
            "age": 0.12,
            "date": 0.02,
            "place": 0.04,
            "cause": 0.05,
            "status": 0.06,
        },
    ),
    SourceSpec(
        code="fh_babaamr",
        name="Baba Amr field hospital",
        kind="field_hospital",
        filename="baba_amr_field_hospital.xlsx",
        format="xlsx",
        encoding=None,
        script="arabic",
        capture=Capture(
            {"south": 0.6, "north": -2.6, "old": -2.0, "west": -2.4},
            child=0.9,
            combatant=0.3,
            visibility=0.7,
        ),
        noise=0.15,
        typo=0.03,
        shift=0.03,
        partial=0.04,
        duplicate=0.02,
        missing={
            "grandfather": 0.35,
            "mother": 0.4,
            "family": 0.02,
            "sex": 0.02,
            "age": 0.06,
            "date": 0.02,
            "place": 0.05,
            "cause": 0.08,
        },
    ),
    SourceSpec(
        code="fh_khalidiya",
        name="al-Khalidiya field hospital",
        kind="field_hospital",
        filename="khalidiya_field_hospital.csv",
        format="csv",
        encoding="cp1256",
        script="arabic",
        capture=Capture(
            {"north": 0.5, "old": -0.6, "south": -2.4, "west": -1.0},
            child=0.9,
            visibility=0.7,
        ),
        noise=0.35,
        typo=0.05,
        shift=0.04,
        partial=0.03,
        duplicate=0.03,
        missing={
            "sex": 0.04,
            "age": 0.10,
            "date": 0.03,
            "place": 0.06,
            "cause": 0.08,
            "status": 0.15,
        },
    ),
    SourceSpec(
        code="nb_oldcity",
        name="Bab al-Sebaa and old city neighbourhood list",
        kind="neighbourhood_list",
        filename="old_city_neighbourhood_list.csv",
        mapping="old_city_neighbourhood_list.toml",
        format="csv",
        encoding="utf-8",
        script="latin",
        capture=Capture(
            {"old": 1.4, "south": -2.4, "north": -2.2, "west": -2.8},
            combatant=-0.5,
            visibility=0.5,
        ),
        typo=0.06,
        shift=0.05,
        partial=0.15,
        missing={
            "father": 0.05,
            "family": 0.03,
            "sex": 0.05,
            "age": 0.15,
            "date": 0.04,
            "place": 0.03,
            "cause": 0.10,
        },
    ),
    SourceSpec(
        code="ngo_national",
        name="National human rights NGO list",
        kind="ngo",
        filename="ngo_national_list.csv",
        format="csv",
        encoding="utf-8",
        script="latin",
        capture=Capture(
            dict.fromkeys(_ALL, -0.9),
            child=0.2,
            combatant=-0.3,
            visibility=1.0,
            copies="lcc_homs",
            copy_effect=1.3,
        ),
        typo=0.03,
        shift=0.08,
        partial=0.05,
        duplicate=0.03,
        missing={
            "sex": 0.02,
            "age": 0.10,
            "date": 0.02,
            "city": 0.03,
            "place": 0.08,
            "cause": 0.04,
            "status": 0.05,
        },
    ),
)


def source(code: str) -> SourceSpec:
    return next(s for s in SOURCES if s.code == code)
