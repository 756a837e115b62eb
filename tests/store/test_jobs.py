"""Background jobs: queued with the acting user, run by the worker as that user (checked again),
with progress and a result or an error kept; the same on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User

from everyname.core.errors import InvalidInput, NotFound, PermissionDenied
from everyname.store import jobs
from everyname.store.imports import import_list
from everyname.store.models import Batch, Job, JobFileChunk, Record, Source, UserRole
from everyname.store.permissions import Actor
from everyname.store.sources import get_or_create_source
from everyname.store.users import actor_for

pytestmark = pytest.mark.django_db

LIST = (
    b"name,age,date of death,reporter name\n"
    b"Ahmad Khalil,30,2012-02-07,Abu Khalid\n"
    b"Huda Ali,9,2012-02-05,Umm Ali\n"
    b"Omar Saleh,41,2012-02-30,\n"
)
BROKEN = b"name,age\nAhmad Khalil,30\nHuda Ali,9,extra\n"


def upload(data: bytes, name: str = "list.csv") -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.fixture
def sources(key_file):
    for code in ("src-a", "src-b"):
        get_or_create_source(code, "setup")


def recorder_user(name: str = "dina", source: str = "src-a") -> User:
    user = User.objects.create_user(name, password="not-used-here-1")
    role = UserRole.objects.create(user=user, role=UserRole.Role.RECORDER)
    role.sources.set(Source.objects.filter(code=source))
    return user


def test_an_import_job_runs_as_its_recorder_with_progress_and_result(sources):
    recorder = actor_for(recorder_user())
    queued = jobs.enqueue(recorder, "import", {"source": "src-a"}, file=upload(LIST))
    assert (queued.state, queued.kind, queued.user) == ("queued", "import", "dina")
    assert queued.params["file_name"] == "list.csv"
    assert not Batch.objects.exists()
    stored = b"".join(bytes(c.data) for c in JobFileChunk.objects.filter(job_id=queued.id))
    assert stored and b"Abu Khalid" not in stored  # the upload waits encrypted

    assert jobs.run_worker(once=True) == 1

    done = jobs.job_status(recorder, queued.id)
    assert done.state == "done" and done.error is None
    assert done.total and done.done == done.total and done.message == "bytes read"
    assert done.started_at is not None and done.finished_at is not None
    batch = Batch.objects.get()
    assert done.result["batch_id"] == batch.pk and done.result["records_imported"] == 3
    assert batch.imported_by == "dina" and batch.file_name == "list.csv"
    assert [(p["row"], p["column"]) for p in done.result["unreadable"]] == [(4, "date of death")]
    assert "Abu Khalid" not in repr(done.to_dict())
    assert not JobFileChunk.objects.exists()  # the job's copy goes once the batch has the file


def test_the_job_is_seen_running_with_its_progress(sources, cast, monkeypatch):
    seen = []

    def probe(actor, params, progress, file):
        progress(1, 4, "first of four")
        seen.append(jobs.job_status(actor, params["me"]))
        return {"ok": True}

    check = jobs.KINDS["link"].check
    monkeypatch.setitem(jobs.KINDS, "probe", jobs.JobKind("probe", check, probe))
    admin = cast["admin"]
    job = jobs.enqueue(admin, "probe", {})
    Job.objects.filter(pk=job.id).update(params={"me": job.id})
    jobs.run_worker(once=True)
    (running,) = seen
    assert (running.state, running.done, running.total, running.message) == (
        "running",
        1,
        4,
        "first of four",
    )
    final = jobs.job_status(admin, job.id)
    assert (final.state, final.result, final.done) == ("done", {"ok": True}, 4)


def test_a_failing_job_keeps_its_error_and_writes_nothing(sources, cast):
    job = jobs.enqueue(cast["recorder_a"], "import", {"source": "src-a"}, file=upload(BROKEN))
    jobs.run_worker(once=True)
    failed = jobs.job_status(cast["recorder_a"], job.id)
    assert failed.state == "failed" and failed.result is None
    assert failed.error.kind == "invalid" and failed.error.field == "skip_invalid"
    assert "list.csv, row 3" in failed.error.message
    assert not Batch.objects.exists() and not Record.objects.exists()


def test_an_unexpected_error_is_kept_without_its_message(sources, cast, monkeypatch):
    def crash(actor, params, progress, file):
        raise RuntimeError("could not store 'Abu Khalid'")

    check = jobs.KINDS["link"].check
    monkeypatch.setitem(jobs.KINDS, "crash", jobs.JobKind("crash", check, crash))
    job = jobs.enqueue(cast["admin"], "crash", {})
    jobs.run_worker(once=True)
    failed = jobs.job_status(cast["admin"], job.id)
    assert failed.state == "failed" and failed.error.kind == "internal"
    assert "RuntimeError" in failed.error.message and "Abu Khalid" not in failed.error.message


@pytest.mark.parametrize("change", ["disabled", "role", "sources"])
def test_a_user_who_lost_the_permission_before_the_job_ran_is_refused(sources, change):
    user = recorder_user()
    job = jobs.enqueue(actor_for(user), "import", {"source": "src-a"}, file=upload(LIST))
    if change == "disabled":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif change == "role":
        UserRole.objects.filter(user=user).update(role=UserRole.Role.VIEWER)
    else:
        user.everyname_role.sources.set(Source.objects.filter(code="src-b"))
    jobs.run_worker(once=True)
    failed = Job.objects.get(pk=job.id)
    assert failed.state == "failed" and failed.error["kind"] == "permission_denied"
    assert not Batch.objects.exists()
    assert not JobFileChunk.objects.exists()


ALLOWED = {
    "import": {"admin", "analyst", "recorder_a"},
    "link": {"admin", "analyst"},
    "estimate": {"admin", "analyst"},
    "report": {"admin", "analyst"},
    "release": {"admin", "analyst"},
}


@pytest.mark.parametrize("kind", sorted(ALLOWED))
def test_enqueue_checks_the_permission_of_the_use_case(sources, cast, kind):
    params = {"source": "src-a"} if kind == "import" else {"out": "somewhere"}
    for member, actor in cast.items():
        file = upload(LIST) if kind == "import" else None
        before = Job.objects.count()
        if member in ALLOWED[kind]:
            queued = jobs.enqueue(actor, kind, params, file=file)
            assert queued.state == "queued" and queued.user == actor.username
            assert Job.objects.count() == before + 1
        else:
            with pytest.raises(PermissionDenied):
                jobs.enqueue(actor, kind, params, file=file)
            assert Job.objects.count() == before


def test_a_recorder_cannot_create_a_source_by_importing(sources, cast):
    with pytest.raises(PermissionDenied) as refused:
        jobs.enqueue(cast["recorder_a"], "import", {"source": "new-one"}, file=upload(LIST))
    assert refused.value.field == "source"
    assert jobs.enqueue(cast["analyst"], "import", {"source": "new-one"}, file=upload(LIST))


def test_unknown_kinds_and_missing_files_are_invalid_input(sources, cast):
    with pytest.raises(InvalidInput) as unknown:
        jobs.enqueue(cast["admin"], "dance", {})
    assert unknown.value.field == "kind"
    with pytest.raises(InvalidInput) as no_file:
        jobs.enqueue(cast["admin"], "import", {"source": "src-a"})
    assert no_file.value.field == "file"
    assert not Job.objects.exists()


def test_a_job_is_its_owners_and_the_administrators(sources, cast):
    mine = jobs.enqueue(cast["recorder_a"], "import", {"source": "src-a"}, file=upload(LIST))
    theirs = jobs.enqueue(cast["analyst"], "link", {})
    assert [j.id for j in jobs.list_jobs(cast["recorder_a"])] == [mine.id]
    assert [j.id for j in jobs.list_jobs(cast["admin"])] == [theirs.id, mine.id]
    assert jobs.list_jobs(cast["viewer"]) == ()
    for member in ("recorder_b", "analyst", "viewer", "reviewer"):
        with pytest.raises(NotFound):
            jobs.job_status(cast[member], mine.id)
    assert jobs.job_status(cast["admin"], mine.id).id == mine.id


def test_the_foreground_run_is_the_same_work(sources, cast):
    """What the command line runs with its progress bars: the job's own function."""
    steps = []
    report = jobs.run_kind(
        cast["recorder_a"],
        "import",
        {"source": "src-a"},
        file=upload(LIST),
        progress=lambda done, total, message: steps.append((done, total, message)),
    )
    assert report.records_imported == 3 and steps[-1][0] == steps[-1][1]
    with pytest.raises(PermissionDenied):
        jobs.run_kind(cast["recorder_b"], "import", {"source": "src-a"}, file=upload(LIST))


def test_the_local_administrator_runs_jobs_while_no_user_exists(sources):
    local = Actor.local_admin("laptop")
    job = jobs.enqueue(local, "import", {"source": "src-b"}, file=upload(LIST))
    jobs.run_worker(once=True)
    assert jobs.job_status(local, job.id).state == "done"


def test_link_and_release_jobs_run_their_services(tmp_path, sources, cast):
    from everyname.store.models import LinkRun

    for code, rows in (
        ("src-a", "name,sex,age\nAhmad Khalil Haddad,m,34\nHuda Ali Sabbagh,f,9\n"),
        ("src-b", "name,sex,age\nAhmad Khaleel Haddad,m,34\nOmar Saleh Atassi,m,51\n"),
    ):
        import_list(cast["admin"], code, upload(rows.encode(), f"{code}.csv"))
    job = jobs.enqueue(cast["analyst"], "link", {})
    jobs.run_worker(once=True)
    done = jobs.job_status(cast["analyst"], job.id)
    assert done.state == "done", done.error
    run = LinkRun.objects.get()
    assert run.created_by == "bob" and done.result["link_run"] == run.pk
    assert done.result["records"] == 4 and done.total and done.done == done.total

    # a release of that run, queued by the analyst, written by the worker
    release = jobs.enqueue(cast["analyst"], "release", {"out": str(tmp_path / "public")})
    with pytest.raises(PermissionDenied):
        jobs.enqueue(cast["reviewer"], "release", {"out": str(tmp_path / "public")})
    jobs.run_worker(once=True)
    published = jobs.job_status(cast["analyst"], release.id)
    assert published.state == "done", published.error
    assert published.result["version"] == 1
    assert (tmp_path / "public" / "v1").is_dir()

    # an estimate and a report, through the services the command line calls
    fit = jobs.enqueue(cast["analyst"], "estimate", {"options": {"method": "chapman"}, "seed": 7})
    report = jobs.enqueue(cast["analyst"], "report", {"with_estimate": False})
    assert jobs.run_worker(once=True) == 2
    fitted = jobs.job_status(cast["analyst"], fit.id)
    assert fitted.state == "done", fitted.error
    assert fitted.result["seed"] == 7 and fitted.done == fitted.total == 1
    assert fitted.result["estimate_id"] and fitted.result["estimate"]["method"] == "chapman"
    built = jobs.job_status(cast["analyst"], report.id)
    assert built.state == "done", built.error
    assert built.result["format"] == "html" and len(built.result["sha256"]) == 64
    assert "content" not in built.result


def test_progress_inside_the_works_transaction_reaches_the_row(sources, cast):
    """On PostgreSQL progress written inside a transaction goes through a second connection;
    here the job's row is not committed yet (the test's transaction), so the second connection
    cannot see it and the work's own connection writes it: either way it is on the row."""
    from django.db import connection, transaction

    job = jobs.enqueue(cast["admin"], "link", {})
    writer = jobs._ProgressWriter(Job.objects.get(pk=job.id))
    try:
        with transaction.atomic():
            writer(3, 10, "scoring")
            assert Job.objects.values_list("progress_done", "progress_message").get(pk=job.id) == (
                3,
                "scoring",
            )
            writer(3, 10, "again")  # nothing new: not written again
            # the second connection was tried on PostgreSQL only
            assert (writer.side is not None) == (connection.vendor == "postgresql")
    finally:
        writer.close()
    assert Job.objects.get(pk=job.id).progress_message == "scoring"
