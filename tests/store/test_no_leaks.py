"""Witness identities never leak, whatever way a list or a user hands them over.

Distinctive secrets (a Latin and an Arabic one in every planted cell, one pair per way in) go
through the installed ``everyname`` program as a user runs it: two reporter columns, a witness
column, a phone column, Arabic-headed contact columns, a contact key that only a later JSON object
has, a mapping's ``[defaults]``, ``--default`` on the command line, a mapping sending a reporter
column to notes or to a date, rows the import rejects, and an unreadable value beside a reporter.
Then the whole database (the SQLite file with its WAL and journal, or every table of PostgreSQL
as text with ``--db=postgres``), every file the commands wrote (rejects, exports, report, tables,
release) and everything every command printed are searched for each secret, in every form it
could be stored in (as typed, digits made ASCII, JSON-escaped, any case). The files that may
hold personal data must be owner-only.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from everyname.core.values import to_ascii_digits

pytestmark = pytest.mark.slow

EVERYNAME = Path(sys.executable).with_name("everyname")
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

CASES = (
    "reporter",  # the recognised reporter column
    "informant",  # a second reporter-like column
    "witness",  # a column named like a witness, beside a reporter column
    "phone",  # a phone column
    "arabic-contact",  # رقم الهاتف, beside a phone column
    "whatsapp",  # a header no table lists, but that looks like a contact
    "arabic-witness",  # الشاهد in an Arabic-headed list
    "arabic-mobile",  # الجوال in an Arabic-headed list
    "json-extra",  # a key only a later JSON object has
    "mapping-default",  # [defaults] reporter_name in a mapping
    "cli-default",  # --default reporter_contact=... on the command line
    "notes-mapping",  # a mapping sending a reporter column to notes
    "unreadable",  # a mapping sending a reporter column to a date, which cannot be read
    "rejected",  # a row with text only in identity columns, rejected and skipped
    "broken-row",  # a row with a cell too many, rejected and skipped
    "strict",  # an unreadable value beside a reporter, refused by --strict and a dry run
)


def secret(case: str) -> tuple[str, str]:
    """The Latin and the Arabic secret planted for one case, distinct from every other case's."""
    index = CASES.index(case)
    digits = "".join(ARABIC_DIGITS[int(d)] for d in f"{index:02d}")
    return f"ZZSECRET-Witness-Qx7-{case}", f"شاهدسري٧{digits}"


def cell(case: str) -> str:
    latin, arabic = secret(case)
    return f"{latin} {arabic}"


def forms(text: str) -> set[bytes]:
    """Every byte form a stored or printed copy of ``text`` could take (compared lower-cased)."""
    found = set()
    for variant in {text, to_ascii_digits(text)}:
        escaped = json.dumps(variant)[1:-1]
        for form in (variant, escaped, escaped.upper()):
            for encoding in ("utf-8", "utf-16-le"):
                found.add(form.encode(encoding).lower())
    return found


def leaks(haystack: bytes) -> set[str]:
    """The cases whose secret appears in ``haystack``."""
    lowered = haystack.lower()
    return {
        case
        for case in CASES
        for text in secret(case)
        if any(form in lowered for form in forms(text))
    }


# --- the lists ---------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def list_a(folder: Path, name: str = "a.csv", extra_row: bool = False) -> Path:
    header = ["name", "date of death", "age", "reporter", "informant", "witness", "phone",
              "رقم الهاتف", "Informant's WhatsApp"]  # fmt: skip
    identity = [cell(c) for c in ("reporter", "informant", "witness", "phone",
                                  "arabic-contact", "whatsapp")]  # fmt: skip
    rows = [
        header,
        ["Ahmad Khalil", "2012-02-04", "30", *identity],
        ["Huda Ali", "2012-02-30", "430", *identity],  # two values that cannot be read
        ["Omar Said", "2012-02-05", "41", *identity],
        # text only in withheld identity columns: nothing read, rejected, kept when skipped
        ["", "", "", "", cell("rejected"), cell("rejected"), "", cell("rejected"), ""],
        # a cell too many: any cell may have slipped out of its column
        ["Sami Nour", "2012-02-06", "22", cell("broken-row"), cell("broken-row"), "", "",
         "", "", cell("broken-row")],
    ]  # fmt: skip
    if extra_row:
        rows.append(["Rami Hasan", "2012-02-07", "5 decades", cell("strict"), "", "", "", "", ""])
    return write_csv(folder / name, rows)


def list_b(folder: Path) -> Path:
    return write_csv(
        folder / "b.csv",
        [
            ["الاسم", "تاريخ الوفاة", "الشاهد", "الجوال"],
            ["أحمد خليل", "2012-02-04", cell("arabic-witness"), cell("arabic-mobile")],
            ["هدى علي", "2012-02-05", cell("arabic-witness"), cell("arabic-mobile")],
        ],
    )


def list_c(folder: Path) -> Path:
    path = folder / "c.json"
    objects = [
        {"name": "Khaled Hamdan", "date of death": "2012-02-04"},
        {"name": "Lina Hamdan", "date of death": "2012-02-04", "witness phone": cell("json-extra")},
    ]
    path.write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    return path


def one_reporter_list(folder: Path, case: str) -> Path:
    return write_csv(
        folder / f"{case}.csv",
        [["name", "date of death", "reporter"], ["Yusuf Darwish", "2012-02-08", cell(case)]],
    )


def name_only_list(folder: Path, case: str) -> Path:
    """A list of its own per case, so that no earlier import of the same bytes hides it."""
    return write_csv(folder / f"{case}.csv", [["name"], [f"Nadia Haddad {case}"]])


def mapping(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- running the program -----------------------------------------------------------------------


class Session:
    """The program run in one folder against one database; everything printed is kept."""

    def __init__(self, folder: Path, database_url: str | None) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EVERYNAME_")}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        if database_url:
            self.env["EVERYNAME_DATABASE_URL"] = database_url
        self.printed: list[tuple[str, bytes]] = []

    def __call__(self, *args: object, expect: int | None = 0) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(EVERYNAME), *map(str, args)], cwd=self.folder, env=self.env,
            capture_output=True, timeout=600, umask=0o022,  # the usual umask, not the runner's
        )  # fmt: skip
        command = " ".join(map(str, args))
        self.printed.append((command, result.stdout + result.stderr))
        if expect is not None:
            assert result.returncode == expect, (
                f"everyname {command}: exit {result.returncode}\n"
                + (result.stdout + result.stderr).decode("utf-8", "replace")[-3000:]
            )
        return result


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite (a file in the session's folder); a fresh PostgreSQL database otherwise."""
    if request.config.getoption("--db") != "postgres":
        return None
    import psycopg

    cluster = request.getfixturevalue("postgres_cluster")
    name = f"leaks_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        host=cluster["HOST"], port=cluster["PORT"], user=cluster["USER"], dbname="postgres",
        autocommit=True,
    ) as connection:  # fmt: skip
        connection.execute(f'CREATE DATABASE "{name}"')
    host = cluster["HOST"].replace("/", "%2F")
    return f"postgresql://{cluster['USER']}@{host}:{cluster['PORT']}/{name}"


def database_bytes(folder: Path, database_url: str | None) -> bytes:
    """The SQLite file with its WAL, shared memory and journal; or every PostgreSQL table as
    text (bytea as hex, JSON as text)."""
    if database_url is None:
        return b"".join(
            p.read_bytes() for p in sorted(folder.glob("everyname.sqlite3*")) if p.is_file()
        )
    import psycopg

    out = []
    with psycopg.connect(database_url.replace("postgresql://", "postgresql://", 1)) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        for table in tables:
            for (text,) in connection.execute(f'SELECT t::text FROM "{table}" t'):
                out.append(text.encode("utf-8"))
    assert tables, "no tables found in the PostgreSQL database"
    return b"\n".join(out)


def owner_only(path: Path) -> bool:
    return not path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)


# --- the test ----------------------------------------------------------------------------------


def test_witness_identities_never_leak(tmp_path: Path, database_url: str | None) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    run = Session(folder, database_url)
    run("init")

    # Two reporter columns, a witness, a phone, an Arabic contact and a WhatsApp column; one
    # row with nothing but identities and one broken row, skipped; unreadable values.
    a = list_a(folder)
    run("import", a, "--source", "src-a", "--skip-invalid", "--default", "outcome=killed")
    rejects = folder / "a.rejects.csv"
    assert rejects.is_file(), "the skipped rows were not written to a rejects file"
    run("sources", "--batch", 1, "--rejects", folder / "rejects-again.csv")

    # An unreadable value beside the reporters: listed by a dry run, refused by --strict.
    a2 = list_a(folder, "a2.csv", extra_row=True)
    run("import", a2, "--source", "src-a", "--dry-run", "--skip-invalid")
    run("import", a2, "--source", "src-a", "--strict", "--skip-invalid", expect=1)

    # Arabic headers, and a JSON key only a later object has.
    run("import", list_b(folder), "--source", "src-b")
    run("import", list_c(folder), "--source", "src-c")

    # A mapping's default and a command line's default for a witness field.
    defaults_list = name_only_list(folder, "mapping-default")
    defaults = mapping(
        folder,
        "defaults.toml",
        '[columns]\n"name" = "full_name"\n[defaults]\n'
        f'reporter_name = "{cell("mapping-default")}"\n',
    )
    run("import", defaults_list, "--source", "src-d", "--mapping", defaults, expect=1)
    run("import", name_only_list(folder, "cli-default"), "--source", "src-d", "--default",
        f"reporter_contact={cell('cli-default')}", expect=1)  # fmt: skip

    # A mapping sending a reporter column to notes (alone, or as well), or to a date.
    notes_list = one_reporter_list(folder, "notes-mapping")
    for number, target in enumerate(('"notes"', '["reporter_name", "notes"]')):
        to_notes = mapping(
            folder,
            f"notes{number}.toml",
            f'[columns]\n"name" = "full_name"\n"reporter" = {target}\n',
        )
        run("import", notes_list, "--source", "src-e", "--mapping", to_notes, expect=1)
    date_list = one_reporter_list(folder, "unreadable")
    to_date = mapping(
        folder, "date.toml", '[columns]\n"name" = "full_name"\n"reporter" = "date_of_birth"\n'
    )
    run("import", date_list, "--source", "src-f", "--mapping", to_date, expect=1)
    # Refused by their mappings, the same lists go in as recognised: reporters encrypted.
    run("import", notes_list, "--source", "src-e")
    run("import", date_list, "--source", "src-f")

    # Everything downstream: sources, link, counts, report and its tables, exports, a release.
    run("sources")
    run("link")
    for fmt in ("csv", "json"):
        run("count", "--by", "place", "--format", fmt)
        run("export", "persons", "--format", fmt, "--out", folder / f"persons.{fmt}")
    run("report", "--out", folder / "report.html", "--tables", folder / "tables", "--no-estimate")
    run("export", "public", "--out", folder / "release")

    # --- where a secret must not be ---------------------------------------------------------
    found: dict[str, set[str]] = {}
    database = database_bytes(folder, database_url)
    # The search sees what was stored: the plain text of the lists is there, in the clear.
    assert b"Ahmad Khalil" in database and "هدى علي".encode() in database
    stored = leaks(database)
    if stored:
        found["the database"] = stored
    inputs = {a, a2, notes_list, date_list, folder / "b.csv", folder / "c.json"}
    inputs |= set(folder.glob("*.toml"))
    written = [p for p in folder.rglob("*") if p.is_file() and p not in inputs]
    for path in written:
        if path.name.startswith("everyname.sqlite3") and database_url is None:
            continue
        if hit := leaks(path.read_bytes()):
            found[str(path.relative_to(folder))] = hit
    for command, output in run.printed:
        if hit := leaks(output):
            found[f"the output of `everyname {command}`"] = hit
    assert not found, "witness identities in the clear:\n" + "\n".join(
        f"  {where}: {', '.join(sorted(cases))}" for where, cases in sorted(found.items())
    )

    # --- who may read what was written ------------------------------------------------------
    left = [p.name for p in folder.rglob("*") if p.suffix in (".partial", ".tmp")]
    assert not left, f"partial files left behind: {left}"
    private = [folder / "everyname.key", rejects, folder / "rejects-again.csv",
               folder / "persons.csv", folder / "persons.json", folder / "report.html",
               folder / "tables", folder / "release"]  # fmt: skip
    if database_url is None:
        private += list(folder.glob("everyname.sqlite3*"))
    readable = [str(p.relative_to(folder)) for p in private if not owner_only(p)]
    for folder_written in (folder / "tables", folder / "release"):
        readable += [
            str(p.relative_to(folder))
            for p in folder_written.rglob("*")
            if not owner_only(p) and not owner_only(p.parent)
        ]
    assert not readable, f"readable by other users: {readable}"


@pytest.mark.django_db
def test_withheld_columns_are_kept_encrypted_and_revealed_with_the_reporter(tmp_path, key_file):
    """Withholding loses nothing: the second reporter column, the witness, the Arabic contact
    and the WhatsApp column come back, with the reporter, when an identity is revealed."""
    from everyname.store.imports import import_file
    from everyname.store.models import Batch, Record, RejectedRow
    from everyname.store.permissions import Actor
    from everyname.store.secrets import reveal_identity

    report = import_file(list_a(tmp_path), "src-a", actor="tester", skip_invalid=True)
    assert report.records_imported == 3 and report.rows_rejected == 2
    assert set(report.columns_unused) == {"informant", "witness", "رقم الهاتف",
                                          "Informant's WhatsApp"}  # fmt: skip
    record = Record.objects.get(row_number=2)
    assert set(record.raw) == {"name", "date of death", "age"}
    revealed = reveal_identity(Actor.local_admin("tester"), record.pk, reason="test")
    assert revealed.reporter_name == cell("reporter")
    assert revealed.reporter_contact == cell("phone")
    assert revealed.columns == {
        "reporter": cell("reporter"), "informant": cell("informant"),
        "witness": cell("witness"), "phone": cell("phone"),
        "رقم الهاتف": cell("arabic-contact"), "Informant's WhatsApp": cell("whatsapp"),
    }  # fmt: skip
    rejected = RejectedRow.objects.get(row_number=5)
    assert dict(map(tuple, rejected.cells)) == {
        "name": "", "date of death": "", "age": "", "reporter": None, "informant": None,
        "witness": None, "phone": None, "رقم الهاتف": None, "Informant's WhatsApp": None,
    }  # fmt: skip
    assert rejected.sensitive_encrypted
    assert not leaks(json.dumps(list(Batch.objects.values()), default=str).encode())


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["reporter_name", "reporter_contact", "witness"])
def test_a_queued_import_with_a_witness_default_is_refused_before_it_waits(
    tmp_path, key_file, field
):
    """A job's parameters are stored in the clear until it runs: a witness's name given as a
    default is refused when the job is queued, not when it runs."""
    import io

    from everyname.core.errors import InputRejected
    from everyname.store import jobs
    from everyname.store.models import Job
    from everyname.store.permissions import Actor

    upload = io.BytesIO(b"name\nAhmad Khalil\n")
    upload.name = "list.csv"
    params = {"source": "src-a", "defaults": {field: cell("cli-default")}}
    with pytest.raises(InputRejected) as refused:
        jobs.enqueue(Actor.local_admin("tester"), "import", params, file=upload)
    assert not leaks(str(refused.value).encode()) and field in str(refused.value)
    assert not Job.objects.exists()
