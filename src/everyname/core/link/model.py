"""The Splink model built from our columns: comparisons, blocking rules, and moving parameters.

Comparisons are made only for columns the records hold (see ``records.py``), so the model of a
run names exactly the evidence it used. Each comparison has a stable ``output_column_name``
and level order, which is what lets a model trained on one backend be scored on another
(``with_trained_parameters``): Splink's saved SQL is dialect specific, our parameters are not.

Name parts are compared separately, because a father's and a grandfather's name are strong
evidence in an Arabic name and lose their weight when folded into one string. The levels of
a part, strongest first: same Arabic form, same romanised form, same cross-script key
(what brings an Arabic spelling and its romanisation together), a close romanised form, the
part's key found at another place of the other name (a dropped or reordered part: "Mohammed
Hassan" vs "Mohammed Ali Hassan"), then looser Jaro-Winkler levels on the romanised form and
on the key. There is deliberately no separate whole-name comparison: it would count the same
agreement twice, and siblings (who share three of four parts) would pass for one person.
Term-frequency adjustments on the key make agreeing on "Mohammed" count for less than
agreeing on a rare name.
"""

from __future__ import annotations

import copy
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from everyname.core.link.records import FINEST_FIRST
from everyname.core.link.settings import LinkSettings
from everyname.core.schema import NAME_PARTS

START_M = {"same": 0.3, "close": 0.02, "else": 0.05}
"""Where EM starts m for the name levels (it normalises them at its first step). Splink's
default start depends on how many levels a comparison has (0.95 on the first, the rest shared
by the others), so adding a level moved EM's start and, on a few hundred records, its end."""


def _has(columns: frozenset[str], *names: str) -> bool:
    return all(n in columns for n in names)


def _name_part(part: str, columns: frozenset[str], settings: LinkSettings) -> cl.CustomComparison:
    c = settings.comparisons
    tf = c.term_frequency_adjustments
    key, lat, ar = f"{part}_key", f"{part}_lat", f"{part}_ar"
    levels: list[Any] = [cll.NullLevel(key)]
    if _has(columns, ar):
        level = cll.ExactMatchLevel(ar, term_frequency_adjustments=tf).configure(
            label_for_charts="same Arabic form", m_probability=START_M["same"]
        )
        levels.append(level)
    if _has(columns, lat):
        level = cll.ExactMatchLevel(lat, term_frequency_adjustments=tf).configure(
            label_for_charts="same romanised form", m_probability=START_M["same"]
        )
        levels.append(level)
    levels.append(
        cll.ExactMatchLevel(key, term_frequency_adjustments=tf).configure(
            label_for_charts="same cross-script key", m_probability=START_M["same"]
        )
    )
    similar = (
        [
            cll.JaroWinklerLevel(lat, t).configure(m_probability=START_M["close"])
            for t in c.name_similarity_levels
        ]
        if lat in columns
        else []
    )
    if _has(columns, lat):
        levels.append(_abd_level(lat, part))
    levels.extend(similar[:1])
    if c.name_part_elsewhere and "full_key" in columns:
        levels.append(
            cll.CustomLevel(
                f"array_contains(full_keys_r, {key}_l) or array_contains(full_keys_l, {key}_r)",
                label_for_charts=f"{part} name found in another place of the other name",
                base_dialect_str="duckdb",
            ).configure(m_probability=START_M["close"])
        )
    levels.extend(similar[1:])
    if c.key_similarity_level is not None:
        levels.append(
            cll.JaroWinklerLevel(key, c.key_similarity_level).configure(
                m_probability=START_M["close"]
            )
        )
    levels.append(cll.ElseLevel().configure(m_probability=START_M["else"]))
    return cl.CustomComparison(
        comparison_levels=levels,
        output_column_name=f"{part}_name",
        comparison_description=f"{part} name: Arabic form, romanised form, cross-script key",
    )


def _abd_level(lat: str, part: str) -> Any:
    """ "Abd" alone on one side, an "Abd X" name on the other: one list's romanisation can drop
    the second element of the compound (Tech For Palestine writes عبدالكريم as "Abd")."""
    bare = "'abd'"
    return cll.CustomLevel(
        f"({lat}_l = {bare} and starts_with({lat}_r, 'abd') and {lat}_r <> {bare}) or "
        f"({lat}_r = {bare} and starts_with({lat}_l, 'abd') and {lat}_l <> {bare})",
        label_for_charts=f"{part} name: a bare Abd beside an Abd compound",
        base_dialect_str="duckdb",
    ).configure(m_probability=START_M["close"])


def _birth(columns: frozenset[str], settings: LinkSettings) -> cl.CustomComparison | None:
    """Date of birth and age as ONE comparison: a list's age is usually computed from the
    birth date, so two comparisons would count the same evidence twice (and link twins)."""
    c = settings.comparisons
    dob = c.birth_date and "date_of_birth" in columns
    age = "age_years" in columns
    group = "age_group" in columns
    if not (dob or age or group):
        return None
    used = [n for n, on in (("date_of_birth", dob), ("age_years", age), ("age_group", group)) if on]
    nothing = " and ".join(f"({n}_l is null or {n}_r is null)" for n in used)
    levels: list[Any] = [
        cll.CustomLevel(nothing, base_dialect_str="duckdb").configure(
            is_null_level=True, label_for_charts="no birth date or age on one side"
        )
    ]
    if dob:
        levels += [
            cll.ExactMatchLevel(
                "date_of_birth", term_frequency_adjustments=c.term_frequency_adjustments
            ),
            cll.LevenshteinLevel("date_of_birth", 1),
            cll.CustomLevel(
                "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4)",
                label_for_charts="same year of birth",
                base_dialect_str="duckdb",
            ),
        ]
    if age:
        levels += [
            cll.CustomLevel(
                f"abs(age_years_l - age_years_r) <= {d}",
                label_for_charts=f"ages at most {d} years apart",
                base_dialect_str="duckdb",
            )
            for d in c.age_year_differences
        ]
    if group:
        levels.append(cll.ExactMatchLevel("age_group").configure(label_for_charts="same age group"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(
        levels,
        output_column_name="birth",
        comparison_description="date of birth, else age, else age group",
    )


def _date_of_death(settings: LinkSettings) -> cl.CustomComparison:
    s, e = "date_of_death_start", "date_of_death_end"
    levels: list[Any] = [
        cll.NullLevel(s),
        cll.CustomLevel(
            f"{s}_l = {s}_r and {e}_l = {e}_r",
            label_for_charts="same date of death, same precision",
            base_dialect_str="duckdb",
        ),
        cll.CustomLevel(
            f"{s}_l <= {e}_r and {s}_r <= {e}_l",
            label_for_charts="dates of death overlap (one is partial)",
            base_dialect_str="duckdb",
        ),
    ]
    levels.extend(
        cll.AbsoluteDateDifferenceLevel(s, input_is_string=True, threshold=d, metric="day")
        for d in settings.comparisons.death_date_day_differences
    )
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name="date_of_death")


def _place(columns: frozenset[str]) -> cl.CustomComparison | None:
    present = [p for p in FINEST_FIRST if p in columns]
    has_text = "place" in columns
    if not present and not has_text:
        return None
    every = [*present, *(["place"] if has_text else [])]
    side_empty = [" and ".join(f"{c}_{side} is null" for c in every) for side in ("l", "r")]
    levels: list[Any] = [
        cll.CustomLevel(
            f"({side_empty[0]}) or ({side_empty[1]})", base_dialect_str="duckdb"
        ).configure(is_null_level=True, label_for_charts="no place on one side")
    ]
    if has_text:
        levels.append(cll.JaroWinklerLevel("place", 0.95))
    levels.extend(cll.ExactMatchLevel(p).configure(label_for_charts=f"same {p}") for p in present)
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(
        levels,
        output_column_name="place",
        comparison_description="place: finest gazetteer level both records agree on",
    )


def comparisons(columns: frozenset[str], settings: LinkSettings) -> list[cl.CustomComparison]:
    """The comparisons the records' columns allow, in a fixed order."""
    c = settings.comparisons
    out: list[Any] = [_name_part(p, columns, settings) for p in NAME_PARTS if f"{p}_key" in columns]
    if "sex" in columns:
        out.append(cl.ExactMatch("sex").configure(term_frequency_adjustments=False))
    birth = _birth(columns, settings)
    if birth is not None:
        out.append(birth)
    if c.national_id and "national_id" in columns:
        out.append(
            cl.CustomComparison(
                [
                    cll.NullLevel("national_id"),
                    cll.ExactMatchLevel("national_id"),
                    cll.LevenshteinLevel("national_id", 2),
                    cll.ElseLevel(),
                ],
                output_column_name="national_id",
            )
        )
    if "date_of_death_start" in columns:
        out.append(_date_of_death(settings))
    if c.place:
        place = _place(columns)
        if place is not None:
            out.append(place)
    for name, enabled in (("cause", c.cause), ("status", c.status)):
        if enabled and name in columns:
            out.append(cl.ExactMatch(name))
    return out


def blocking_rules(columns: frozenset[str], rules: tuple[tuple[str, ...], ...]) -> list[Any]:
    """The rules whose columns the records hold (a rule on a missing column is skipped)."""
    return [block_on(*rule) for rule in rules if _has(columns, *rule)]


def usable_rules(
    columns: frozenset[str], rules: tuple[tuple[str, ...], ...]
) -> list[tuple[str, ...]]:
    return [rule for rule in rules if _has(columns, *rule)]


def settings_creator(
    columns: frozenset[str],
    settings: LinkSettings,
    rules_used: list[tuple[str, ...]] | None = None,
) -> SettingsCreator:
    """Splink settings (untrained) for records with these columns; ``rules_used`` replaces
    the settings' blocking rules (e.g. refined for a large input, see blocking.py)."""
    rules = blocking_rules(columns, tuple(rules_used) if rules_used else settings.blocking.rules)
    if not rules:
        from everyname.core.link.settings import InvalidLinkSettings

        raise InvalidLinkSettings(
            "no blocking rule can be used with these records: each rule names a column they "
            f"lack. Rules: {list(settings.blocking.rules)}; columns: {sorted(columns)}"
        )
    comps = comparisons(columns, settings)
    if not comps:
        from everyname.core.link.settings import InvalidLinkSettings

        raise InvalidLinkSettings("the records hold no column the model can compare")
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comps,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["source"],
        em_convergence=settings.training.em_convergence,
        max_iterations=settings.training.em_max_iterations,
    )


def with_trained_parameters(untrained: dict[str, Any], trained: dict[str, Any]) -> dict[str, Any]:
    """Copy m, u and the prior of a trained model into an untrained one of the same shape.

    Used to score on one backend with a model trained on another: comparisons are matched by
    output column name and levels by position, and a shape mismatch is an error rather than
    a silently different model.
    """
    from everyname.core.link.settings import InvalidLinkSettings

    out = copy.deepcopy(untrained)
    by_name = {c["output_column_name"]: c for c in trained["comparisons"]}
    for comp in out["comparisons"]:
        name = comp["output_column_name"]
        source = by_name.get(name)
        if source is None or len(source["comparison_levels"]) != len(comp["comparison_levels"]):
            raise InvalidLinkSettings(
                f"the saved model does not fit these records: comparison {name!r} differs"
            )
        for level, src in zip(comp["comparison_levels"], source["comparison_levels"], strict=True):
            for key in ("m_probability", "u_probability"):
                if key in src:
                    level[key] = src[key]
            for key in ("tf_minimum_u_value",):
                if key in src:
                    level[key] = src[key]
    out["probability_two_random_records_match"] = trained["probability_two_random_records_match"]
    return out
