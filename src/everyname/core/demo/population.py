"""The true victims of the demo: who was killed in Homs, 3–9 February 2012, before any list.

Victims come in the groups a bombardment produces: families killed together in a shelled house
(parents, children, a grandparent), brothers or cousins killed the same day, and people killed
alone (mostly men, some by snipers, a few defected soldiers). Families make the linkage honest:
siblings share father, grandfather and family name, and cousins named after their common
grandfather share three of four name parts, so "same name" never simply means "same person".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

from everyname.core.demo.tables import Entry, names_table, neighbourhoods

FIRST_DAY = date(2012, 2, 3)
LAST_DAY = date(2012, 2, 9)

# Share of victims by day; the night of 3–4 February (al-Khalidiya) stands out.
_DAY_WEIGHTS = (0.06, 0.30, 0.10, 0.17, 0.14, 0.12, 0.11)
_CAUSES_CIVILIAN = (
    ("shelling", 0.70),
    ("sniper", 0.10),
    ("shooting", 0.08),
    ("explosion", 0.05),
    ("torture", 0.02),
    ("execution", 0.01),
    ("unknown", 0.04),
)
_CAUSES_COMBATANT = (
    ("shooting", 0.45),
    ("shelling", 0.35),
    ("sniper", 0.10),
    ("torture", 0.05),
    ("unknown", 0.05),
)


@dataclass(frozen=True)
class Victim:
    """One true person. Name parts are table entries so each source can spell them its own way.

    ``age_months`` is set only for infants (``age`` is then 0). ``visibility`` is the person's
    latent propensity to be documented (shared by all lists: a well-known death is reported
    everywhere), the source of heterogeneity and positive list dependence for estimation.
    """

    person_id: str
    given: Entry
    father: Entry
    grandfather: Entry
    family: Entry
    mother: Entry
    mother_family: Entry
    sex: str
    age: int
    age_months: int | None
    date_of_death: date
    neighbourhood: Entry
    cause: str
    status: str
    household: str
    visibility: float

    @property
    def is_child(self) -> bool:
        return self.age < 18

    @property
    def area(self) -> str:
        return self.neighbourhood.extra[0]


def _pick(rng: Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _day(rng: Random, area: str) -> date:
    if area == "north" and rng.random() < 0.55:
        return date(2012, 2, 4)
    offset = rng.choices(range(7), weights=_DAY_WEIGHTS)[0]
    return date(2012, 2, 3 + offset)


@dataclass
class _Builder:
    rng: Random
    victims: list[Victim]
    households: int = 0

    def _new_household(self) -> str:
        self.households += 1
        return f"H{self.households:03d}"

    def add(
        self,
        *,
        given: Entry,
        father: Entry,
        grandfather: Entry,
        family: Entry,
        sex: str,
        age: int,
        day: date,
        place: Entry,
        household: str,
        cause: str | None = None,
        status: str = "civilian",
        mother: Entry | None = None,
        mother_family: Entry | None = None,
        visibility: float | None = None,
    ) -> None:
        rng = self.rng
        months = rng.randint(2, 11) if age == 0 else None
        if cause is None:
            cause = _pick(rng, _CAUSES_COMBATANT if status == "combatant" else _CAUSES_CIVILIAN)
        self.victims.append(
            Victim(
                person_id=f"P{len(self.victims) + 1:04d}",
                given=given,
                father=father,
                grandfather=grandfather,
                family=family,
                mother=mother or names_table("female").draw(rng),
                mother_family=mother_family or names_table("family").draw(rng),
                sex=sex,
                age=age,
                age_months=months,
                date_of_death=day,
                neighbourhood=place,
                cause=cause,
                status=status,
                household=household,
                visibility=rng.gauss(0.0, 1.0) if visibility is None else visibility,
            )
        )

    def household(self) -> None:
        """A house hit by a shell: some of father, mother, children and grandfather die."""
        rng = self.rng
        male, female, fam = names_table("male"), names_table("female"), names_table("family")
        place = neighbourhoods().draw(rng)
        day = _day(rng, place.extra[0])
        hid = self._new_household()
        family, father, grandfather = fam.draw(rng), male.draw(rng), male.draw(rng)
        great = male.draw(rng)
        mother, mother_family = female.draw(rng), fam.draw(rng)
        # One family visibility: a whole family killed is reported (or missed) together.
        visibility = rng.gauss(0.3, 0.8)
        father_age = rng.randint(28, 52)
        cause = "shelling" if rng.random() < 0.9 else "explosion"
        if rng.random() < 0.6:
            self.add(
                given=father,
                father=grandfather,
                grandfather=great,
                family=family,
                sex="male",
                age=father_age,
                day=day,
                place=place,
                household=hid,
                cause=cause,
                visibility=visibility + rng.gauss(0, 0.3),
            )
        if rng.random() < 0.5:
            self.add(
                given=mother,
                father=male.draw(rng),
                grandfather=male.draw(rng),
                family=mother_family,
                sex="female",
                age=max(19, father_age - rng.randint(2, 9)),
                day=day,
                place=place,
                household=hid,
                cause=cause,
                visibility=visibility + rng.gauss(0, 0.3),
            )
        n_children = rng.choices((1, 2, 3, 4), weights=(0.35, 0.35, 0.2, 0.1))[0]
        used: set[str] = set()
        for k in range(n_children):
            sex = "male" if rng.random() < 0.52 else "female"
            if sex == "male" and k == 0 and rng.random() < 0.4:
                given = grandfather  # the eldest son named after his paternal grandfather
            else:
                given = (male if sex == "male" else female).draw(rng)
                while given.arabic in used:
                    given = (male if sex == "male" else female).draw(rng)
            used.add(given.arabic)
            age = min(max(0, father_age - 20 - rng.randint(0, 20)), 17)
            self.add(
                given=given,
                father=father,
                grandfather=grandfather,
                family=family,
                sex=sex,
                age=age,
                day=day,
                place=place,
                household=hid,
                cause=cause,
                mother=mother,
                mother_family=mother_family,
                visibility=visibility + rng.gauss(0, 0.3),
            )
        if rng.random() < 0.2:
            self.add(
                given=grandfather,
                father=great,
                grandfather=male.draw(rng),
                family=family,
                sex="male",
                age=rng.randint(60, 85),
                day=day,
                place=place,
                household=hid,
                cause=cause,
                visibility=visibility + rng.gauss(0, 0.3),
            )

    def relatives(self) -> None:
        """Two brothers, or two cousins named after their common grandfather, killed together."""
        rng = self.rng
        male, fam = names_table("male"), names_table("family")
        place = neighbourhoods().draw(rng)
        day = _day(rng, place.extra[0])
        hid = self._new_household()
        family, grandfather = fam.draw(rng), male.draw(rng)
        cousins = rng.random() < 0.45
        fathers = [male.draw(rng), male.draw(rng)] if cousins else [male.draw(rng)] * 2
        mother_fam = fam.draw(rng)
        mother = names_table("female").draw(rng)
        status = "combatant" if rng.random() < 0.12 else "civilian"
        cause = None if status == "combatant" else _pick(rng, _CAUSES_CIVILIAN)
        for k in range(2):
            if cousins:
                given = grandfather if rng.random() < 0.7 else male.draw(rng)
            else:
                given = male.draw(rng)
                while k == 1 and given.arabic == self.victims[-1].given.arabic:
                    given = male.draw(rng)
            self.add(
                given=given,
                father=fathers[k],
                grandfather=grandfather,
                family=family,
                sex="male",
                age=rng.randint(16, 45),
                day=day,
                place=place,
                household=hid,
                cause=cause,
                status=status,
                mother=None if cousins else mother,
                mother_family=None if cousins else mother_fam,
            )

    def single(self) -> None:
        """One person killed alone: a man in the street, a defector, a woman, rarely a child."""
        rng = self.rng
        male, female, fam = names_table("male"), names_table("female"), names_table("family")
        place = neighbourhoods().draw(rng)
        r = rng.random()
        if r < 0.08:
            sex, age, status = "male", rng.randint(19, 38), "combatant"
        elif r < 0.84:
            sex, age, status = "male", rng.choice((rng.randint(18, 45), rng.randint(18, 75))), ""
        elif r < 0.96:
            sex, age, status = "female", rng.randint(18, 80), ""
        else:
            sex, age, status = rng.choice(("male", "female")), rng.randint(3, 17), ""
        given = (male if sex == "male" else female).draw(rng)
        self.add(
            given=given,
            father=male.draw(rng),
            grandfather=male.draw(rng),
            family=fam.draw(rng),
            sex=sex,
            age=age,
            day=_day(rng, place.extra[0]),
            place=place,
            household=self._new_household(),
            status=status or "civilian",
        )


def simulate_victims(rng: Random, n: int) -> list[Victim]:
    """Exactly ``n`` true victims, built from families, relatives and single deaths."""
    builder = _Builder(rng, [])
    while len(builder.victims) < n:
        r = rng.random()
        if r < 0.05:
            builder.household()
        elif r < 0.17:
            builder.relatives()
        else:
            builder.single()
    return builder.victims[:n]
