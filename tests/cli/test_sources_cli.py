"""``everyname sources --batch N --rejects FILE``: the rows an import skipped, written out later
from the batch (the import's own rejects file may be long gone)."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.store.models import Batch

pytestmark = pytest.mark.django_db
runner = CliRunner()


def test_rows_kept_with_a_batch_are_written_out_later(tmp_path, key_file):
    path = tmp_path / "wide.csv"
    path.write_text("name,age\nAhmad Khalil,30\nHuda Ali,3,x\n", encoding="utf-8")
    imported = runner.invoke(app, ["import", str(path), "--source", "lcc", "--skip-invalid"])
    assert imported.exit_code == 0, imported.output
    at_import = (tmp_path / "wide.rejects.csv").read_bytes()
    (tmp_path / "wide.rejects.csv").unlink()
    batch = Batch.objects.get().pk

    shown = runner.invoke(app, ["sources", "--batch", str(batch)])
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.output.split())  # the console wraps long lines
    assert (
        f"1 of them are kept with the batch: `everyname sources --batch {batch} --rejects" in said
    )

    out = tmp_path / "later.csv"
    written = runner.invoke(app, ["sources", "--batch", str(batch), "--rejects", str(out)])
    assert written.exit_code == 0, written.output
    assert out.read_bytes() == at_import
    with out.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert (row["everyname_row"], row["name"]) == ("3", "Huda Ali")
    assert runner.invoke(app, ["sources", "--rejects", str(out)]).exit_code == 2
