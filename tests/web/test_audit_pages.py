"""``/audit/``: the audit log in the browser, filtered through the URL, paged, with the state of
its hash chain, and never a reporter's identity (the log holds none; the page adds none)."""

from __future__ import annotations

import csv

import pytest
from django.db import connection

from everyname.store import protection
from everyname.store.audit import Action, record_event
from everyname.store.models import AuditEvent

pytestmark = pytest.mark.django_db

REPORTER = "Umm Khaled Planted-Witness"
CONTACT = "+963 933 417 205"


@pytest.fixture
def logged():
    """A few events of different users, actions and objects."""
    for n in range(3):
        record_event(Action.SOURCE_CREATED, "alice", code=f"src-{n}")
    record_event(Action.BACKUP_WRITTEN, "bob", file="backup-1.tar")
    record_event(Action.USER_DISABLED, "alice", name="farah")


def rows(response) -> str:
    """The table body of the page (the filter form lists every action name itself)."""
    html = response.content.decode()
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""


def test_an_admin_reads_the_log_newest_first(client, sign_in, logged):
    sign_in(client, "admin")
    response = client.get("/audit/")
    assert response.status_code == 200
    body = rows(response)
    assert body.index("user.disabled") < body.index("backup.written") < body.index("src-0")
    assert "backup-1.tar" in body and "farah" in body
    assert body.count("source.created</code>") == 3


def test_filters_by_user_action_and_object_live_in_the_url(client, sign_in, logged):
    sign_in(client, "admin")
    by_bob = rows(client.get("/audit/?actor=bob"))
    assert "backup.written" in by_bob and "source.created" not in by_bob
    created = client.get("/audit/?action=source.created&actor=alice")
    assert rows(created).count("source.created</code>") == 3
    assert 'value="alice"' in created.content.decode()  # the form shows the query back
    assert 'value="source.created" selected' in created.content.decode()
    event = AuditEvent.objects.filter(action="source.created").order_by("id").first()
    record_event(Action.SOURCE_CREATED, "carol", event, code="again")
    by_object = rows(client.get(f"/audit/?object_type={type(event).__name__}&object_id={event.pk}"))
    assert "again" in by_object and "src-1" not in by_object
    nothing = client.get("/audit/?actor=nobody-at-all")
    assert "No event matches these filters." in nothing.content.decode()


def test_an_unknown_action_is_a_form_error_not_a_crash(client, sign_in, logged):
    sign_in(client, "admin")
    response = client.get("/audit/?action=user.exploded")
    assert response.status_code == 400
    assert "unknown audit action" in response.content.decode()


def test_the_log_is_paged_and_the_pages_keep_the_filters(client, sign_in):
    for n in range(60):
        record_event(Action.SOURCE_CREATED, "alice", code=f"many-{n:02d}")
    record_event(Action.BACKUP_WRITTEN, "alice", file="x")
    sign_in(client, "admin")
    first = client.get("/audit/?action=source.created")
    html = first.content.decode()
    assert rows(first).count("source.created</code>") == 50
    assert "many-59" in html and "many-09" not in html
    assert 'href="?action=source.created&amp;page=2"' in html
    second = client.get("/audit/?action=source.created&page=2")
    assert rows(second).count("source.created</code>") == 10
    assert "many-09" in rows(second) and "many-10" not in rows(second)
    assert client.get("/audit/?page=nonsense").status_code == 200  # the first page


def test_the_page_says_whether_the_chain_holds(client, sign_in, logged):
    sign_in(client, "admin")
    assert "hash chain holds." in client.get("/audit/").content.decode()
    protection.uninstall()  # as someone with the database file would, to rewrite the log
    victim = AuditEvent.objects.filter(action="backup.written").get()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE store_auditevent SET details = %s WHERE id = %s",
            ['{"file": "forged.tar"}', victim.pk],
        )
    html = client.get("/audit/").content.decode()
    assert "hash chain is broken" in html and f"entry {victim.pk}" in html
    assert "altered" in html
    assert "Triggers that protect the log are missing" in html


def test_no_identity_reaches_the_audit_page(client, sign_in, tmp_path, key_file, cast):
    """A list with a reporter is imported and the identity revealed (both audited): neither
    the name nor the number appears on any page of the log."""
    from everyname.store.imports import import_file
    from everyname.store.models import Record
    from everyname.store.secrets import reveal_identity

    path = tmp_path / "lcc.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["name", "sex", "date of death", "reporter name", "reporter phone"],
                ["Ahmad Khalil", "m", "2012-02-04", REPORTER, CONTACT],
            ]
        )
    import_file(path, "src-a", actor=cast["admin"])
    record = Record.objects.get()
    revealed = reveal_identity(cast["admin"], record.pk, reason="family asked")
    assert revealed.reporter_name == REPORTER  # the identity is really there to leak
    sign_in(client, "admin")
    html = client.get("/audit/").content.decode()
    assert "secret.read" in html and "batch.imported" in html
    for secret in (REPORTER, "Planted-Witness", CONTACT, "933 417"):
        assert secret not in html


def test_only_roles_that_view_the_audit_see_it_or_its_link(client, sign_in, logged):
    sign_in(client, "viewer")
    assert client.get("/audit/").status_code == 403
    assert 'href="/audit/"' not in client.get("/").content.decode()
    client.logout()
    sign_in(client, "admin")
    assert 'href="/audit/"' in client.get("/").content.decode()


def test_long_details_are_folded_but_all_there(client, sign_in):
    names = [f"migration_{n:04d}" for n in range(40)]
    record_event(Action.DATABASE_INITIALISED, "root", migrations=names)
    record_event(Action.SOURCE_CREATED, "alice", code="short")
    sign_in(client, "admin")
    body = rows(client.get("/audit/"))
    long_row = body.split("database.initialised", 1)[1].split("</tr>", 1)[0]
    assert "<details>" in long_row and "migration_0039" in long_row
    short_row = body.split("source.created", 1)[1].split("</tr>", 1)[0]
    assert "<details>" not in short_row and "short" in short_row
