"""A source file's records, parsed and encoded for the database, in worker processes.

Why other processes: parsing, normalising (name forms included) and JSON-encoding a row costs
more than inserting it, and both are pure Python holding the GIL. Workers that parse and encode
while the importing process inserts use both cores of a small machine; on the 2-core benchmark
machine this is what brings a million-row import past 20,000 rows/s (see
benchmarks/RESULTS.md). Small files are read in-process: starting workers would cost more than
it saves. Nothing here touches the database.
"""

from __future__ import annotations

import json
import json.encoder
import multiprocessing
import os
import queue as queue_module
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from everyname.core.errors import Problem
from everyname.core.ingest import SourceFile, open_source, record_plan
from everyname.core.mapping import Mapping
from everyname.core.schema import SENSITIVE_FIELDS, ParsedRecord
from everyname.store import crypto
from everyname.store.compact_json import (
    filter_columns,
    pack,
    pack_as_written,
    pack_parsed_normalised,
    pack_raw,
)

BATCH_ROWS = 2000
PARALLEL_FROM_BYTES = 4 << 20
QUEUE_BATCHES = 8

_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_writer() -> Callable[[Any], str]:
    """``_encode_json`` for the dicts and lists of a file's rows, with the C encoder made once
    instead of once per value (about a microsecond of each value's few): the same text, as
    ``JSONEncoder.encode`` makes it with that encoder, only without its check for a value
    containing itself, which a row read from a file cannot."""
    make = json.encoder.c_make_encoder
    if make is None:  # pragma: no cover - a Python built without its _json module
        return _encode_json
    defaults = json.JSONEncoder()
    chunks = make(
        None, defaults.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    return lambda value: "".join(chunks(value, 0))


_write_json = _json_writer()
_NONE = "[]"


@dataclass(frozen=True)
class Rejected:
    """A row that cannot be imported, as read, with what is wrong with it."""

    row_number: int
    raw: dict[str, str]
    problems: list[Problem]


@dataclass
class EncodedBatch:
    """Up to ``BATCH_ROWS`` rows: valid ones ready to insert, and the rejected ones."""

    rows: list[tuple] = field(default_factory=list)
    """(row_number, source_record_id, raw_json, as_written_json, normalised_json, name_key,
    death_from, death_to, secret, unreadable_json): see :func:`encode_record`"""
    rejected: list[Rejected] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    """The valid rows' unreadable values, each ``{"row": n, **flag}``, for the batch's list."""
    rows_read: int = 0
    bytes_read: int = 0
    total_bytes: int = 0


def record_columns(
    parsed: ParsedRecord,
) -> tuple[str, dict[str, str], dict[str, str], dict[str, Any], bytes | None, list[dict]]:
    """A valid record as the plain values of a database row: (source_record_id, raw,
    as_written, normalised, secret, unreadable). Reporter identity is only in ``secret``, as
    ciphertext (its flags carry no value for a witness's column: see ``UnreadableValue``).
    Typed entry stores what this returns; a file's import encodes it (``encode_record``)."""
    sensitive_columns = set(parsed.sensitive_columns)
    raw = {k: v for k, v in parsed.raw.items() if k not in sensitive_columns}
    as_written = {k: v for k, v in parsed.as_written.items() if k not in SENSITIVE_FIELDS}
    normalised = stored_normalised(parsed.normalised)
    secret_fields = {f: parsed.as_written[f] for f in SENSITIVE_FIELDS if parsed.as_written.get(f)}
    secret_raw = {k: v for k, v in parsed.raw.items() if k in sensitive_columns and v}
    return (
        stored_record_id(normalised),
        raw,
        as_written,
        normalised,
        seal_identity(secret_fields, secret_raw),
        [f.to_dict() for f in parsed.unreadable],
    )


def stored_record_id(normalised: dict[str, Any]) -> str:
    """The record's id in its source as ``Record.source_record_id`` holds it (cut to the
    column's 200 characters; empty when the source gave none)."""
    return str(normalised.get("source_record_id") or "")[:200]


def stored_normalised(normalised: dict[str, Any]) -> dict[str, Any]:
    """The normalised values as a record stores them: absent means unknown (leaving out empty
    values keeps a million records compact) and reporter identity is never among them."""
    return {k: v for k, v in normalised.items() if v is not None and k not in SENSITIVE_FIELDS}


def seal_identity(fields: dict[str, str], raw: dict[str, str]) -> bytes | None:
    """Reporter identity as a record keeps it: the canonical fields and the source's own
    cells, encrypted together (``secrets.reveal_identity`` is the one reader)."""
    if not fields and not raw:
        return None
    return crypto.encrypt_text(_encode_json({"fields": fields, "raw": raw}))


def open_identity(token: bytes | memoryview | None) -> dict[str, dict[str, str]]:
    """The inverse of :func:`seal_identity`, for a correction that changes the identity (it
    re-seals the record's identity with the new fields and the cells as imported)."""
    if not token:
        return {"fields": {}, "raw": {}}
    stored = json.loads(crypto.decrypt_text(bytes(token)))
    return {"fields": dict(stored.get("fields") or {}), "raw": dict(stored.get("raw") or {})}


def encode_record(parsed: ParsedRecord, plan: dict[str, Any]) -> tuple:
    """A valid record as the values of a database row, JSON encoded for ``executemany``, in
    the compact form ``store.compact_json`` reads back whole: the raw row as a list of cells
    (``plan`` is the ``core.ingest.record_plan`` of the file the record was read from),
    ``as_written`` null when the raw row gives it, ``normalised`` with codes and without what
    it rebuilds, and the values SQL filters by in their own columns. A file's import encodes
    with one :class:`RecordEncoder` for all its rows."""
    return RecordEncoder(plan).encode(parsed)


class RecordEncoder:
    """:func:`encode_record` for the rows of one file, with what depends only on its plan
    worked out once.

    Why: encoding was about 40 % of a parsing worker's time, the same walks of each record as
    typed entry's :func:`record_columns` and the ``compact_json.pack_*`` checks, each reading
    the dicts again. What this stores is exactly what those give (a test compares them byte for
    byte over the demo lists and generated rows); it only does less to get there:

    - ``as_written`` is not rebuilt from the raw row to check that it comes back: parsing made
      it from the same cells by the same rule (``core.ingest.written_fields``, the plan's
      columns, labels and defaults), and the raw row lacks only the reporter's columns. So it
      comes back whenever no column feeds both reporter identity and another field (then the
      raw row lacks a victim's value too); only such a file's rows are checked one by one;
    - ``normalised`` is packed in one pass (``compact_json.pack_parsed_normalised``);
    - JSON is written by the C encoder made once, not once per value.
    """

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        sensitive = set(SENSITIVE_FIELDS)
        self.as_written_derived = all(
            not sensitive.intersection(fields) or sensitive.issuperset(fields)
            for _column, fields in plan["columns"]
        )
        self._sensitive_columns: tuple[str, ...] = ()
        self._sensitive_set: frozenset[str] = frozenset()

    def encode(self, parsed: ParsedRecord) -> tuple:
        cells = parsed.raw
        sensitive_columns = parsed.sensitive_columns
        if sensitive_columns:
            if sensitive_columns is not self._sensitive_columns:
                self._sensitive_columns = sensitive_columns
                self._sensitive_set = frozenset(sensitive_columns)
            hidden = self._sensitive_set
            raw = {k: v for k, v in cells.items() if k not in hidden}
            secret_raw = {k: v for k, v in cells.items() if k in hidden and v}
        else:
            raw, secret_raw = cells, {}
        as_written = parsed.as_written
        secret_fields = {f: v for f in SENSITIVE_FIELDS if (v := as_written.get(f))}
        if self.as_written_derived:
            kept_json = None
        else:
            kept = pack_as_written(
                {k: v for k, v in as_written.items() if k not in SENSITIVE_FIELDS}, raw, self.plan
            )
            kept_json = None if kept is None else _write_json(pack(kept))
        normalised = parsed.normalised
        unreadable = parsed.unreadable
        return (
            parsed.row_number,
            stored_record_id(normalised),
            _write_json(pack_raw(raw, self.plan)),
            kept_json,
            _write_json(pack_parsed_normalised(normalised)),
            *filter_columns(normalised),
            seal_identity(secret_fields, secret_raw),
            _write_json([f.to_dict() for f in unreadable]) if unreadable else _NONE,
        )


def _batches(
    source_file: SourceFile, share: tuple[int, int] | None = None, size: int = BATCH_ROWS
) -> Iterator[EncodedBatch]:
    """Batches of ``size`` rows; with ``share=(k, n)`` only the k-th of every n."""
    encode = RecordEncoder(record_plan(source_file)).encode
    records = source_file.records(share=(*share, size) if share else None)
    batch = EncodedBatch()
    for parsed in records:
        batch.rows_read += 1
        if parsed.is_valid:
            batch.rows.append(encode(parsed))
            for flag in parsed.unreadable:
                batch.unreadable.append({"row": parsed.row_number, **flag.to_dict()})
        else:
            batch.rejected.append(Rejected(parsed.row_number, parsed.raw, parsed.problems))
        if batch.rows_read >= size:
            batch.bytes_read, batch.total_bytes = source_file.bytes_read, source_file.total_bytes
            yield batch
            batch = EncodedBatch()
    if batch.rows_read:
        batch.bytes_read, batch.total_bytes = source_file.bytes_read, source_file.total_bytes
        yield batch


def _exit_with_parent() -> None:
    """End this worker as soon as the importing process is gone, however it went.

    Why: after a kill -9 of an import, its workers stayed behind for ever (~120 MB each),
    blocked on a full queue nobody reads; ``daemon`` only helps when the parent exits cleanly.
    A thread waits on the parent's sentinel (a pipe whose other end closes when the parent
    dies, on every platform) and, as a fallback, notices being handed to another parent.
    Not ``PR_SET_PDEATHSIG``: it fires when the parent *thread* that started the worker ends,
    which in a web server or job worker may be long before the import is done.
    """
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - only ever started as a worker
        return
    parent_pid = os.getppid()

    def watch() -> None:
        while not wait([parent.sentinel], timeout=1.0) and os.getppid() == parent_pid:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="everyname-parent-watch", daemon=True).start()


def _worker(
    path: Path, mapping: Mapping | None, share: tuple[int, int], size: int, out: Any
) -> None:
    _exit_with_parent()
    try:
        with open_source(path, mapping) as source_file:
            for batch in _batches(source_file, share, size):
                out.put(("batch", batch))
        out.put(("done", None))
    except BaseException as exc:  # handed to the importing process, which raises it
        out.put(("error", exc))


def worker_count() -> int:
    """Two workers share the parsing; the importing process mostly waits on the database."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def encoded_batches(
    path: Path,
    mapping: Mapping | None,
    source_file: SourceFile,
    *,
    parallel: bool | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[EncodedBatch]:
    """The records of ``path`` in encoded batches, in file order, parsed by worker processes
    when worth it.

    ``source_file`` is the already opened file (its header checked); it is read directly when
    the work stays in this process. Errors raised while parsing (an undecodable byte deep in
    the file) are raised here, in the importing process. Each worker reads the whole file but
    normalises and encodes only its share of the batches; batches are taken from the workers
    in turn, so they arrive in file order.
    """
    if parallel is None:
        parallel = source_file.total_bytes >= PARALLEL_FROM_BYTES
    if not parallel:
        yield from _batches(source_file, size=batch_rows)
        return
    source_file.close()
    # "spawn", not "fork": the importing process may hold threads (DuckDB, numba, a web server's),
    # and a forked copy of a threaded process can crash; a fresh interpreter costs well under a
    # second, against the tens of seconds a large file takes.
    context = multiprocessing.get_context("spawn")
    n = worker_count()
    channels = [context.Queue(maxsize=QUEUE_BATCHES) for _ in range(n)]
    workers = [
        context.Process(
            target=_worker, args=(path, mapping, (k, n), batch_rows, channels[k]), daemon=True
        )
        for k in range(n)
    ]
    for worker in workers:
        worker.start()
    try:
        turn = 0
        while True:
            kind, payload = _receive(channels[turn % n], workers[turn % n], path)
            if kind == "done":
                break
            if kind == "error":
                raise payload
            yield payload
            turn += 1
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join(timeout=5)


def _receive(channel: Any, worker: Any, path: Path) -> tuple[str, Any]:
    while True:
        try:
            return channel.get(timeout=5)
        except queue_module.Empty:
            if not worker.is_alive():
                raise RuntimeError(
                    f"the process reading {path.name} stopped unexpectedly "
                    f"(exit code {worker.exitcode})"
                ) from None
