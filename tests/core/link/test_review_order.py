"""The review queue asks the most useful question first (core/link/review.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from everyname.core.demo.link_input import demo_link_records
from everyname.core.link import LinkSettings, MatchDecision, link_records
from everyname.core.link.pipeline import review_queue
from everyname.core.link.review import entropy, order_for_review


def pending(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def test_the_likeliest_change_to_the_persons_comes_first():
    persons = pd.Series({"a": "P1", "b": "P2", "c": "P3", "d": "P4", "e": "P5", "f": "P6"})
    queue = order_for_review(pending(("a", "b", 0.55), ("c", "d", 0.95), ("e", "f", 0.75)), persons)
    assert list(queue["record_id_l"]) == ["c", "e", "a"]
    assert queue["usefulness"].tolist() == pytest.approx([0.95, 0.75, 0.55])


def test_records_already_one_person_count_the_chance_of_a_different_answer():
    # a and b are one person through other records: only "different" would change anything
    persons = pd.Series({"a": "P1", "b": "P1", "c": "P2", "d": "P3"})
    queue = order_for_review(pending(("a", "b", 0.9), ("c", "d", 0.6)), persons)
    assert list(queue["record_id_l"]) == ["c", "a"]
    assert queue["usefulness"].tolist() == pytest.approx([0.6, 0.1])


def test_questions_about_the_same_two_persons_share_their_credit():
    # three pairs between persons P1 and P2 narrow the count's range by one person at most
    persons = pd.Series({"a1": "P1", "a2": "P1", "b1": "P2", "b2": "P2", "c": "P3", "d": "P4"})
    queue = order_for_review(
        pending(("a1", "b1", 0.9), ("a2", "b2", 0.9), ("a1", "b2", 0.9), ("c", "d", 0.5)),
        persons,
    )
    assert queue["record_id_l"].iloc[0] == "c"
    assert queue["usefulness"].tolist() == pytest.approx([0.5, 0.3, 0.3, 0.3])


def test_ties_are_broken_by_uncertainty_then_ids_so_the_order_is_deterministic():
    persons = pd.Series(dtype=object)  # records of no known person: each its own
    rows = [("x", "y", 0.7), ("a", "b", 0.7), ("m", "n", 0.7)]
    first = order_for_review(pending(*rows), persons)
    again = order_for_review(pending(*reversed(rows)), persons)
    assert list(first["record_id_l"]) == list(again["record_id_l"]) == ["a", "m", "x"]
    assert entropy(np.array([0.5]))[0] == pytest.approx(1.0)
    assert entropy(np.array([0.99]))[0] < entropy(np.array([0.7]))[0]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return demo_link_records()


@pytest.fixture(scope="module")
def demo_run(demo):
    return link_records(demo.drop(columns=["truth"]), LinkSettings())


def test_the_run_queue_holds_uncertain_and_held_apart_pairs_in_one_useful_order(demo_run):
    queue = review_queue(demo_run)
    assert len(queue) == len(demo_run.review) + len(demo_run.held_apart)
    assert set(queue["kind"]) == {"uncertain", "held_apart"}
    useful = queue["usefulness"].to_numpy()
    assert (np.diff(useful) <= 1e-12).all()
    uncertain = queue[queue["kind"] == "uncertain"]
    pairs = set(zip(uncertain["record_id_l"], uncertain["record_id_r"], strict=True))
    assert pairs == set(
        zip(demo_run.review["record_id_l"], demo_run.review["record_id_r"], strict=True)
    )
    # held-apart pairs (scored above the threshold) are not all sent to the end
    first_half = queue.head(len(queue) // 2)
    assert (first_half["kind"] == "held_apart").any()


def test_answering_the_queue_in_order_links_more_true_pairs_than_answering_by_entropy(demo):
    """Fifty answers from the truth, in the queue's order and in uncertainty order (nearest
    0.5 first): the queue's answers join more true pairs at the next run."""
    truth = dict(zip(demo["record_id"], demo["truth"], strict=True))
    inputs = demo.drop(columns=["truth"])
    first = link_records(inputs, LinkSettings())
    queue = review_queue(first)
    by_entropy = queue.assign(h=entropy(queue["match_probability"].to_numpy())).sort_values(
        ["h", "record_id_l", "record_id_r"], ascending=[False, True, True]
    )

    def answered(order: pd.DataFrame) -> int:
        decisions = [
            MatchDecision(a, b, "same" if truth[a] == truth[b] else "different")
            for a, b in zip(
                order["record_id_l"].head(50), order["record_id_r"].head(50), strict=True
            )
        ]
        after = link_records(inputs, LinkSettings(), decisions)
        person = after.persons.set_index("record_id")["person_id"]
        same = pd.DataFrame({"p": person.reindex(demo["record_id"]).to_numpy(), "t": demo["truth"]})
        return int(sum(n * (n - 1) // 2 for n in same.groupby(["p", "t"]).size()))

    assert answered(queue) > answered(by_entropy)


def test_pairs_the_sibling_rule_held_apart_wait_behind_likely_matches():
    persons = pd.Series({"a": "P1", "b": "P2", "c": "P3", "d": "P4"})
    queue = order_for_review(
        pending(("a", "b", 0.999), ("c", "d", 0.6)).assign(rule=["siblings", ""]), persons
    )
    assert list(queue["record_id_l"]) == ["c", "a"]
    assert queue["usefulness"].tolist() == pytest.approx([0.6, 0.0999])
