"""The readings a name search asks for (core/names/readings.py): the name as typed first,
then parts joined or cut, each made only of parts some record holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from everyname.core.names.keys import joined_key
from everyname.core.names.readings import MAX_READINGS, key_readings

KEYS = ("MHMD", "NR", "MHMDNR", "KLD", "DWD", "MHMDWD", "BDLRHMN", "V", "HSN")


def test_a_compound_typed_in_two_words_reads_as_one_part_and_back():
    held = {"MHMDNR", "KLD"}
    assert key_readings(["MHMD", "NR", "KLD"], held.intersection) == [
        ("MHMD", "NR", "KLD"),
        ("MHMDNR", "KLD"),
    ]
    held = {"MHMD", "NR", "KLD"}
    assert key_readings(["MHMDNR", "KLD"], held.intersection) == [
        ("MHMDNR", "KLD"),
        ("MHMD NR", "KLD"),
    ]
    # the letter ending one part and starting the next is written once in the joined key
    assert ("MHMD DWD",) in key_readings(["MHMDWD"], {"MHMD", "DWD"}.intersection)


def test_nothing_held_leaves_the_name_as_typed():
    assert key_readings(["MHMD", "NR", "KLD"], lambda parts: set()) == [("MHMD", "NR", "KLD")]
    assert key_readings([], lambda parts: set()) == []


def test_a_part_with_no_consonant_is_never_joined_away():
    """ "آية محمد" must not become a search for "محمد" alone (V joins to nothing)."""
    readings = key_readings(["V", "MHMD"], lambda parts: set(parts))
    assert all(reading[0] == "V" for reading in readings)


@given(
    st.lists(st.sampled_from(KEYS), min_size=1, max_size=7),
    st.sets(st.sampled_from((*KEYS, "MH", "MD", "DNR", "NRKLD", "MHMDNRKLD"))),
)
def test_every_reading_joins_back_to_the_name_typed(typed, held):
    readings = key_readings(typed, held.intersection)
    assert readings[0] == tuple(typed) and len(readings) <= MAX_READINGS
    assert len(set(readings)) == len(readings)
    for reading in readings[1:]:
        assert joined_key(" ".join(reading).split()) == joined_key(typed), reading
        for group in reading:
            parts = group.split()
            assert group in typed or all(part in held for part in parts), reading
            assert len(parts) == 1 or all(len(part) >= 2 for part in parts), reading
