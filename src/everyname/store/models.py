"""The stored domain: sources, import batches with their original files, records, audit.

Records are never destructively edited: the as-written values and the raw row are kept as
read, and a correction is a new revision (``RecordRevision``) with an audit entry. Reporter and
witness identities exist here only as ciphertext (see ``crypto``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from everyname.store.compact_json import AsWrittenField, NormalisedJSONField, RawRowField


class SourceKind(models.TextChoices):
    LOCAL_COMMITTEE = "local_committee", "local coordination committee"
    FIELD_HOSPITAL = "field_hospital", "field hospital"
    FAMILY = "family", "family"
    NEIGHBOURHOOD_LIST = "neighbourhood_list", "neighbourhood list"
    NGO = "ngo", "NGO list"
    STATE_MEDIA = "state_media", "state media"
    MINISTRY = "ministry", "ministry or official register"
    OTHER = "other", "other"


class Source(models.Model):
    """Who a report came from. Its contact details are sensitive and stored encrypted."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=SourceKind.choices, default=SourceKind.OTHER)
    contact_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    copy_group = models.CharField(
        max_length=64,
        blank=True,
        help_text="Sources that copy one another share a group and count once as corroboration.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Batch(models.Model):
    """One import: the original file byte for byte (in encrypted chunks), its SHA-256, the mapping.

    Immutable once written. The same bytes cannot be imported twice (``sha256`` is unique).
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="batches")
    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField()
    file_format = models.CharField(max_length=16)
    encoding = models.CharField(max_length=32, blank=True)
    mapping_name = models.CharField(max_length=500, blank=True)
    mapping_text = models.TextField(blank=True)
    columns = models.JSONField(default=dict)
    imported_by = models.CharField(max_length=150)
    imported_at = models.DateTimeField(auto_now_add=True)
    rows_read = models.IntegerField(default=0)
    records_imported = models.IntegerField(default=0)
    rows_rejected = models.IntegerField(default=0)
    unreadable = models.JSONField(default=list)
    """Every value of the file that could not be read: {row, field, column, value, expected}."""
    original_compression = models.CharField(max_length=16, null=True, blank=True, editable=False)
    """How the original file is packed in its chunks: "zlib" (one zlib stream cut into chunks,
    each encrypted: a list compresses four- to fivefold); null for a batch imported before,
    whose chunks hold the file as is (null rather than a default: SQLite adds such a column
    without rebuilding the table)."""

    class Meta:
        ordering = ["imported_at", "id"]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.file_name})"


class BatchFileChunk(models.Model):
    """A piece of a batch's original file, encrypted: the file may name witnesses."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="chunks")
    index = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["batch", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="unique_chunk_per_batch")
        ]


class RejectedRow(models.Model):
    """A row an import skipped because nothing could be read from it, kept with its batch so the
    recorder can download the rows to fix (instead of a file written beside the input).

    ``cells`` is ``[[column, text], ...]`` in file order (a list, since PostgreSQL's jsonb does
    not keep key order); a cell whose text is ``None`` is withheld: it is, or may be, a
    reporter's or witness's identity, kept only as ciphertext in ``sensitive_encrypted``.
    ``reasons`` are ``{column, expected}`` (never a value).
    """

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="rejected_rows")
    row_number = models.IntegerField()
    cells = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    sensitive_encrypted = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "row_number"], name="unique_rejected_row_per_batch"
            )
        ]


class Record(models.Model):
    """One source's claim about one person, as written and as normalised.

    ``raw`` and ``as_written`` never hold reporter identity: those cells live, encrypted, in
    ``sensitive_encrypted``.
    """

    # No index of their own: (batch, row_number) and (source, source_record_id) below begin with
    # them and serve every lookup by batch or source; a third and fourth index per record cost
    # space (about a tenth of the list's size each) and insert time.
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, related_name="records", db_index=False
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="records", db_index=False
    )
    row_number = models.IntegerField()
    source_record_id = models.CharField(max_length=200, blank=True)
    # Each stored in a compact form and read back whole (store.compact_json): ``raw`` as the
    # list of its cells (the batch keeps the headers once, in ``columns["record_plan"]``);
    # ``as_written`` null when the raw row and that plan give it exactly; ``normalised`` with
    # short codes for the long field names and without what it rebuilds exactly (today's name
    # forms of its names, an exact age's bounds, a date's span). ``record.raw``,
    # ``record.as_written`` and ``record.normalised`` are the dicts as imported in any case.
    raw = RawRowField()
    as_written = AsWrittenField(null=True)
    normalised = NormalisedJSONField()
    # What SQL filters records by, in columns of their own (kept with ``normalised``): the
    # cross-script key of the whole name and the span of the date of death.
    name_key = models.TextField(null=True, blank=True, editable=False)
    death_from = models.DateField(null=True, blank=True, editable=False)
    death_to = models.DateField(null=True, blank=True, editable=False)
    sensitive_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    unreadable = models.JSONField(default=list)
    """Flags: this record's values that could not be read, kept as written in ``as_written`` and
    unknown in ``normalised`` ({field, column, value, expected}; no value for witness identity)."""
    corrected = models.JSONField(null=True, blank=True)
    """The current text of each field a revision changed (field → text, "" when cleared); None
    while the record is as imported. ``raw`` and ``as_written`` are never changed: they stay
    byte for byte as imported. ``normalised`` and ``unreadable`` hold the *current* values, so
    linkage and counts read one column whatever the history; what they held before a
    correction is kept in its :class:`RecordRevision`."""

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="unique_row_per_batch")
        ]
        indexes = [
            models.Index(fields=["source", "source_record_id"]),
            # The few records whose name has no key (a placeholder such as "مجهول الهوية"):
            # a search for such text reads these, not every record's name.
            models.Index(
                fields=["id"], condition=Q(name_key__isnull=True), name="record_without_name_key"
            ),
        ]

    def __str__(self) -> str:
        return f"record {self.pk} (batch {self.batch_id}, row {self.row_number})"


class RecordRevision(models.Model):
    """One correction of a record: who, when, why, and the values before and after.

    Never edited or deleted. ``*_before``/``*_after`` hold only what the correction changed: the
    fields as written, and the normalised keys whose value changed (name forms, age group and
    date spans follow their field). Reporter identity never appears here in the clear: the
    names of the identity fields changed are in ``sensitive_fields`` and their values, before
    and after, in ``sensitive_encrypted``.
    """

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="revisions")
    number = models.IntegerField(help_text="1 for a record's first correction, then 2, ...")
    reason = models.TextField()
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField(auto_now_add=True)
    as_written_before = models.JSONField(default=dict)
    as_written_after = models.JSONField(default=dict)
    normalised_before = models.JSONField(default=dict)
    normalised_after = models.JSONField(default=dict)
    unreadable = models.JSONField(default=list)
    """Flags for the values this correction wrote that cannot be read (kept as written)."""
    sensitive_fields = models.JSONField(default=list)
    sensitive_encrypted = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="unique_revision_number")
        ]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("A record revision is never changed: add a newer one instead.")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"revision {self.number} of record {self.record_id}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise AuditLogIsAppendOnly()

    def delete(self):  # type: ignore[override]
        raise AuditLogIsAppendOnly()


class AuditLogIsAppendOnly(RuntimeError):
    def __init__(self) -> None:
        super().__init__("The audit log is append-only: entries cannot be changed or deleted.")


class AuditEvent(models.Model):
    """An append-only entry for every write (and for every reading of a witness identity).

    Database triggers (see ``store.protection``) refuse UPDATE and DELETE on this table as well,
    so not even raw SQL through the application can rewrite history. Each event is chained to
    the one before (``seq``, ``previous_hash``, ``hash``: see ``audit``), so an entry forged,
    removed, reordered or back-dated with the triggers dropped shows in ``everyname audit
    verify``. ``at`` is set by ``audit.record_event`` under the chain's lock, never before the
    previous event's.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict)
    seq = models.BigIntegerField(null=True, unique=True, editable=False)
    """1 for the first event, then 2, ...: a gap is an event removed."""
    previous_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AuditLogIsAppendOnly()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditLogIsAppendOnly()


class LinkRun(models.Model):
    """One execution of linkage: its settings, trained model, versions and input fingerprint.

    Reproducible: the settings (with the seed), the trained Splink model and the fingerprint of
    the records it read are stored, so a published figure can be traced to the run behind it.
    The latest run defines the persons.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    backend = models.CharField(max_length=16)
    threshold = models.FloatField()
    settings = models.JSONField()
    model = models.JSONField()
    versions = models.JSONField()
    input_fingerprint = models.CharField(max_length=128)
    seed = models.BigIntegerField()
    counts = models.JSONField()
    id_changes = models.JSONField(default=list)
    timings = models.JSONField(default=dict)
    parameter_adjustments = models.JSONField(default=list)
    """How the trained parameters were made sane before scoring (core/link/parameters.py)."""

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"link run {self.pk}"


class Person(models.Model):
    """A victim as one link run resolved it: the best-supported values and visible conflicts.

    ``person_id`` is stable across runs: a person whose records did not change keeps it.
    """

    link_run = models.ForeignKey(LinkRun, on_delete=models.PROTECT, related_name="persons")
    person_id = models.CharField(max_length=64)
    n_records = models.IntegerField()
    sources = models.JSONField()
    resolved = models.JSONField()
    conflicts = models.JSONField(default=list)

    class Meta:
        ordering = ["link_run", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["link_run", "person_id"], name="unique_person_per_run")
        ]

    def __str__(self) -> str:
        return self.person_id


class Membership(models.Model):
    """Which person a record belongs to in a link run."""

    link_run = models.ForeignKey(LinkRun, on_delete=models.PROTECT, related_name="memberships")
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="memberships")
    person_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link_run", "record"], name="unique_record_per_run")
        ]
        indexes = [models.Index(fields=["link_run", "person_id"])]


class ReviewPair(models.Model):
    """A pair a link run could not settle, or kept apart by a rule: worth a reviewer's look."""

    class Kind(models.TextChoices):
        UNCERTAIN = "uncertain", "uncertain score"
        HELD_APART = "held_apart", "scored as a match but held apart"

    link_run = models.ForeignKey(LinkRun, on_delete=models.PROTECT, related_name="review_pairs")
    record_l = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    record_r = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    match_probability = models.FloatField()
    match_weight = models.FloatField(null=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    rule = models.CharField(max_length=64, blank=True)
    rank = models.IntegerField()

    class Meta:
        ordering = ["link_run", "rank"]


class MatchDecision(models.Model):
    """A reviewer's verdict on a pair of records; it overrides the model in every later run.

    Never edited or deleted: a reviewer who changes their mind adds a newer decision, and the
    latest decision on a pair is the one in force.
    """

    class Verdict(models.TextChoices):
        SAME = "same", "same person"
        DIFFERENT = "different", "different people"
        WITHDRAWN = "withdrawn", "the reviewer's previous decision on the pair withdrawn (undo)"

    record_l = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    record_r = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    link_run = models.ForeignKey(LinkRun, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(record_l__lt=models.F("record_r")),
                name="decision_pair_ordered",
            )
        ]


class Claim(models.Model):
    """An aggregate statement without names ("30 soldiers buried", SANA, 7 February 2012).

    Shown beside named counts for the same window and place, never added to them: it names
    nobody, so it cannot be deduplicated against the persons.
    """

    source = models.CharField(max_length=200)
    date = models.CharField(max_length=10, blank=True, help_text="ISO date, full or partial")
    place = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=64, blank=True)
    count = models.IntegerField()
    text = models.TextField(blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=500, blank=True)
    row_number = models.IntegerField(null=True)

    class Meta:
        ordering = ["date", "id"]


class UserPlace(models.Model):
    """One row of a user's gazetteer CSV: a new place, or spellings of a place already known.

    Never edited or deleted: counts use the bundled gazetteer with every row applied in import
    order (``everyname.core.places.Gazetteer.load(extra_batches=...)``), so a place row of a
    figure can be traced to the file and row that taught the gazetteer that spelling.
    """

    place_id = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=300, blank=True)
    name_en = models.CharField(max_length=300, blank=True)
    alternates = models.TextField(blank=True, help_text="|-separated, in either script")
    level = models.CharField(max_length=32, blank=True)
    parent_id = models.CharField(max_length=200, blank=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    file_name = models.CharField(max_length=500)
    row_number = models.IntegerField()
    batch = models.IntegerField(help_text="the import the row came with: 1, 2, ... in order")
    imported_by = models.CharField(max_length=150)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["batch", "row_number"]


class UserRole(models.Model):
    """A user's one role (see ``permissions.Role``) and, for a recorder, the assigned sources.

    Kept beside Django's auth user rather than in groups so that "one role each" is a rule of
    the schema, not a convention.
    """

    class Role(models.TextChoices):
        ADMIN = "admin"
        ANALYST = "analyst"
        REVIEWER = "reviewer"
        RECORDER = "recorder"
        VIEWER = "viewer"

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="everyname_role"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    sources = models.ManyToManyField(Source, blank=True, related_name="assigned_users")
    language = models.CharField(
        max_length=8,
        blank=True,
        default="",
        help_text="The user's page language ('en' or 'ar'); empty follows the browser.",
    )

    def __str__(self) -> str:
        return f"{self.user.username}: {self.role}"


class Job(models.Model):
    """Long work (an import, a link run, an estimate, a report, a release) queued for a worker.

    The queue itself is django-tasks' database backend (``task_id`` is its task's id); this row
    keeps what that library does not: who asked (the job runs as that user, checked again when
    it runs), the parameters as asked, progress, and a result or an error worded for a user.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict)
    username = models.CharField(max_length=150)
    user_id = models.IntegerField(null=True, help_text="None for the local administrator")
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(null=True)
    progress_message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(null=True)
    error = models.JSONField(null=True)
    """{kind, field, message}: an error a user can act on, or a neutral line for a failure."""
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.kind})"


class JobFileChunk(models.Model):
    """A piece of a file uploaded for a job (a list to import), encrypted like a batch's
    original, until the job has run: the worker may run on another machine than the upload."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="file_chunks")
    index = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="unique_chunk_per_job")
        ]


class DataVersion(models.Model):
    """A counter database triggers raise whenever a row that counts read is edited or deleted
    in place (persons, memberships, records, sources, decisions, claims, places).

    Normal use only adds rows, which the count cache sees from row counts; this catches the
    rest (a repair by hand, raw SQL), so a kept count input is never stale. One row."""

    version = models.BigIntegerField(default=0)


class CountFrame(models.Model):
    """One piece of a link run's count frames (``store.counting``): the run's persons with their
    places resolved, or its memberships, as Parquet bytes cut into pieces (a field holds at
    most a gigabyte on either database). Built once per run by the link run and read by every
    process instead of reading every person again.

    Derived data: left out of backups and built again when missing. ``stamp`` says what else
    they were built from (the gazetteer, the code); triggers delete them all when a row they
    were read from is edited or deleted in place (migration 0019)."""

    link_run = models.ForeignKey(LinkRun, on_delete=models.CASCADE, related_name="+")
    frame = models.CharField(max_length=16)
    """``persons`` or ``memberships``."""
    number = models.PositiveIntegerField()
    pieces = models.PositiveIntegerField()
    """How many pieces the frame has: a frame missing one is never read."""
    stamp = models.CharField(max_length=128)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["link_run", "frame", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["link_run", "frame", "number"], name="unique_count_frame_piece"
            )
        ]


class RunTermFrequencies(models.Model):
    """A link run's term frequencies (``store.entry``): how many records hold each value of
    each column its model adjusts for how common a value is, counted by the run from the
    records it linked, so that the first entry check after a run need not read every record
    again. ``stamp`` says what they were counted from (the records, the highest record id, the
    revisions and edits in place then); ``data`` is zlib-compressed JSON.

    Derived data: left out of backups; a check counts afresh when they are missing or stale."""

    link_run = models.OneToOneField(LinkRun, on_delete=models.CASCADE, related_name="+")
    stamp = models.JSONField()
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)


class KeyFingerprint(models.Model):
    """Which key this database's identities and files are encrypted with: an HMAC of a constant
    under the key (``crypto.fingerprint``), never the key. One row; a backup carries it like
    any other, so a restored database still refuses a different key."""

    fingerprint = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(default=timezone.now)


class StoredEstimate(models.Model):
    """An estimate as it was fitted: what it was fitted on, how, with which seed and library
    versions, and its result, so a page can show it without refitting and anyone can refit it.

    ``link_run`` is None for capture histories given as a file (``input_name``).
    """

    link_run = models.ForeignKey(LinkRun, on_delete=models.PROTECT, null=True, related_name="+")
    input_name = models.CharField(max_length=500, blank=True)
    filters = models.JSONField(default=dict)
    by = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=16, blank=True, help_text="as asked; blank: default")
    settings = models.JSONField(default=dict)
    seed = models.BigIntegerField()
    input_fingerprint = models.CharField(max_length=128)
    versions = models.JSONField(default=dict)
    result = models.JSONField()
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"estimate {self.pk}"


class StoredReport(models.Model):
    """A report as it was published: the file byte for byte with its SHA-256, the filters and
    settings it was built with (the estimates it shows are stored estimates), and versions."""

    link_run = models.ForeignKey(LinkRun, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(default=dict)
    format = models.CharField(max_length=8)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField()
    settings = models.JSONField(default=dict)
    versions = models.JSONField(default=dict)
    headline_en = models.TextField(blank=True)
    headline_ar = models.TextField(blank=True)
    estimates = models.ManyToManyField(StoredEstimate, blank=True, related_name="reports")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"report {self.pk}"
