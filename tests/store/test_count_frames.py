"""The count frames kept in the database: a link run leaves its persons (places resolved) and
memberships for every process; a count from them gives exactly what a count from frames built
afresh gives; a places import, an edit in place and a restore make the next count build them
again (and keep them), never read stale ones."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from everyname.core.count import CountFilters
from everyname.core.places import COLUMNS
from everyname.store import counting
from everyname.store.counting import (
    count,
    count_input,
    forget_count_inputs,
    frames_stamp,
    kept_frames,
    memberships_frame,
    persons_frame,
)
from everyname.store.imports import import_file
from everyname.store.linking import run_link
from everyname.store.models import CountFrame, LinkRun, Person, Source
from everyname.store.permissions import Actor
from everyname.store.places import import_places
from tests.conftest import DEMO_PASSPHRASE as PASSPHRASE
from tests.conftest import run_everyname

pytestmark = pytest.mark.django_db

TESTER = Actor.local_admin("tester")
WINDOW = CountFilters(since="2012-02-03", until="2012-02-09", place="Homs")
FRAMES = ["conflicts", "memberships", "persons"]
BREAKDOWNS = (["sex", "place"], ["governorate", "neighbourhood"], ["age_group", "cause"], ["week"])
LIST = [
    ["name", "sex", "governorate", "neighbourhood"],
    ["محمد الخالدي", "ذكر", "حمص", "بابا عمرو"],
    ["Ahmad Sabbagh", "m", "Homs", "Baba Amr"],
    ["Omar Zaidan", "m", "Homs", "Zzyzx Quarter"],
    ["Khaled Zaidan", "m", "Homs", "Zzyzx Quarter"],
    ["سعاد الزين", "أنثى", "حمص", "حي القرموشية"],
    ["Yusuf Ali", "m", "Qarmoushland", ""],
]


def figures(filters: CountFilters | None = None) -> list[dict]:
    """Several counts as the count command prints them, from a count input built now."""
    forget_count_inputs()
    return [count(TESTER, filters, by, explain=True).to_dict() for by in BREAKDOWNS]


def pieces_of(run: LinkRun) -> list[tuple[str, int, int, str]]:
    return list(
        CountFrame.objects.filter(link_run=run)
        .order_by("frame", "number")
        .values_list("frame", "number", "pieces", "stamp")
    )


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def linked(demo_imported):
    return LinkRun.objects.get(pk=run_link(TESTER).link_run)


def test_a_link_run_leaves_its_frames_and_the_next_run_replaces_them(linked):
    stamp = frames_stamp(linked)
    assert pieces_of(linked) == [(name, 0, 1, stamp) for name in FRAMES]
    persons, memberships, conflicts = kept_frames(linked)
    # the very frames a count would build: every column, type and value (lists stay lists,
    # the unplaced texts stay tuples, ages stay numbers, missing stays missing)
    assert counting._same_frame(persons, persons_frame(linked))
    assert counting._same_frame(memberships, memberships_frame(linked))
    assert len(persons) == Person.objects.filter(link_run=linked).count() > 100
    assert persons["place_unresolved"].map(type).eq(tuple).all()
    assert counting._same_frame(conflicts, counting.conflicts_frame(linked))
    assert (
        0 < len(conflicts) == Person.objects.filter(link_run=linked).exclude(conflicts=[]).count()
    )

    second = LinkRun.objects.get(pk=run_link(TESTER).link_run)
    assert CountFrame.objects.exclude(link_run=second).count() == 0  # one run's frames kept
    assert [p[0] for p in pieces_of(second)] == FRAMES
    # an older run's frames (a count of it, a build that finished late) never replace them
    assert counting.keep_count_frames(linked) is False
    assert [p[0] for p in pieces_of(second)] == FRAMES
    assert not pieces_of(linked)


def test_counts_from_kept_frames_equal_counts_from_frames_built_afresh(linked):
    assert kept_frames(linked) is not None
    reads_before = CountFrame.objects.values_list("pk", flat=True)
    kept = [*figures(), *figures(WINDOW)]
    assert set(reads_before) == set(CountFrame.objects.values_list("pk", flat=True))

    CountFrame.objects.all().delete()  # an older database: no frames yet
    afresh = [*figures(), *figures(WINDOW)]
    assert afresh == kept
    assert any(row["value"] != "unknown" for row in kept[0]["by"]["place"])
    assert kept[4]["total"] < kept[0]["total"]  # the window keeps fewer: filters were applied
    # the count that found none built them, and kept them for every process after it
    assert [p[0] for p in pieces_of(linked)] == FRAMES
    assert figures() == kept[:4]
    conflicts = Person.objects.filter(link_run=linked).exclude(conflicts=[])
    assert count_input().conflicts == dict(conflicts.values_list("person_id", "conflicts"))


def test_a_places_import_makes_the_next_count_place_persons_anew(tmp_path, key_file):
    import_file(write(tmp_path / "list.csv", LIST), "lcc-homs", actor="tester")
    run = LinkRun.objects.get(pk=run_link(TESTER).link_run)
    old_stamp = frames_stamp(run)
    before = count(TESTER, by=["place"], explain=True).to_dict()
    assert "my-zzyzx" not in {row["value"] for row in before["by"]["place"]}

    places = [list(COLUMNS), ["my-zzyzx", "زيزكس", "Zzyzx", "", "neighbourhood", "sy-hi-c-homs"]]
    import_places(write(tmp_path / "places.csv", [*places[:1], [*places[1], "", ""]]), actor="t")
    assert frames_stamp(run) != old_stamp
    assert kept_frames(run) is None  # built from the places as they were: not read again

    after = count(TESTER, by=["place"], explain=True).to_dict()
    placed = {row["value"]: row for row in after["by"]["place"]}
    assert placed["my-zzyzx"]["count"] == 2  # the two Zaidans of Zzyzx Quarter
    assert after["total"] == before["total"]
    # healed: the count kept frames with the new places for the processes after it
    assert {p[3] for p in pieces_of(run)} == {frames_stamp(run)}
    assert kept_frames(run) is not None


def test_an_edit_in_place_removes_the_kept_frames_and_the_next_count_sees_it(linked):
    person = Person.objects.filter(link_run=linked).order_by("pk").first()
    assert CountFrame.objects.exists()
    Person.objects.filter(pk=person.pk).update(resolved={**person.resolved, "sex": "female"})
    assert not CountFrame.objects.exists()  # the database's own triggers removed them
    row = count_input().persons.set_index("person_id").loc[person.person_id]
    assert row["sex"] == "female"
    assert CountFrame.objects.exists()  # kept again, with the edit

    # a source's code is what memberships say: changing it removes them too
    source = Source.objects.order_by("pk").first()
    Source.objects.filter(pk=source.pk).update(copy_group="not read by the frames")
    assert CountFrame.objects.exists()
    Source.objects.filter(pk=source.pk).update(code="renamed-list")
    assert not CountFrame.objects.exists()
    assert "renamed-list" in set(count_input().memberships["source"])


def test_frames_are_not_read_without_their_triggers(linked):
    counting.uninstall_frame_triggers()
    assert kept_frames(linked) is None  # an edit could have been made unseen meanwhile
    count_input()
    assert counting._frame_triggers_in_place()  # put back when the frames were kept again
    assert kept_frames(linked) is not None


def test_the_encoding_reads_back_every_kind_of_value_or_is_not_kept(linked):
    frame = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "p3"],
            "text": pd.Series(["a", None, "ب"], dtype=object),
            "ages": pd.Series([34, None, 9.5], dtype=object),
            "lists": pd.Series([["1", "2"], [], None], dtype=object),
            "json": pd.Series([[1, "a"], None, {"k": [2.5]}], dtype=object),
            "tuples": pd.Series([(("neighbourhood", "x", ()),), (), None], dtype=object),
            "numbers": [1.5, float("nan"), 3.0],
        }
    )
    back = counting._decode_frame(counting._encode_frame(frame))
    assert counting._same_frame(frame, back)
    assert [type(v) for v in back["ages"]] == [int, type(None), float]
    assert back["tuples"].iloc[0] == (("neighbourhood", "x", ()),)
    assert back["json"].iloc[2] == {"k": [2.5]} and type(back["lists"].iloc[1]) is list
    assert not counting._same_frame(frame, frame.assign(lists=[("1", "2"), [], None]))

    mixed = frame.assign(lists=pd.Series([["1"], ("2",), None], dtype=object))
    frames = counting._build_frames(linked)
    assert counting._keep(linked, frames._replace(persons=mixed)) is False
    assert pieces_of(linked)  # what was kept stays


def test_large_frames_are_kept_in_pieces_and_a_missing_piece_is_never_read(linked, monkeypatch):
    monkeypatch.setattr(counting, "PIECE_BYTES", 4096)
    assert counting.keep_count_frames(linked)
    pieces = pieces_of(linked)
    assert len(pieces) > 4 and {p[2] for p in pieces if p[0] == "persons"} == {
        len([p for p in pieces if p[0] == "persons"])
    }
    persons, memberships, _ = kept_frames(linked)
    assert counting._same_frame(persons, persons_frame(linked))
    assert counting._same_frame(memberships, memberships_frame(linked))
    CountFrame.objects.filter(link_run=linked, frame="persons", number=1).delete()
    assert kept_frames(linked) is None


# --- a backup and its restore --------------------------------------------------------------


def run(*args: object, cwd: Path, env: dict[str, str]) -> str:
    return run_everyname(*args, cwd=cwd, env=env).stdout


@pytest.mark.slow
def test_a_restored_database_counts_the_same_and_builds_its_frames_again(demo_database, cast):
    from everyname.store import backup

    root, env = demo_database
    args = ["count", "--by", "sex,place", "--format", "json"]
    there = json.loads(run(*args, cwd=root, env=env))
    run("backup", root / "plain.enb", cwd=root, env=env)

    result = backup.restore(cast["admin"], root / "plain.enb", PASSPHRASE)
    assert "store_countframe" not in {t.table for t in result.tables}  # derived: not backed up
    assert not CountFrame.objects.exists()
    forget_count_inputs()
    here = count(TESTER, by=["sex", "place"]).to_dict()
    assert here == there and here["total"] > 0
    assert sorted({p[0] for p in pieces_of(LinkRun.objects.latest("created_at"))}) == FRAMES


TWO_FIRST_COUNTS = """
import threading
from everyname.store.bootstrap import setup
setup()
from everyname.store.counting import count_input
from everyname.store.models import CountFrame

CountFrame.objects.all().delete()  # as a database from before frames were kept
start, inputs = threading.Barrier(2), []

def first_count():
    start.wait()
    inputs.append(count_input())

threads = [threading.Thread(target=first_count) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(inputs), inputs[0] is inputs[1], CountFrame.objects.count())
"""


@pytest.mark.slow
def test_two_first_counts_at_once_build_the_input_once(demo_database):
    root, env = demo_database
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EVERYNAME_")}
    done = subprocess.run(
        [sys.executable, "-c", TWO_FIRST_COUNTS],
        cwd=root,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    # one input, built by one thread while the other waited for it; its frames kept once
    assert done.stdout.split() == ["2", "True", "3"]
