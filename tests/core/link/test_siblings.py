"""One list's siblings are not its duplicates (core/link/siblings.py)."""

from __future__ import annotations

import pandas as pd

from everyname.core.link import LinkSettings, MatchDecision, cluster_pairs, link_records
from everyname.core.link.names import link_input
from everyname.core.link.siblings import SIBLINGS, sibling_pairs


def records(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["record_id", "source", "given_key", "father_key", "family_key"]
    )


def scored(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def test_same_father_and_family_with_another_given_name_in_one_list_look_like_siblings():
    recs = records(
        ("a", "L", "ahmd", "mhmd", "njr"),
        ("b", "L", "mhmwd", "mhmd", "njr"),  # brother of a
        ("c", "M", "ali", "mhmd", "njr"),  # another list: not this rule's business
        ("d", "L", "ahmd", "mhmd", "njr"),  # a named twice
        ("e", "L", "ali", "hsn", "njr"),  # another father
        ("f", "L", None, "mhmd", "njr"),  # no given name: nothing to say
    )
    pairs = scored(
        ("a", "b", 0.999),
        ("a", "c", 0.999),
        ("a", "d", 0.999),
        ("a", "e", 0.999),
        ("a", "f", 0.999),
        ("b", "d", 0.5),  # below the threshold: never linked anyway
    )
    recs.loc[len(recs)] = ["g", "L", pd.NA, "mhmd", "njr"]  # unknown given name, as pandas
    pairs.loc[len(pairs)] = ["a", "g", 0.999]  # reads it from the store
    found = sibling_pairs(recs, pairs, 0.99)
    assert list(zip(found["record_id_l"], found["record_id_r"], strict=True)) == [("a", "b")]
    assert sibling_pairs(recs.drop(columns="father_key"), pairs, 0.99).empty


def test_siblings_are_never_chained_into_one_person_but_a_reviewer_can_join_them():
    ids, sources = ["a", "b", "d"], ["L", "L", "L"]
    pairs = scored(("a", "d", 0.9999), ("b", "d", 0.9999), ("a", "b", 0.995))
    apart = pd.DataFrame({"record_id_l": ["a"], "record_id_r": ["b"]})
    kept = cluster_pairs(ids, sources, pairs, 0.99, one_record_per_source=False, apart=apart)
    label = dict(zip(ids, kept.labels.tolist(), strict=True))
    assert label["a"] != label["b"]  # not directly, and not through d either
    assert label["d"] in (label["a"], label["b"])
    assert SIBLINGS in set(kept.held_apart["rule"])
    joined = cluster_pairs(
        ids,
        sources,
        pairs,
        0.99,
        [MatchDecision("a", "b", "same")],
        one_record_per_source=False,
        apart=apart,
    )
    assert len(set(joined.labels.tolist())) == 1


def test_a_single_list_links_its_duplicates_and_holds_its_siblings_apart():
    written = [
        ("1", "أحمد محمد علي النجار", "1990-03-01"),
        ("2", "أحمد محمد علي النجار", "1990-03-01"),  # the same man, named twice
        ("3", "محمود محمد علي النجار", "1990-03-01"),  # his twin brother
        ("4", "سارة خالد حسن البطش", "2001-07-12"),
        ("5", "سارة خالد حسن البطش", "2001-07-12"),
        ("6", "مريم خالد حسن البطش", "2003-01-30"),
    ]
    frame = pd.DataFrame(
        {
            "record_id": [r[0] for r in written],
            "source": "moh",
            "full_name": [r[1] for r in written],
            "date_of_birth": [r[2] for r in written],
        }
    )
    frame = pd.concat([frame, filler(200)], ignore_index=True)
    result = link_records(link_input(frame))
    person = result.person_of()
    assert person["1"] == person["2"] and person["4"] == person["5"]
    assert person["3"] != person["1"] and person["6"] != person["4"]
    held = result.held_apart[result.held_apart["rule"] == SIBLINGS]
    assert {"1", "2"} & set(held["record_id_l"]) and "3" in set(held["record_id_r"])
    assert result.counts["pairs_held_apart_as_siblings"] == len(held) >= 1
    # the model alone scores the twins above the threshold: the rule is what keeps them apart
    off = link_records(link_input(frame), LinkSettings(siblings_apart=False)).person_of()
    assert off["3"] == off["1"]


def filler(n: int) -> pd.DataFrame:
    """Unrelated people, so training has a list to learn from."""
    given = ["يوسف", "خالد", "عمر", "ليلى", "هدى", "سعيد", "رامي", "نور", "كريم", "دينا"]
    father = ["إبراهيم", "سليم", "ناصر", "جمال", "فؤاد", "وليد", "عادل", "حسام"]
    family = ["الشوا", "حلس", "أبو شعبان", "الريس", "عاشور", "السقا", "الطويل"]
    rows = []
    for i in range(n):
        name = f"{given[i % 10]} {father[(i // 10) % 8]} {given[(i * 7) % 10]} {family[i % 7]}"
        rows.append(
            {
                "record_id": f"x{i}",
                "source": "moh",
                "full_name": name,
                "date_of_birth": f"19{50 + i % 50:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            }
        )
    return pd.DataFrame(rows)


def test_one_list_against_itself_links_at_the_threshold_several_lists_ask_more():
    from everyname.core.link.pipeline import _same_source_threshold

    settings = LinkSettings()
    one = pd.DataFrame({"source": ["moh", "moh", "moh"]})
    several = pd.DataFrame({"source": ["moh", "moh", "ngo"]})
    assert _same_source_threshold(settings, one) == settings.threshold
    assert _same_source_threshold(settings, several) == settings.same_source_threshold
    assert settings.same_source_threshold > settings.threshold
