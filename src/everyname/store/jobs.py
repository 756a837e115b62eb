"""Background jobs: long work (a large import, a link run, an LCMCR estimate, a PDF report, a
release) queued by a web page or the API and run by ``everyname worker``.

A job is queued with its kind, its parameters and the acting user; the permission of its use
case is checked when it is queued (so a page can say no at once) and again when it runs, as
that user read afresh from the database (a role taken away or a user disabled in between stops
it with "permission denied"). Each kind runs the same store service the command line calls in
the foreground (:func:`run_kind`), so a job and a command cannot drift apart.

Why django-tasks with django-tasks-db: it is the backport of the task framework Django 6 ships
(``django.tasks``), so moving to Django 6 changes an import, not the design; its database
backend keeps the queue in the database everyname already has (SQLite on a laptop, PostgreSQL
on a team server: no broker to install or secure on an isolated network), and its worker claims
tasks with row locks (``SELECT ... FOR UPDATE SKIP LOCKED``, an exclusive transaction on
SQLite), so several workers can run. Celery, RQ and huey want a broker; django-q2 keeps its
own ORM queue but not on Django's standard interface. The library has no notion of progress,
of an acting user or of an error worded for a user, so a :class:`~everyname.store.models.Job`
row keyed by the library's task id keeps those.

Progress is written to the job's row as the work goes on, even while the work holds one
transaction (an import is all or nothing): see :class:`_ProgressWriter`.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import IO, Any

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django_tasks import task

from everyname.core.errors import (
    EverynameError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from everyname.core.provenance import json_safe
from everyname.store import crypto
from everyname.store.audit import Action, record_event
from everyname.store.models import Job, JobFileChunk
from everyname.store.permissions import Actor, Permission, require
from everyname.store.users import acting_user, actor_for

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20

Progress = Callable[[int, int | None, str], None]
"""``progress(done, total, message)``: how far a job has come (total None when unknown)."""


# --- kinds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    """One kind of job: the check of its use case's permission and the work itself."""

    name: str
    check: Callable[[Actor, dict[str, Any]], None]
    run: Callable[[Actor, dict[str, Any], Progress, IO[bytes] | None], Any]
    needs_file: bool = False


def _check_import(actor: Actor, params: dict[str, Any]) -> None:
    from everyname.store.imports import check_may_import
    from everyname.store.sources import check_code

    check_may_import(actor, check_code(str(params.get("source") or "")))
    if params.get("defaults"):
        from everyname.core.mapping import with_defaults

        # Refused before it is queued: a witness's name given as a default would otherwise wait
        # in the job's parameters, in the clear.
        with_defaults(None, dict(params["defaults"]))
    if params.get("mapping_text"):
        from everyname.core.mapping import parse_mapping

        # A page's mapping travels as TOML text (it holds no identity: parse_mapping refuses
        # value maps and defaults for the witness fields); refused before it is queued.
        parse_mapping(str(params["mapping_text"]), name=_mapping_name(params))


def _mapping_name(params: dict[str, Any]) -> str:
    return str(params.get("mapping_name") or "mapping.toml")


def _mapping_file(params: dict[str, Any]) -> IO[bytes] | None:
    """The mapping of an import job, as the uploaded file ``import_list`` takes."""
    if not params.get("mapping_text"):
        return None
    mapping = io.BytesIO(str(params["mapping_text"]).encode("utf-8"))
    mapping.name = _mapping_name(params)
    return mapping


def _run_import(
    actor: Actor, params: dict[str, Any], progress: Progress, file: IO[bytes] | None
) -> Any:
    from everyname.store.imports import import_list

    return import_list(
        actor,
        params["source"],
        file,
        mapping=_mapping_file(params),
        dry_run=bool(params.get("dry_run", False)),
        skip_invalid=bool(params.get("skip_invalid", False)),
        strict=bool(params.get("strict", False)),
        source_name=params.get("source_name"),
        source_kind=params.get("source_kind"),
        defaults=params.get("defaults") or None,
        progress=lambda done, total: progress(done, total, "bytes read"),
    )


def _check_preview(actor: Actor, params: dict[str, Any]) -> None:
    from everyname.store.imports import check_may_import
    from everyname.store.sources import check_code

    check_may_import(actor, check_code(str(params.get("source") or "")))


def _run_preview(
    actor: Actor, params: dict[str, Any], progress: Progress, file: IO[bytes] | None
) -> Any:
    """Reading a waiting upload whole for its preview page (store.previews.run_scan says why
    this is a job, and what it needs of the worker)."""
    from everyname.store.previews import run_scan

    return run_scan(
        actor,
        str(params.get("token") or ""),
        str(params.get("key") or ""),
        progress,
        where=params.get("staged_on"),
    )


def _run_link(
    actor: Actor, params: dict[str, Any], progress: Progress, file: IO[bytes] | None
) -> Any:
    from everyname.store.linking import run_link

    return run_link(
        actor,
        backend=params.get("backend", "duckdb"),
        threshold=params.get("threshold"),
        progress=lambda stage, step, steps: progress(step, steps, stage),
    )


def _filters(params: dict[str, Any]):  # type: ignore[no-untyped-def]
    from everyname.core.count import CountFilters

    given = dict(params.get("filters") or {})
    if "sources" in given:
        given["sources"] = tuple(given["sources"])
    try:
        return CountFilters(**given)
    except TypeError as error:
        raise InvalidInput(f"filters: {error}", field="filters") from None


def _run_estimate(
    actor: Actor, params: dict[str, Any], progress: Progress, file: IO[bytes] | None
) -> Any:
    from everyname.store.estimating import EstimateOptions, estimate

    try:
        options = EstimateOptions(**(params.get("options") or {}))
    except TypeError as error:
        raise InvalidInput(f"estimate options: {error}", field="options") from None
    progress(0, 1, "fitting")
    result = estimate(
        actor,
        filters=_filters(params),
        by=params.get("by"),
        seed=params.get("seed"),
        options=options,
    )
    progress(1, 1, "fitted and stored")
    # Where a page finds it again (estimating.list_estimates), and what it says.
    return {"estimate_id": result.stored_id, "seed": result.seed, "estimate": result.to_dict()}


def _run_report(
    actor: Actor, params: dict[str, Any], progress: Progress, file: IO[bytes] | None
) -> Any:
    from everyname.store.reporting import build_report

    progress(0, 1, "building")
    built = build_report(
        actor,
        _filters(params),
        params.get("format", "html"),
        with_estimate=bool(params.get("with_estimate", True)),
        seed=params.get("seed"),
    )
    progress(1, 1, "built and stored")
    # The file itself is kept with the stored report (reporting.get_report), not in the job.
    return {k: v for k, v in built.to_dict().items() if k != "content"}


def _run_release(
    actor: Actor, params: dict[str, Any], progress: Progress, file: IO[bytes] | None
) -> Any:
    from everyname.store.releases import publish_release

    progress(0, 1, "writing")
    out = params.get("out")
    if not out:
        raise InvalidInput("a release needs a folder to write into", field="out")
    manifest = publish_release(actor, out, params.get("withhold", "none"))
    progress(1, 1, "written")
    return manifest


def _requires(permission: Permission) -> Callable[[Actor, dict[str, Any]], None]:
    def check(actor: Actor, params: dict[str, Any]) -> None:
        require(actor, permission)

    return check


def _check_estimate(actor: Actor, params: dict[str, Any]) -> None:
    """The permission, then the settings and filters, so a page refuses them at once instead
    of queuing a job bound to fail."""
    from everyname.store.estimating import EstimateOptions

    require(actor, Permission.RUN_ANALYSIS)
    try:
        options = EstimateOptions(**(params.get("options") or {}))
    except TypeError as error:
        raise InvalidInput(f"estimate options: {error}", field="options") from None
    options.check()
    _filters(params)


def _check_report(actor: Actor, params: dict[str, Any]) -> None:
    from everyname.store.reporting import FORMATS

    require(actor, Permission.RUN_ANALYSIS)
    if params.get("format", "html") not in FORMATS:
        raise InvalidInput(
            f"report format: expected one of {', '.join(FORMATS)}, got {params.get('format')!r}",
            field="format",
        )
    _filters(params)


def _check_release(actor: Actor, params: dict[str, Any]) -> None:
    from everyname.core.release import WITHHOLD_CHOICES

    require(actor, Permission.PUBLISH_RELEASE)
    withhold = params.get("withhold", "none")
    if withhold not in WITHHOLD_CHOICES:
        raise InvalidInput(
            f"withhold {withhold!r}: expected one of {', '.join(WITHHOLD_CHOICES)}",
            field="withhold",
        )


KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind("import", _check_import, _run_import, needs_file=True),
        JobKind("preview", _check_preview, _run_preview),
        JobKind("link", _requires(Permission.LINK), _run_link),
        JobKind("estimate", _check_estimate, _run_estimate),
        JobKind("report", _check_report, _run_report),
        JobKind("release", _check_release, _run_release),
    )
}


def _kind(name: str) -> JobKind:
    if name not in KINDS:
        raise InvalidInput(f"job kind {name!r}: expected one of {', '.join(KINDS)}", field="kind")
    return KINDS[name]


def run_kind(
    actor: Actor,
    kind: str,
    params: dict[str, Any],
    *,
    file: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> Any:
    """Run a job's work now, in this process (the command line's foreground run), with the same
    checks a worker makes; returns the service's own result."""
    job_kind = _kind(kind)
    job_kind.check(actor, params)
    return job_kind.run(actor, params, progress or (lambda done, total, message: None), file)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobError:
    kind: str
    field: str | None
    message: str


@dataclass(frozen=True)
class JobStatus:
    id: int
    kind: str
    state: str
    user: str
    params: dict[str, Any]
    done: int
    total: int | None
    message: str
    result: Any
    error: JobError | None
    created_at: str
    started_at: str | None
    finished_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(moment: Any) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def _status(job: Job) -> JobStatus:
    return JobStatus(
        id=job.pk,
        kind=job.kind,
        state=job.state,
        user=job.username,
        params=dict(job.params),
        done=job.progress_done,
        total=job.progress_total,
        message=job.progress_message,
        result=job.result,
        error=JobError(**job.error) if job.error else None,
        created_at=_iso(job.created_at) or "",
        started_at=_iso(job.started_at),
        finished_at=_iso(job.finished_at),
    )


def _plain(result: Any) -> Any:
    """A service's result as JSON (its ``to_dict()`` where it has one)."""
    return json_safe(result, default=str)


# --- use cases --------------------------------------------------------------------------------


def enqueue(
    actor: Actor, kind: str, params: dict[str, Any], *, file: IO[bytes] | None = None
) -> JobStatus:
    """Queue a job for the worker. ``file`` (a binary file object with a name) is the list of
    an import: kept encrypted in the database until the job has run, since the worker may run
    on another machine."""
    job_kind = _kind(kind)
    job_kind.check(actor, params)
    if job_kind.needs_file and file is None:
        raise InvalidInput(f"a {kind} job needs a file", field="file")
    params = dict(params)
    try:
        params = json.loads(json.dumps(params))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"job parameters must be plain data: {error}", field="params") from None
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, params=params, username=actor.username, user_id=actor.user_id
        )
        if file is not None:
            from everyname.store.imports import upload_name

            job.params = {**params, "file_name": upload_name(file)}
            _store_file(job, file)
        result = run_job_task.enqueue(job.pk)
        job.task_id = str(result.id)
        job.save(update_fields=["task_id", "params"])
        record_event(Action.JOB_QUEUED, actor, job, kind=kind)
    return _status(job)


def _store_file(job: Job, file: IO[bytes]) -> None:
    from everyname.store.imports import rewind

    rewind(file)
    index = 0
    while chunk := file.read(CHUNK_BYTES):
        JobFileChunk.objects.create(job=job, index=index, data=crypto.encrypt(chunk))
        index += 1


def _visible_jobs(actor: Actor):  # type: ignore[no-untyped-def]
    """One's own jobs; an administrator sees everyone's. Parameters and results may name files
    and counts, never identities, but a job is still its owner's business."""
    if actor.can(Permission.MANAGE_USERS):
        return Job.objects.all()
    return Job.objects.filter(username=actor.username)


def job_status(actor: Actor, job_id: int) -> JobStatus:
    """State, progress, and the result or the error of one job."""
    job = _visible_jobs(actor).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"there is no job {job_id}", field="job")
    return _status(job)


def list_jobs(actor: Actor, *, limit: int = 100) -> tuple[JobStatus, ...]:
    """The newest jobs first."""
    return tuple(_status(j) for j in _visible_jobs(actor).order_by("-created_at", "-id")[:limit])


# --- running ----------------------------------------------------------------------------------


class JobFailed(Exception):
    """Raised to the task library after the job's row recorded why, so its own record says
    failed too; carries only the neutral message the row keeps."""


class _StoredFile(io.RawIOBase):
    """A job's uploaded file read back chunk by chunk (decrypted), with the name it came with."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.name = job.params.get("file_name") or "upload"
        self._chunks = job.file_chunks.order_by("index").iterator()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = crypto.decrypt(bytes(chunk.data))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _actor_of(job: Job) -> Actor:
    """The job's user as they are now (role and sources read afresh)."""
    if job.user_id is None:
        return acting_user(job.username)
    user = User.objects.filter(pk=job.user_id).first()
    if user is None:
        raise PermissionDenied(f"user {job.username!r} no longer exists", field="user")
    return actor_for(user)


class _ProgressWriter:
    """Writes a job's progress to its row, at most once per percent (a million-row import
    reports thousands of times).

    Work that runs in one transaction (an import is all or nothing) would hide its progress
    until it commits. On PostgreSQL the progress is then written through a second connection of
    its own, committed at once, so a page polling the job sees it move; the work's transaction
    never touches the job's row, so the two cannot wait on each other. SQLite allows one writer
    at a time, so there (and whenever the second connection cannot see the row, as when the
    job was queued in a transaction still open) the work's own connection writes it."""

    def __init__(self, job: Job) -> None:
        self.job_id = job.pk
        self.last = -1
        self.side: Any = None

    def __call__(self, done: int, total: int | None, message: str) -> None:
        step = max(1, (total or 0) // 100)
        if done != total and self.last >= 0 and done - self.last < step:
            return
        self.last = done
        values = {"progress_done": done, "progress_total": total, "progress_message": message[:300]}
        aside = connection.vendor == "postgresql" and connection.in_atomic_block
        if aside and self._write_aside(values):
            return
        Job.objects.filter(pk=self.job_id).update(**values)

    def _write_aside(self, values: dict[str, Any]) -> bool:
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        quote = self.side.ops.quote_name
        meta = Job._meta
        assignments = ", ".join(f"{quote(meta.get_field(f).column)} = %s" for f in values)
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
        with self.side.cursor() as cursor:
            cursor.execute(sql, [*values.values(), self.job_id])
            return cursor.rowcount == 1

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _error_of(exc: BaseException) -> dict[str, Any]:
    """What a user is told. An EverynameError is worded for them; any other exception's
    message is not kept, since it may quote the data it failed on (a witness's name), only its
    class: the worker's log has the traceback."""
    if isinstance(exc, EverynameError):
        return {"kind": str(exc.kind), "field": exc.field, "message": str(exc)}
    return {
        "kind": "internal",
        "field": None,
        "message": f"the job stopped on an unexpected error ({type(exc).__name__}); "
        "the worker's log has the details",
    }


def run_job(job_id: int) -> dict[str, Any] | None:
    """Run one queued job as its user; its row ends done (with the result) or failed (with the
    error). A job that is not queued (already run, or taken by another worker) is left alone."""
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = Job.objects.get(pk=job_id)
    progress = _ProgressWriter(job)
    try:
        actor = _actor_of(job)
        job_kind = _kind(job.kind)
        job_kind.check(actor, job.params)
        file = _StoredFile(job) if job_kind.needs_file else None
        result = _plain(job_kind.run(actor, job.params, progress, file))
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        error = _error_of(exc)
        _finish(job, Job.State.FAILED, error=error)
        raise JobFailed(error["message"]) from None
    finally:
        progress.close()
    _finish(job, Job.State.DONE, result=result)
    return result


def _finish(job: Job, state: str, *, result: Any = None, error: Any = None) -> None:
    job.refresh_from_db()
    job.state = state
    job.result = result
    job.error = error
    job.finished_at = timezone.now()
    if state == Job.State.DONE and job.progress_total is not None:
        job.progress_done = job.progress_total
    job.save(update_fields=["state", "result", "error", "finished_at", "progress_done"])
    # The uploaded list is in its batch now, or was refused: the job's copy is not kept.
    JobFileChunk.objects.filter(job=job).delete()


@task()
def run_job_task(job_id: int) -> dict[str, Any] | None:
    """What the task library queues: one job, by its row's id."""
    return run_job(job_id)


def run_worker(*, once: bool = False, max_jobs: int | None = None, interval: float = 1.0) -> int:
    """Run queued jobs until stopped (``once``: until none is left; ``max_jobs``: at most that
    many). Returns how many jobs it ran.

    The loop is django-tasks-db's worker's (claim the next ready task under a row lock, in an
    exclusive transaction on SQLite; run it with the library's ``run_task``), written out here
    for one difference: stale connections are closed between jobs only outside a transaction,
    so a caller already in one (a test, a management script) keeps its connection."""
    import time

    from django.db import OperationalError, close_old_connections
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    worker = Worker(
        queue_names=["default"],
        interval=interval,
        batch=once,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_jobs,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    if not once:
        worker.configure_signals()
    ran = 0
    while worker.running:
        if not connection.in_atomic_block:
            close_old_connections()
        ready = DBTaskResult.objects.ready().filter(backend_name="default", queue_name="default")
        claimed = None
        with exclusive_transaction(ready.db):
            try:
                claimed = ready.get_locked()
                if claimed is not None:
                    claimed.claim(worker.worker_id)
                looked = True
            except OperationalError as error:
                if not is_locked_database_exception(error):
                    raise
                looked = False  # another worker holds the queue: try again
        if claimed is not None:
            worker.run_task(claimed)
            ran += 1
            if max_jobs is not None and ran >= max_jobs:
                break
        elif once and looked:
            break
        else:
            time.sleep(interval)
    return ran
