"""An upload previewed before anything is written: what the import will read, the same way the
import reads it; the page's mapping choices written as a checked TOML mapping; the upload kept
owner-only until it is committed as an import job that the real worker code runs."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from openpyxl import Workbook

from everyname.core.errors import (
    Conflict,
    InputRejected,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from everyname.core.mapping import parse_mapping
from everyname.store import jobs, previews
from everyname.store.imports import AlreadyImported, import_list
from everyname.store.models import Batch, Job, Record
from everyname.store.sources import get_or_create_source
from tests.conftest import shared_data_path
from tests.store.conftest import database_snapshot

pytestmark = pytest.mark.django_db

# Arabic headers and values; one impossible date (row 3), one age the import cannot read (row 4),
# a column nothing recognises ("الحي السكني"), and a witness's name and contact.
ARABIC = (
    "الاسم,العمر,تاريخ الوفاة,الحي السكني,اسم المبلغ,هاتف المبلغ\n"
    "أحمد خليل,30,2012-02-07,الخالدية,أبو خالد,0933111222\n"
    "هدى علي,9,2012-02-30,باب السباع,أم علي,0933444555\n"
    "عمر صالح,430,2012-03-01,الخالدية,,\n"
).encode()
HOOD = "الحي السكني"


def upload(data: bytes, name: str = "list.csv") -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.fixture
def sources(key_file):
    for code in ("src-a", "src-b"):
        get_or_create_source(code, "setup")


def test_the_preview_reads_the_list_as_the_import_will_and_writes_nothing(sources, cast):
    before = database_snapshot()
    seen = previews.preview_import(cast["recorder_a"], upload(ARABIC), "src-a")
    assert database_snapshot() == before

    plan = {c.column: (c.fields, c.how, c.sensitive) for c in seen.columns}
    assert plan["الاسم"] == (("full_name",), "recognised", False)
    assert plan["تاريخ الوفاة"] == (("date_of_death",), "recognised", False)
    assert plan[HOOD] == ((), "unused", False)
    assert plan["اسم المبلغ"][2] and plan["هاتف المبلغ"][2]  # identity: encrypted, never shown
    assert (seen.rows_read, seen.rows_valid, seen.rows_rejected) == (3, 3, 0)
    assert [(p.row, p.column, p.value) for p in seen.unreadable] == [
        (3, "تاريخ الوفاة", "2012-02-30"),
        (4, "العمر", "430"),
    ]
    assert all(p.expected for p in seen.unreadable)
    first = {c.field: c for c in seen.rows[0].cells}
    assert (first["full_name"].shown, first["age"].shown) == ("أحمد خليل", "30")
    assert first["date_of_death"].shown == "2012-02-07"
    # The witness's name and contact are in no part of the preview.
    assert "أبو خالد" not in repr(seen) and "0933111222" not in repr(seen)
    assert all(
        c.shown is None and c.as_written is None for r in seen.rows for c in r.cells if c.sensitive
    )
    assert seen.importable and seen.already_imported is None

    # The same counts and the same unreadable values as the import's own dry run.
    dry = import_list(cast["recorder_a"], "src-a", upload(ARABIC), dry_run=True)
    assert (dry.rows_read, dry.rows_read - dry.rows_rejected) == (seen.rows_read, seen.rows_valid)
    assert list(dry.unreadable) == list(seen.unreadable)


def test_a_mapping_adjusted_in_the_page_maps_the_unrecognised_column(sources, cast):
    actor = cast["recorder_a"]
    first = previews.preview_import(actor, upload(ARABIC), "src-a")
    choices = previews.mapping_choices(first)
    assert choices[HOOD] == previews.AUTOMATIC
    choices[HOOD] = "neighbourhood"
    text = previews.adjust_mapping("", choices, date_order="YMD")
    assert tomllib.loads(text) == {"columns": {HOOD: "neighbourhood"}, "dates": {"order": "YMD"}}
    again = previews.preview_import(actor, upload(ARABIC), "src-a", text)
    plan = {c.column: (c.fields, c.how) for c in again.columns}
    assert plan[HOOD] == (("neighbourhood",), "mapped")
    assert "neighbourhood" in again.fields
    assert {c.field: c.shown for c in again.rows[1].cells}["neighbourhood"] == "باب السباع"

    # Day first is the default: a mapping says so only when the order changes.
    assert "dates" not in tomllib.loads(previews.adjust_mapping("", choices, date_order="DMY"))
    assert text.startswith("[columns]\n")  # plain keys stay plain, as a person writes them
    # Ignoring it, then back to automatic; a column mapped to two fields in the text is kept.
    ignored = previews.adjust_mapping(text, {HOOD: previews.IGNORE})
    assert tomllib.loads(ignored)["ignore"] == [HOOD] and "columns" not in tomllib.loads(ignored)
    assert "ignore" not in tomllib.loads(previews.adjust_mapping(ignored, {HOOD: ""}))
    two = '[columns]\n"العمر" = ["age", "notes"]\n'
    kept = previews.adjust_mapping(two, {"العمر": previews.KEEP, HOOD: "notes"})
    assert parse_mapping(kept).columns == {"العمر": ("age", "notes"), HOOD: ("notes",)}


def test_the_mapping_is_refused_as_the_import_would_refuse_it(sources, cast):
    # A column that looks like a witness's contact may feed only the encrypted fields.
    with pytest.raises(InputRejected) as refused:
        previews.adjust_mapping("", {"هاتف المبلغ": "notes"})
    assert "witness" in str(refused.value)
    with pytest.raises(InputRejected):
        previews.adjust_mapping("", {"الاسم": "full_name", HOOD: "full_name"})
    with pytest.raises(InputRejected):
        previews.preview_import(cast["recorder_a"], upload(ARABIC), "src-a", "[columns\n")
    with pytest.raises(InvalidInput):
        previews.adjust_mapping("", {}, date_order="DDD")


def test_toml_written_by_the_page_reads_back_the_same(sources):
    data = {
        "description": 'a "quoted" list\tof names\x7f',
        "recognise_headers": False,
        "ignore": ["Photo", "صورة"],
        "columns": {"Sex": ["sex", "age_group"], "الاسم": "full_name"},
        "values": {"sex": {"Adult - Male": "male"}, "age": {"0": ""}},
        "defaults": {"outcome": "killed"},
    }
    text = previews.mapping_to_toml(data)
    assert tomllib.loads(text) == data
    parse_mapping(text)


def test_a_file_without_a_name_column_still_shows_its_columns_to_map(sources, cast):
    data = "المربع,العمر\nخليل,30\n".encode()
    seen = previews.preview_import(cast["recorder_a"], upload(data), "src-a")
    assert [c.column for c in seen.columns] == ["المربع", "العمر"]
    assert seen.problems and not seen.importable and seen.rows_read == 0
    mapped = previews.adjust_mapping("", {"المربع": "full_name"})
    fixed = previews.preview_import(cast["recorder_a"], upload(data), "src-a", mapped)
    assert fixed.importable and fixed.rows_valid == 1


def test_rejected_rows_are_listed_with_their_row(sources, cast):
    data = b"name,age\nAhmad Khalil,30\nHuda Ali,9,extra\n,\nOmar,40\n"
    seen = previews.preview_import(cast["admin"], upload(data), "src-a")
    assert (seen.rows_read, seen.rows_valid) == (3, 2)
    assert [p.row for p in seen.rejected] == [3]
    assert seen.rejected[0].expected


def test_xlsx_and_json_lists_are_previewed(sources, cast, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["الاسم", "الجنس", "تاريخ الوفاة"])
    sheet.append(["أحمد خليل", "ذكر", "7/2/2012"])
    sheet.append(["هدى علي", "أنثى", "بالأمس"])
    book.save(tmp_path / "list.xlsx")
    seen = previews.preview_import(cast["admin"], tmp_path / "list.xlsx", "src-a")
    assert seen.file_format == "xlsx" and seen.rows_valid == 2
    assert {c.field: c.shown for c in seen.rows[0].cells}["sex"] == "male"
    assert [(p.row, p.column) for p in seen.unreadable] == [(3, "تاريخ الوفاة")]

    rows = [{"name": "Ahmad Khalil", "age": "40s"}, {"name": "Huda Ali", "age": "very old"}]
    seen = previews.preview_import(
        cast["admin"], upload(json.dumps(rows).encode(), "list.json"), "src-a"
    )
    assert seen.file_format == "json" and seen.rows_valid == 2
    assert {c.field: c.shown for c in seen.rows[0].cells}["age"] == "40–49"
    assert [(p.row, p.column) for p in seen.unreadable] == [(2, "age")]


def test_the_same_bytes_say_which_batch_has_them_before_committing(sources, cast):
    report = import_list(cast["admin"], "src-b", upload(ARABIC, "first.csv"))
    seen = previews.preview_import(cast["recorder_a"], upload(ARABIC, "again.csv"), "src-a")
    earlier = seen.already_imported
    assert earlier is not None and earlier.id == report.batch_id
    assert (earlier.source, earlier.file_name) == ("src-b", "first.csv")
    assert not earlier.visible  # the recorder of src-a may not open a batch of src-b
    assert not seen.importable


def test_only_those_who_may_import_into_the_source_preview(sources, cast):
    for who, source in (("recorder_a", "src-b"), ("viewer", "src-a"), ("reviewer", "src-a")):
        with pytest.raises(PermissionDenied):
            previews.preview_import(cast[who], upload(ARABIC), source)
    with pytest.raises(PermissionDenied):  # creating a source is managing sources
        previews.preview_import(cast["recorder_a"], upload(ARABIC), "src-new")


def test_a_staged_upload_is_private_and_its_owners_alone(sources, cast):
    staged = previews.stage_upload(cast["recorder_a"], upload(ARABIC, "قائمة.csv"), "src-a")
    assert staged.path.read_bytes() == ARABIC and staged.path.name == "قائمة.csv"
    root = previews.staging_root()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(staged.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(staged.path.parent.parent.stat().st_mode) == 0o700
    with pytest.raises(NotFound):
        previews.staged_upload(cast["admin"], staged.token)  # another user's upload
    with pytest.raises(NotFound):
        previews.staged_upload(cast["recorder_a"], "../" + staged.token)
    seen = previews.preview_staged(cast["recorder_a"], staged.token)
    assert seen.file_name == "قائمة.csv" and seen.scan.result.rows_valid == 3
    for kept in staged.folder.glob("scan-*"):  # the scan's files are the owner's alone too
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert {p.suffix for p in staged.folder.glob("scan-*")} == {".json", ".csv"}

    previews.discard_staged(cast["recorder_a"], staged.token)
    assert not staged.path.exists()
    with pytest.raises(NotFound):
        previews.staged_upload(cast["recorder_a"], staged.token)


def test_an_upload_over_the_limit_is_refused_and_nothing_kept(sources, cast):
    before = set(previews.staging_root().iterdir())
    with pytest.raises(previews.UploadTooLarge) as refused:
        previews.stage_upload(cast["admin"], upload(ARABIC), "src-a", limit=100)
    assert "upload limit" in str(refused.value) and refused.value.field == "file"
    assert set(previews.staging_root().iterdir()) == before


def test_an_old_upload_is_removed(sources, cast):
    staged = previews.stage_upload(cast["admin"], upload(ARABIC), "src-a")
    later = staged.created + previews.KEEP_SECONDS + 1
    assert previews.remove_stale(now=later) >= 1
    assert not staged.path.exists()


def test_committing_runs_the_import_job_with_the_mapping(sources, cast):
    actor = cast["recorder_a"]
    staged = previews.stage_upload(actor, upload(ARABIC), "src-a")
    text = previews.adjust_mapping("", {HOOD: "neighbourhood"})
    previews.set_staged_mapping(actor, staged.token, text, "homs.toml")
    queued = previews.commit_staged(actor, staged.token)
    assert queued.kind == "import" and queued.params["mapping_text"] == text
    assert not staged.path.exists()  # the job keeps its own encrypted copy
    assert not Batch.objects.exists()

    jobs.run_job(Job.objects.get(pk=queued.id).pk)

    done = jobs.job_status(actor, queued.id)
    assert done.state == "done", done.error
    batch = Batch.objects.get(pk=done.result["batch_id"])
    assert (batch.mapping_name, batch.mapping_text) == ("homs.toml", text)
    assert batch.records_imported == 3 and batch.imported_by == actor.username
    hoods = {r.normalised["neighbourhood"] for r in Record.objects.filter(batch=batch)}
    assert hoods == {"الخالدية", "باب السباع"}
    # The same bytes again: the preview names the batch.
    again = previews.preview_import(actor, upload(ARABIC), "src-a")
    assert again.already_imported is not None and again.already_imported.id == batch.pk


def test_mappings_are_saved_and_offered_again(sources, cast):
    actor = cast["recorder_a"]
    text = previews.adjust_mapping("", {HOOD: "neighbourhood"})
    previews.save_mapping(actor, "src-a", "homs lists", text)
    path = previews.mappings_folder("src-a") / "homs lists.toml"
    assert path.read_text(encoding="utf-8") == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    offered = {m.key: m.text for m in previews.saved_mappings(actor, "src-a")}
    assert offered["saved:homs lists"] == text
    with pytest.raises(InvalidInput):
        previews.save_mapping(actor, "src-a", "../elsewhere", text)
    with pytest.raises(PermissionDenied):
        previews.save_mapping(actor, "src-b", "homs", text)
    # An earlier import's mapping is offered too.
    mapping = upload(b'[columns]\n"name" = "full_name"\n', "older.toml")
    import_list(cast["admin"], "src-a", upload(b"name\nAhmad\n"), mapping=mapping)
    labels = [m.label for m in previews.saved_mappings(actor, "src-a")]
    assert any(label.startswith("older.toml (import ") for label in labels)
    os.remove(path)


def test_a_real_list_is_previewed_as_its_dry_run_reads_it(sources, cast):
    real = shared_data_path("real", "gaza_moh", "moh_list_update1_asof_2024-01-05.csv")
    mapping = Path(__file__).parents[2] / "examples" / "mappings" / "gaza_moh_release1.toml"
    text = mapping.read_text(encoding="utf-8")
    get_or_create_source("gaza-moh", "setup")
    seen = previews.preview_import(cast["admin"], real, "gaza-moh", text)
    dry = import_list(cast["admin"], "gaza-moh", real, mapping=mapping, dry_run=True)
    assert seen.rows_read == dry.rows_read > 10_000
    assert seen.rows_valid == dry.rows_read - dry.rows_rejected
    assert len(seen.unreadable) == len(dry.unreadable)
    assert len(seen.rows) == previews.PREVIEW_ROWS
    assert {c.column: c.how for c in seen.columns} == dict.fromkeys(
        ["id", "name_ar_raw", "dob", "sex"], "mapped"
    )
    assert seen.fields[:1] == ("source_record_id",) and "full_name" in seen.fields


def test_a_kept_preview_follows_the_mapping_and_a_later_import_of_the_same_bytes(sources, cast):
    actor = cast["recorder_a"]
    staged = previews.stage_upload(actor, upload(ARABIC), "src-a")
    first = previews.preview_staged(actor, staged.token)
    key = previews.scan_key(staged)
    assert first.scan.key == key and (staged.folder / f"scan-{key}.json").is_file()
    assert first.already_imported is None and first.importable
    report = import_list(cast["admin"], "src-b", upload(ARABIC, "elsewhere.csv"))
    again = previews.preview_staged(actor, staged.token)
    assert again.already_imported is not None and again.already_imported.id == report.batch_id
    assert not again.importable and not again.scan.importable
    previews.set_staged_mapping(actor, staged.token, f'[columns]\n"{HOOD}" = "notes"\n')
    mapped = previews.preview_staged(actor, staged.token)
    assert {c.column: c.how for c in mapped.columns}[HOOD] == "mapped"
    assert mapped.scan.key != key
    assert previews.staged_upload(actor, staged.token).mapping_name == "list-mapping.toml"
    with pytest.raises(AlreadyImported):  # committing the same bytes is refused before queueing
        previews.commit_staged(actor, staged.token)
    assert not Job.objects.exists()


# --- the whole file read in the background -----------------------------------------------------


def many_rows(count: int) -> bytes:
    """A list of ``count`` rows after ARABIC's: each tenth with an age the import cannot read,
    the witness's name and contact in every row."""
    lines = [ARABIC.decode().rstrip("\n")]
    for n in range(count):
        age = "بالأمس" if n % 10 == 0 else str(20 + n % 50)
        lines.append(f"اسم {n},{age},2012-04-01,الخالدية,أبو خالد,0933111222")
    return ("\n".join(lines) + "\n").encode()


def test_a_large_upload_is_read_whole_by_the_worker_and_kept_for_its_mapping(sources, cast):
    actor = cast["recorder_a"]
    staged = previews.stage_upload(actor, upload(ARABIC), "src-a")
    # Over the threshold (lowered to nothing here): the start of the file at once, no counts.
    seen = previews.preview_staged(actor, staged.token, inline_bytes=0)
    assert [c.column for c in seen.columns][:2] == ["الاسم", "العمر"]
    assert len(seen.rows) == 3 and {c.field: c.shown for c in seen.rows[0].cells}["age"] == "30"
    assert seen.scan.state == "queued" and seen.scan.result is None and not seen.importable
    job = Job.objects.get()
    assert (job.kind, job.params["key"]) == ("preview", seen.scan.key)
    # Asked again before the worker ran: the same job, not a second one.
    assert previews.preview_staged(actor, staged.token, inline_bytes=0).scan.job_id == job.pk
    assert previews.scan_status(actor, staged.token, seen.scan.key, inline_bytes=0).active
    with pytest.raises(NotFound):  # no CSV before the scan has finished
        previews.scan_problems_csv(actor, staged.token, seen.scan.key)

    assert jobs.run_worker(once=True) == 1

    done = previews.scan_status(actor, staged.token, seen.scan.key, inline_bytes=0)
    assert done.state == "done" and done.importable, done
    result = done.result
    assert (result.rows_read, result.rows_valid, result.rows_rejected) == (3, 3, 0)
    assert [(p.row, p.column, p.value) for p in result.unreadable] == [
        (3, "تاريخ الوفاة", "2012-02-30"),
        (4, "العمر", "430"),
    ]
    # What the in-memory preview of the same bytes finds.
    whole = previews.preview_import(actor, upload(ARABIC), "src-a")
    assert list(whole.unreadable) == list(result.unreadable)
    assert jobs.job_status(actor, job.pk).result["unreadable"] == 2

    # Another mapping: another scan; the first one's result is not shown for it.
    text = previews.adjust_mapping("", {HOOD: "sex"})
    previews.set_staged_mapping(actor, staged.token, text)
    remapped = previews.preview_staged(actor, staged.token, inline_bytes=0)
    assert remapped.scan.key != seen.scan.key and remapped.scan.state == "queued"
    assert remapped.scan.result is None
    stale = previews.scan_status(actor, staged.token, seen.scan.key, inline_bytes=0)
    assert stale.state == "stale" and stale.result is None and not stale.importable
    with pytest.raises(NotFound):
        previews.scan_problems_csv(actor, staged.token, seen.scan.key)
    with pytest.raises(Conflict):  # an import button of the old page is refused
        previews.commit_staged(actor, staged.token, key=seen.scan.key)
    jobs.run_worker(once=True)
    new = previews.scan_status(actor, staged.token, remapped.scan.key, inline_bytes=0).result
    assert new.unreadable_count == 5  # the neighbourhoods are no sex
    # Back to the first mapping: its result is still kept, read again without a job.
    previews.set_staged_mapping(actor, staged.token, "")
    back = previews.preview_staged(actor, staged.token, inline_bytes=0)
    assert back.scan.key == seen.scan.key and back.scan.result == result
    assert Job.objects.filter(kind="preview").count() == 2


def test_a_scan_whose_mapping_changes_keeps_nothing_and_the_next_look_reads_again(sources, cast):
    actor = cast["recorder_a"]
    staged = previews.stage_upload(actor, upload(many_rows(2500)), "src-a")
    key = previews.preview_staged(actor, staged.token, inline_bytes=0).scan.key
    changes = []

    def meanwhile(done: int, total: int | None, message: str) -> None:
        # The recorder changes the mapping in the page while the worker reads.
        if not changes:
            changes.append(done)
            previews.set_staged_mapping(actor, staged.token, 'ignore = ["الحي السكني"]\n')

    assert previews.run_scan(actor, staged.token, key, meanwhile) == {
        "key": key,
        "superseded": True,
    }
    assert changes and not list(staged.folder.glob("scan-*.json"))
    assert not list(staged.folder.glob("scan-*.csv")) and not list(staged.folder.glob(".scan-*"))
    # The job queued for the first mapping ends without a result; it is never shown.
    jobs.run_worker(once=True)
    assert previews.scan_status(actor, staged.token, key).state == "stale"
    # Back to the first mapping: its job ended without a result, so it is read again.
    previews.set_staged_mapping(actor, staged.token, "")
    assert previews.scan_status(actor, staged.token, key, inline_bytes=0).state == "queued"
    jobs.run_worker(once=True)
    result = previews.scan_status(actor, staged.token, key, inline_bytes=0).result
    assert result.rows_read == 2503 and result.unreadable_count == 2 + 250


def test_every_problem_is_in_the_csv_and_no_witness_in_it(sources, cast):
    actor = cast["recorder_a"]
    data = many_rows(5000) + "بلا اسم,30,,,أم علي,0999888777,زائد\n".encode()
    staged = previews.stage_upload(actor, upload(data, "homs.csv"), "src-a")
    state = previews.preview_staged(actor, staged.token).scan  # small: read in the request
    assert state.state == "done" and state.job_id is None and not Job.objects.exists()
    result = state.result
    assert result.unreadable_count == 2 + 500 and result.rejected_count == 1
    assert len(result.unreadable) == previews.SCAN_LISTED  # the page lists the first ones
    path, name = previews.scan_problems_csv(actor, staged.token, state.key)
    assert name == "homs-problems.csv"
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(previews.PROBLEMS_HEADER)
    unreadable = [r for r in rows[1:] if r[2] == previews.PROBLEM_KINDS["unreadable"]]
    rejected = [r for r in rows[1:] if r[2] == previews.PROBLEM_KINDS["rejected"]]
    assert len(unreadable) == result.unreadable_count and len(rejected) == 1
    assert unreadable[0][:2] == ["3", "تاريخ الوفاة"] and unreadable[0][3] == "2012-02-30"
    assert ["5", "العمر", unreadable[2][2], "بالأمس"] == unreadable[2][:4] and unreadable[2][4]
    assert rejected[0][0] == str(2 + 5003) and rejected[0][4]
    for secret in ("أبو خالد", "0933111222", "أم علي", "0999888777", "0933444555"):
        assert secret not in text
    # Another user, or another mapping's key, gets no CSV.
    with pytest.raises(NotFound):
        previews.scan_problems_csv(cast["admin"], staged.token, state.key)
    with pytest.raises(NotFound):
        previews.scan_problems_csv(actor, staged.token, "0" * 32)


def test_a_worker_that_cannot_see_the_upload_says_so_and_a_dropped_upload_ends_quietly(
    sources, cast
):
    actor = cast["recorder_a"]
    staged = previews.stage_upload(actor, upload(ARABIC), "src-a")
    key = previews.preview_staged(actor, staged.token, inline_bytes=0).scan.key
    job = Job.objects.get(kind="preview")
    assert job.params["staged_on"] == previews.staged_on()
    # As if the web server that queued it were another machine: this worker cannot read it.
    Job.objects.filter(pk=job.pk).update(params={**job.params, "staged_on": "web-1:/tmp/x"})
    jobs.run_worker(once=True)
    failed = previews.scan_status(actor, staged.token, key, inline_bytes=0)
    assert failed.state == "failed" and "web-1:/tmp/x" in failed.error
    assert "beside `everyname serve`" in failed.error and not failed.importable
    # An upload dropped before its scan ran: the job ends without a result or an error.
    other = previews.stage_upload(actor, upload(ARABIC, "other.csv"), "src-a")
    other_key = previews.preview_staged(actor, other.token, inline_bytes=0).scan.key
    previews.discard_staged(actor, other.token)
    jobs.run_worker(once=True)
    [ended] = [j for j in Job.objects.filter(kind="preview") if j.params["token"] == other.token]
    assert (ended.state, ended.result) == ("done", {"key": other_key, "gone": True})
