"""Per-source figures and the headline sentence."""

from __future__ import annotations

from datetime import date

import pandas as pd

from everyname.core.count import (
    CountFilters,
    CountInput,
    count_persons,
    headline,
    source_figures,
)

WINDOW = CountFilters(since=date(2012, 2, 3), until=date(2012, 2, 9))
BY = ["age_group", "status", "outcome"]


def test_source_figures_count_records_persons_and_only_this_source(data):
    figures = source_figures(data.memberships)
    table = figures.table.set_index("source")
    assert table.loc["hospital", "records"] == 6  # P01 twice
    assert table.loc["hospital", "persons"] == 5
    assert table.loc["hospital", "only_this_source"] == 3  # P04 P08 P09
    assert table.loc["committee", "persons"] == 6
    assert figures.overlap.loc["committee", "hospital"] == 2  # P01 P06
    assert figures.overlap.loc["hospital", "committee"] == 2
    assert figures.overlap.loc["ngo", "ngo"] == 2


def test_intersections_partition_the_persons(data):
    figures = source_figures(data.memberships)
    assert figures.intersections["persons"].sum() == len(data.persons)
    first = figures.intersections.iloc[0]
    assert first["sources"] == "hospital" and first["persons"] == 3  # P04 P08 P09
    as_dict = figures.to_dict()
    assert {"sources": ["committee", "sana"], "persons": 1} in as_dict["intersections"]


def test_source_figures_for_a_subset_of_persons(data):
    figures = source_figures(data.memberships, ["P01", "P02"])
    assert set(figures.table["source"]) == {"committee", "hospital", "ngo"}
    assert figures.intersections["persons"].sum() == 2


def test_headline_english_says_at_least_where_unknowns_exist(data):
    result = count_persons(data, WINDOW, by=BY)
    text = headline(result, place="Homs")
    assert text.startswith("Between Friday 3 February 2012 and Thursday 9 February 2012, ")
    assert "7 people were reported killed or injured in Homs by name" in text
    assert "including at least 3 children (1 of unknown age)" in text
    assert "at least 5 were civilians and at least 1 combatant (1 of unknown status)" in text
    assert "2 more people may fall in this period but are not counted" in text
    assert "1 more person with no known date is not counted" in text


def test_headline_plain_numbers_without_unknowns(data):
    killed = CountFilters(
        since="2012-02-03", until="2012-02-04", outcome="killed", place="Baba-Amr"
    )
    result = count_persons(data, killed, by=BY)
    text = headline(result, place="Baba Amr", corroborated=1)
    assert text == (
        "Between Friday 3 February 2012 and Saturday 4 February 2012, 2 people were reported "
        "killed in Baba Amr by name, including 2 children; 2 were civilians. "
        "1 of them is named by at least two independent sources."
    )


def test_headline_since_only_and_outcome_inferred(data):
    result = count_persons(data, CountFilters(since="2012-02-03", outcome=None), by=BY)
    only_killed = count_persons(
        CountInput(
            data.persons[data.persons.outcome == "killed"],
            data.memberships[data.memberships.person_id != "P09"],
            link_run="r",
        ),
        CountFilters(since="2012-02-03"),
        by=BY,
    )
    assert headline(result).startswith("Since Friday 3 February 2012, 8 people have been ")
    assert "reported killed by name" in headline(only_killed)


def test_headline_arabic(data):
    result = count_persons(data, WINDOW, by=BY)
    text = headline(result, "ar", place="حمص")
    assert text.startswith("بين يوم الجمعة 3 شباط/فبراير 2012 ويوم الخميس 9 شباط/فبراير 2012، ")
    assert "الموثَّقين بالاسم في حمص: 7" in text
    assert "ما لا يقل عن 3 من الأطفال (1 لم يُعرف عمرهم)" in text
    assert "ما لا يقل عن 5 من المدنيين" in text
    assert "ولم يُحتسب 2 ممن قد تندرج وفاتهم في هذه الفترة" in text


def test_headline_empty_count():
    persons = pd.DataFrame({"person_id": pd.Series([], dtype=object)})
    memberships = pd.DataFrame(columns=["person_id", "record_id", "source"])
    result = count_persons(CountInput(persons, memberships, "r"), by=BY)
    assert headline(result).startswith("In all, 0 people have been reported")


def doubtful(data: CountInput, not_linked: int = 0) -> CountInput:
    """The persons with two pairs awaiting review: P02 ~ P04 and P07 ~ P09 (all in the window)."""
    pairs = pd.DataFrame(
        [("r04", "r08", 0.8), ("r12", "r14", 0.7)],
        columns=["record_id_l", "record_id_r", "match_probability"],
    )
    return CountInput(
        data.persons,
        data.memberships,
        link_run="7",
        pending_pairs=pairs,
        records_not_linked=not_linked,
    )


def test_headline_gives_the_range_while_pairs_await_review(data):
    result = count_persons(doubtful(data), WINDOW, by=BY)
    assert (result.total, result.total_low) == (7, 5)
    text = headline(result, place="Homs")
    assert (
        "7 people were reported killed or injured in Homs by name "
        "(at least 5 if the 2 pairs awaiting review are duplicates), including" in text
    )
    arabic = headline(result, "ar", place="حمص")
    assert (
        "الموثَّقين بالاسم في حمص: 7 (أو 5 على الأقل إذا ثبت أن أزواج السجلات التي تنتظر "
        "المراجعة، وعددها 2، تخص الأشخاص أنفسهم)،" in arabic
    )


def test_headline_says_nothing_extra_when_nothing_awaits_review(data):
    result = count_persons(data, WINDOW, by=BY)
    assert result.total_low == result.total
    assert "awaiting review" not in headline(result)
    assert "المراجعة" not in headline(result, "ar")
    assert "link run" not in headline(result)


def test_headline_names_the_records_the_link_run_does_not_cover(data):
    result = count_persons(doubtful(data, not_linked=1204), WINDOW, by=BY)
    assert headline(result).endswith(
        "1,204 records imported since link run 7 are not in these figures: run `everyname link`."
    )
    assert "لا تشمل هذه الأرقام 1204 من السجلات المستوردة بعد عملية الربط 7" in headline(
        result, "ar"
    )
    one = count_persons(doubtful(data, not_linked=1), WINDOW, by=BY)
    assert "1 record imported since link run 7 is not in these figures" in headline(one)
