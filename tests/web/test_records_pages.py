"""``/records/`` and ``/records/<id>/`` on the demo's five lists (Arabic and Latin names) and a
small list with a reporter: the search finds a name in either script and lists what the store
lists, the query stays in the URL, a recorder sees only their sources, a correction is a
revision with a reason, and a reporter's identity is in a page only after an audited reveal."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from everyname.store.audit import Action
from everyname.store.imports import import_file
from everyname.store.models import AuditEvent, Record, RecordRevision
from everyname.store.records import get_record, list_records

pytestmark = pytest.mark.django_db

WITNESS, CONTACT = "ZZWITNESS Abu Karim", "0999 444 555"


def listed(html: str) -> list[int]:
    """The record ids a result page links to, in order."""
    return [int(pk) for pk in re.findall(r'<td><a href="/records/(\d+)/">', html)]


def store_ids(actor, **filters) -> list[int]:
    return [r.id for r in list_records(actor, filters, page_size=500).items]


@pytest.fixture
def with_reporter(tmp_path, key_file):
    """A small list of source src-a (the test recorder's) whose first row names its reporter."""
    path = tmp_path / "src_a.csv"
    path.write_text(
        "name,age,sex,reporter name,reporter phone\n"
        f"Ahmad Khalil,30,male,{WITNESS},{CONTACT}\n"
        "هدى علي,9,أنثى,,\n",
        encoding="utf-8",
    )
    batch_id = import_file(path, "src-a", actor="tester").batch_id
    return list(Record.objects.filter(batch_id=batch_id).order_by("row_number"))


@pytest.mark.parametrize("typed", ["خديجة الحسن", "Khadija al-Hasan"])
def test_a_name_is_found_in_either_script(client, sign_in, demo_imported, cast, typed):
    sign_in(client, "analyst")
    page = client.get("/records/", {"name": typed})
    assert page.status_code == 200
    html = page.content.decode()
    found = listed(html)
    assert found == store_ids(cast["analyst"], name=typed)
    # Both scripts' spellings, whichever was typed; a name as written, in its own direction.
    assert "<bdi>خديجة محمد الحسن</bdi>" in html
    assert "<bdi>Khadija Mohammed al-Hasan</bdi>" in html
    assert "محمد ناصر عبد الرحمن الجندي" not in html
    assert {get_record(cast["analyst"], pk).source for pk in found} >= {"lcc_homs", "ngo_national"}
    # The query stays in the page's form (and so in a shared URL).
    assert f'name="name" value="{escape(typed)}"' in html


FILTERS = [
    {"status": "civilian", "sex": "female"},
    {"place": "Baba Amr"},
    {"place": "بابا عمرو", "age_group": "child"},
    {"since": "2012-02-04", "until": "2012-02-05", "source": "ngo_national"},
    {"name": "Mohammed al-Khalidi", "sex": "male"},
]


@pytest.mark.parametrize("query", FILTERS)
def test_every_filter_lists_what_the_store_lists(client, sign_in, demo_imported, cast, query):
    sign_in(client, "reviewer")
    html = client.get("/records/", query).content.decode()
    expected = store_ids(cast["reviewer"], **query)
    assert expected, f"the demo has records for {query}"
    assert listed(html) == expected[:50]
    for name, value in query.items():
        if name in ("status", "sex", "age_group"):
            assert f'<option value="{value}" selected>' in html
        else:
            assert f'name="{name}" value="{escape(value)}"' in html


def test_a_batch_filter_and_pages_keep_the_query(client, sign_in, demo_imported, cast):
    sign_in(client, "analyst")
    batch = Record.objects.filter(source__code="lcc_homs").values_list("batch_id", flat=True)[0]
    query = {"batch": str(batch), "sex": "male"}
    expected = store_ids(cast["analyst"], **query)
    assert len(expected) > 50
    first = client.get("/records/", query).content.decode()
    assert f'href="?batch={batch}&amp;sex=male&amp;page=2"' in first
    second = client.get("/records/", {**query, "page": "2"}).content.decode()
    assert listed(first) + listed(second) == expected[:100]
    assert f"{len(expected)} in all" in first


def test_a_search_that_cannot_run_says_why(client, sign_in, demo_imported):
    sign_in(client, "analyst")
    page = client.get("/records/", {"since": "2012-02-31"})
    assert page.status_code == 400
    assert "since must be a full date" in page.content.decode()
    assert (
        client.get("/records/", {"since": "2012-02-09", "until": "2012-02-03"}).status_code == 400
    )


def test_a_recorder_sees_only_their_sources_records(client, sign_in, demo_imported, with_reporter):
    sign_in(client, "recorder")
    html = client.get("/records/").content.decode()
    assert sorted(listed(html)) == sorted(r.pk for r in with_reporter)
    assert "Khadija" not in html and "خديجة" not in html
    # Searching every script finds nothing of another source, and asking for it is refused.
    assert listed(client.get("/records/", {"name": "Khadija al-Hasan"}).content.decode()) == []
    assert client.get("/records/", {"source": "lcc_homs"}).status_code == 403
    other = Record.objects.filter(source__code="lcc_homs").first()
    assert client.get(f"/records/{other.pk}/").status_code == 403
    assert client.get(f"/records/{with_reporter[1].pk}/").status_code == 200


def test_a_viewer_is_refused_records(client, sign_in, demo_imported):
    sign_in(client, "viewer")
    record = Record.objects.first()
    assert client.get("/records/").status_code == 403
    assert client.get(f"/records/{record.pk}/").status_code == 403
    assert client.get("/").content.decode().count('href="/records/"') == 0


def test_a_record_page_shows_its_values_and_the_row_as_imported(
    client, sign_in, demo_imported, cast
):
    sign_in(client, "reviewer")
    record = Record.objects.filter(source__code="lcc_homs").order_by("pk").first()
    detail = get_record(cast["reviewer"], record.pk)
    html = client.get(f"/records/{record.pk}/").content.decode()
    raw = html.split('id="raw"')[1].split("</table>")[0]
    for column, text in detail.raw.items():
        assert f"<bdi>{escape(column)}</bdi></th><td><bdi>{escape(text)}</bdi>" in raw
    values = html.split('id="values"')[1].split("</table>")[0]
    assert f"<bdi>{escape(detail.as_written['full_name'])}</bdi>" in values
    assert "<bdi>civilian</bdi>" in values  # مدني, read as a status
    assert "Never corrected" in html
    # A reviewer may not correct: no form.
    assert 'id="correct"' not in html and 'name="reason"' not in html


def test_a_correction_is_a_revision_with_its_reason(client, sign_in, demo_imported, cast):
    user = sign_in(client, "analyst")
    record = Record.objects.filter(source__code="lcc_homs").order_by("pk").first()
    before = get_record(cast["analyst"], record.pk)
    form = {k: v for k, v in before.as_written.items()}
    assert form["age"] == "32"
    response = client.post(
        f"/records/{record.pk}/",
        {**form, "age": "33", "revisions": "0", "reason": "The family gave the age as 33"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/records/{record.pk}/#revisions"
    after = get_record(cast["analyst"], record.pk)
    assert after.as_written["age"] == "33" and after.as_imported["age"] == "32"
    (revision,) = after.revisions
    assert revision.by == user.username and revision.reason == "The family gave the age as 33"
    assert revision.as_written_before == {"age": "32"}
    assert revision.as_written_after == {"age": "33"}
    html = client.get(f"/records/{record.pk}/").content.decode()
    history = html.split('id="revisions"')[1].split("</section>")[0]
    assert f'<bdi class="who">{user.username}</bdi>' in history
    assert "<bdi>The family gave the age as 33</bdi>" in history
    assert "<td><bdi>32</bdi></td>" in history and "<td><bdi>33</bdi></td>" in history
    assert '<tr data-field="age" class="corrected">' in html
    assert AuditEvent.objects.filter(action=Action.RECORD_CORRECTED, actor=user.username).exists()


def test_a_correction_without_a_reason_or_out_of_date_is_refused(
    client, sign_in, demo_imported, cast
):
    sign_in(client, "analyst")
    record = Record.objects.filter(source__code="ngo_national").order_by("pk").first()
    form = dict(get_record(cast["analyst"], record.pk).as_written)
    refused = client.post(f"/records/{record.pk}/", {**form, "age": "27", "revisions": "0"})
    assert refused.status_code == 400
    assert "a reason is required" in refused.content.decode()
    assert 'value="27"' in refused.content.decode()  # what was typed is kept
    stale = {**form, "age": "27", "revisions": "1", "reason": "checked"}
    assert client.post(f"/records/{record.pk}/", stale).status_code == 409
    same = {**form, "revisions": "0", "reason": "nothing"}
    assert client.post(f"/records/{record.pk}/", same).status_code == 400
    assert not RecordRevision.objects.filter(record=record).exists()


def test_a_recorder_corrects_their_sources_records_only(
    client, sign_in, demo_imported, with_reporter, cast
):
    sign_in(client, "recorder")
    own = with_reporter[1]
    page = client.get(f"/records/{own.pk}/").content.decode()
    assert 'id="correct"' in page
    form = dict(get_record(cast["admin"], own.pk).as_written)
    done = client.post(
        f"/records/{own.pk}/", {**form, "age": "10", "revisions": "0", "reason": "birth record"}
    )
    assert done.status_code == 302
    other = Record.objects.filter(source__code="lcc_homs").first()
    refused = client.post(f"/records/{other.pk}/", {"age": "1", "revisions": "0", "reason": "x"})
    assert refused.status_code == 403
    assert not RecordRevision.objects.filter(record=other).exists()


def test_a_reporter_is_shown_only_after_an_audited_reveal(client, sign_in, with_reporter):
    user = sign_in(client, "admin")
    record = with_reporter[0]
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert WITNESS not in page and CONTACT not in page
    assert f'action="/records/{record.pk}/reveal/#identity"' in page
    assert client.get(f"/records/{record.pk}/reveal/").status_code == 405
    no_reason = client.post(f"/records/{record.pk}/reveal/", {"reason": " "})
    assert no_reason.status_code == 400 and WITNESS not in no_reason.content.decode()
    assert not AuditEvent.objects.filter(action=Action.SECRET_READ).exists()
    shown = client.post(f"/records/{record.pk}/reveal/", {"reason": "call back about the date"})
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    html = shown.content.decode()
    assert f'<bdi id="reporter-name">{WITNESS}</bdi>' in html
    assert f'<bdi id="reporter-contact">{CONTACT}</bdi>' in html
    event = AuditEvent.objects.get(action=Action.SECRET_READ)
    assert event.actor == user.username and event.object_id == str(record.pk)
    assert event.details["reason"] == "call back about the date"
    # Nothing keeps it: the record page is as before.
    assert WITNESS not in client.get(f"/records/{record.pk}/").content.decode()


@pytest.mark.parametrize("role", ["recorder", "reviewer"])
def test_other_roles_never_see_or_reveal_a_reporter(client, sign_in, with_reporter, role):
    sign_in(client, role)
    record = with_reporter[0]
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert "A reporter&#x27;s identity is stored" in page or "identity is stored" in page
    assert "/reveal/" not in page and WITNESS not in page and CONTACT not in page
    refused = client.post(f"/records/{record.pk}/reveal/", {"reason": "curious"})
    assert refused.status_code == 403 and WITNESS not in refused.content.decode()
    assert not AuditEvent.objects.filter(action=Action.SECRET_READ).exists()
    listing = client.get("/records/").content.decode()
    assert WITNESS not in listing and CONTACT not in listing
