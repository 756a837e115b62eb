"""Places on the command line: the demo counted by neighbourhood and governorate shows each
place once (whatever the lists' spellings), and `places unresolved` / `places import` let a
user teach the gazetteer what it lacks."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.core.places import COLUMNS, Gazetteer
from everyname.store.models import AuditEvent, Membership, Person, Record

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _json(*args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_demo_counts_each_place_once_and_users_add_places(demo_imported, tmp_path):
    assert run("link").exit_code == 0
    figures = _json("count", "--by", "neighbourhood,governorate", "--format", "json")
    gazetteer = Gazetteer.load()
    for field in ("neighbourhood", "governorate"):
        rows = figures["by"][field]
        assert sum(r["count"] for r in rows) == figures["total"], field
        values = [r["value"] for r in rows]
        assert values[-2:] == ["unresolved", "unknown"], field
        places = [r for r in rows if r["value"] not in ("unresolved", "unknown")]
        assert places, field
        for row in places:  # a gazetteer id, named in both scripts
            assert row["value"] in gazetteer, row
            assert gazetteer.get(row["value"]).level != "" and row["label"] and row["label_ar"]
        for key in ("value", "label", "label_ar"):
            repeated = [v for v, n in Counter(r[key] for r in places).items() if n > 1]
            assert not repeated, (field, key, repeated)
    neighbourhoods = {r["label"]: r for r in figures["by"]["neighbourhood"] if "label" in r}
    assert "Baba Amr" in neighbourhoods  # بابا عمرو, Baba Amr, Baba Amru, حي بابا عمرو: one row
    governorates = {r["label"]: r["count"] for r in figures["by"]["governorate"] if "label" in r}
    # a record naming only its neighbourhood is in Homs: no person left to Homs's spellings
    assert governorates["Homs"] >= neighbourhoods["Baba Amr"]["count"]

    table = run("count", "--by", "neighbourhood", "--explain")
    assert table.exit_code == 0, table.output
    assert "Baba Amr" in table.output and "sy-hi-n-babaamr" not in table.output
    csv_out = run("count", "--by", "governorate", "--format", "csv")
    header = next(csv.reader(csv_out.stdout.splitlines()))
    assert header[:3] == ["field", "value", "count"] and {"label", "label_ar"} <= set(header)

    # Estimates by place and the public release count the same places.
    strata = _json("estimate", "--by", "governorate", "--format", "json", "--seed", "1")["strata"]
    values = [s["value"] for s in strata]
    assert len(values) == len(set(values)) and "sy-hi" in values
    homs = next(s for s in strata if s["value"] == "sy-hi")
    assert (homs["label"], homs["label_ar"]) == ("Homs", "حمص")
    assert all("label" in s for s in strata if s["value"] not in ("unresolved", "unknown"))
    assert run("export", "public", "--out", tmp_path / "public").exit_code == 0
    with (tmp_path / "public" / "v1" / "counts_by_place.csv").open(encoding="utf-8-sig") as f:
        published = [r for r in csv.DictReader(f) if r["level"] == "governorate"]
    assert {r["place_id"]: int(r["persons"]) for r in published} == {
        r["value"]: r["count"] for r in figures["by"]["governorate"]
    }

    # Teach the gazetteer a neighbourhood the lists use but it does not know.
    record = Record.objects.order_by("pk").first()
    normalised = dict(record.normalised)
    normalised["neighbourhood"] = "Zzyzx Quarter"
    Record.objects.filter(pk=record.pk).update(normalised=normalised)
    person = Person.objects.get(person_id=Membership.objects.get(record=record).person_id)
    Person.objects.filter(pk=person.pk).update(
        resolved={**person.resolved, "neighbourhood": "Zzyzx Quarter", "place": None}
    )  # as a link run after the correction would resolve it
    before = _json("count", "--by", "neighbourhood", "--format", "json")
    assert {"field": "neighbourhood", "spelling": "Zzyzx Quarter", "count": 1} in before[
        "unresolved_places"
    ]["neighbourhood"]
    listed = _json("places", "unresolved", "--format", "json")
    mine = [s for s in listed if s["spelling"] == "Zzyzx Quarter"]
    assert mine == [
        {
            "field": "neighbourhood",
            "spelling": "Zzyzx Quarter",
            "records": 1,
            "example_record_ids": [str(record.pk)],
        }
    ]
    assert "Zzyzx Quarter" in run("places", "unresolved").output

    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(COLUMNS) + "\nmy-z,,Zzyzx,,hamlet,sy-hi-c-homs,,\n", "utf-8")
    refused = run("places", "import", bad)
    assert refused.exit_code == 1
    # Rich wraps the message at the terminal's width, inside a long path too ("bad.cs v"):
    # compared without any white space
    said = "".join(refused.output.split())
    assert "bad.csv" in said and "row2,column'level'" in said and "nothingwasadded" in said
    good = tmp_path / "zzyzx.csv"
    good.write_text(",".join(COLUMNS) + "\nmy-z,,Zzyzx,,neighbourhood,sy-hi-c-homs,,\n", "utf-8")
    done = run("places", "import", good)
    assert done.exit_code == 0, done.output
    assert "1 new place" in done.output
    assert AuditEvent.objects.filter(action="places.imported").count() == 1
    listed = _json("places", "unresolved", "--format", "json")
    assert all(s["spelling"] != "Zzyzx Quarter" for s in listed)
    after = _json("count", "--by", "neighbourhood", "--format", "json")  # the next count
    rows = {r["value"]: r for r in after["by"]["neighbourhood"]}
    assert rows["my-z"]["count"] == 1 and rows["my-z"]["label"] == "Zzyzx"
    assert (
        rows["unresolved"]["count"]
        == {r["value"]: r for r in before["by"]["neighbourhood"]}["unresolved"]["count"] - 1
    )
