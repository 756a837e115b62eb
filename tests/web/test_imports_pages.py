"""``/imports/`` and ``/imports/<id>/`` on real imports: the demo's five lists and a small list of
a recorder's source with unreadable values, skipped rows and a reporter's name. The page says
what the store says; the skipped rows download is the store's CSV; the original file goes only
to the roles that may have it, byte for byte, and each download is in the audit log."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.utils.html import escape

from everyname.store.audit import Action
from everyname.store.imports import import_file, rejected_rows_csv
from everyname.store.models import AuditEvent, Batch
from everyname.store.sources import batch as read_batch

pytestmark = pytest.mark.django_db

WITNESS = "ZZWITNESS Abu Karim"
SMALL_LIST = (
    "name,age,date of death,Photo,reporter name,notes\n"
    f"Ahmad Khalil,30,2012-02-03,,{WITNESS},\n"
    "محمد عبد الرحمن الخالدي,430,2012-02-31,,,\n"  # an age and a date that cannot be read
    "Omar Saleh,30,2012-02-04,,,note,extra\n"  # a cell too many: skipped
    ",,,b.jpg,,\n"  # names nobody (text only in a column not used): skipped
    "هدى علي,9,2012-02-05,,,\n"
)


@pytest.fixture
def small_list(tmp_path, key_file):
    """The small list imported for source src-a (the test recorder's), rows it cannot use
    kept to download."""
    path = tmp_path / "src_a_list.csv"
    path.write_text(SMALL_LIST, encoding="utf-8")
    report = import_file(path, "src-a", actor="tester", skip_invalid=True)
    assert (report.records_imported, report.rows_rejected) == (3, 2)
    return path, report.batch_id


def test_a_batch_page_shows_what_the_store_says(client, sign_in, small_list, cast):
    path, batch_id = small_list
    sign_in(client, "recorder")
    page = client.get(f"/imports/{batch_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = read_batch(cast["admin"], batch_id)
    assert f'<bdi id="file-name">{path.name}</bdi>' in html
    assert f'id="sha256">{hashlib.sha256(path.read_bytes()).hexdigest()}<' in html
    assert f'id="rows-read">{shown.rows_read}<' in html and shown.rows_read == 5
    assert 'id="records">3<' in html and 'id="rejected">2<' in html
    # When, written as every page writes a moment (not the store's ISO text), exact for machines.
    at = Batch.objects.get(pk=batch_id).imported_at
    assert f'<time dir="ltr" datetime="{at.isoformat(timespec="seconds")}">' in html
    assert f">{at:%Y-%m-%d %H:%M}</time>" in html
    # Every unreadable value with its row, column, the text as written and what was expected.
    assert len(shown.unreadable) == 2
    table = html.split('id="unreadable"')[1].split("</table>")[0]
    for problem in shown.unreadable:
        assert f'<td class="num">{problem.row}</td>' in table
        assert f"<bdi>{escape(problem.column)}</bdi>" in table
        assert f"<bdi>{escape(problem.value)}</bdi>" in table
        assert escape(problem.expected) in table
    assert "<bdi>430</bdi>" in table and "<bdi>2012-02-31</bdi>" in table
    # The skipped rows, as the store's CSV has them, on the page and as a download.
    rows = html.split('id="rejected-rows"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 3  # the header and two rows
    # The row that names nobody keeps its cells; in the broken one any cell may have slipped
    # into the reporter's column, so none is shown.
    assert '<td class="num">4</td>' in rows and '<td class="num">5</td>' in rows
    assert "<bdi>b.jpg</bdi>" in rows and "Omar Saleh" not in rows
    assert f'href="/imports/{batch_id}/rejected.csv"' in html
    # The reporter named in the list is on no page.
    assert WITNESS not in html


def test_the_skipped_rows_download_is_the_stores_csv(client, sign_in, small_list, cast):
    _, batch_id = small_list
    sign_in(client, "recorder")
    response = client.get(f"/imports/{batch_id}/rejected.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="batch-{batch_id}-rejected-rows.csv"' in response["Content-Disposition"]
    assert response.content == rejected_rows_csv(cast["recorder_a"], batch_id)
    assert "b.jpg" in response.content.decode("utf-8-sig")


def test_a_reviewer_reads_a_batch_but_not_its_skipped_rows(client, sign_in, small_list):
    """Skipped rows are for those who import to the source (they fix and import them again)."""
    _, batch_id = small_list
    sign_in(client, "reviewer")
    page = client.get(f"/imports/{batch_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "rejected.csv" not in html and "Omar Saleh" not in html
    assert "2 rows were skipped." in html
    assert client.get(f"/imports/{batch_id}/rejected.csv").status_code == 403


def test_a_recorder_sees_only_their_sources_batches(client, sign_in, small_list, demo_imported):
    _, batch_id = small_list
    sign_in(client, "recorder")
    listing = client.get("/imports/")
    assert listing.status_code == 200
    links = re.findall(r'href="/imports/(\d+)/"', listing.content.decode())
    assert links == [str(batch_id)]
    other = Batch.objects.exclude(source__code="src-a").first()
    assert client.get(f"/imports/{other.pk}/").status_code == 404
    assert client.get(f"/imports/{other.pk}/rejected.csv").status_code == 403
    assert client.get("/imports/", {"source": other.source.code}).status_code == 403


def test_the_list_is_paged_newest_first_and_keeps_its_filter(
    client, sign_in, demo_imported, monkeypatch
):
    from everyname.web.views import imports

    monkeypatch.setattr(imports, "PAGE_SIZE", 2)
    sign_in(client, "analyst")
    newest_first = [
        str(pk) for pk in Batch.objects.order_by("-imported_at", "-id").values_list("pk", flat=True)
    ]
    assert len(newest_first) == 5
    seen = []
    for number in (1, 2, 3):
        html = client.get("/imports/", {"page": number}).content.decode()
        seen += re.findall(r'href="/imports/(\d+)/"', html)
        assert f"page {number} of 3" in html
    assert seen == newest_first
    html = client.get("/imports/", {"source": "lcc_homs"}).content.decode()
    assert re.findall(r'href="/imports/(\d+)/"', html) == [
        str(Batch.objects.get(source__code="lcc_homs").pk)
    ]
    first = client.get("/imports/").content.decode()
    assert 'href="?page=2"' in first and 'rel="prev"' not in first
    assert client.get("/imports/", {"page": "0"}).status_code == 400


def test_an_analyst_downloads_the_original_byte_for_byte_audited(client, sign_in, small_list):
    path, batch_id = small_list
    user = sign_in(client, "analyst")
    page = client.get(f"/imports/{batch_id}/").content.decode()
    assert f'action="/imports/{batch_id}/original/"' in page
    assert client.get(f"/imports/{batch_id}/original/").status_code == 405  # never a plain link
    response = client.post(f"/imports/{batch_id}/original/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == path.read_bytes()
    assert path.name in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=Action.ORIGINAL_DOWNLOADED)
    assert event.actor == user.username and event.object_id == str(batch_id)
    assert event.details["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_recorder_may_not_download_the_original(client, sign_in, small_list):
    _, batch_id = small_list
    sign_in(client, "recorder")
    page = client.get(f"/imports/{batch_id}/").content.decode()
    assert "/original/" not in page
    assert client.post(f"/imports/{batch_id}/original/").status_code == 403
    assert not AuditEvent.objects.filter(action=Action.ORIGINAL_DOWNLOADED).exists()


def test_an_arabic_file_name_is_offered_in_utf8(client, sign_in, tmp_path, key_file):
    path = tmp_path / "قائمة حمص.csv"
    path.write_text("الاسم,العمر\nأحمد خليل,30\n", encoding="utf-8")
    batch_id = import_file(path, "src-a", actor="tester").batch_id
    sign_in(client, "admin")
    response = client.post(f"/imports/{batch_id}/original/")
    disposition = response["Content-Disposition"]
    assert disposition.isascii()
    assert "filename*=UTF-8''%D9%82%D8%A7%D8%A6%D9%85%D8%A9%20" in disposition
    assert b"".join(response.streaming_content) == path.read_bytes()
    html = client.get(f"/imports/{batch_id}/").content.decode()
    assert f'<bdi id="file-name">{path.name}</bdi>' in html


def test_what_was_expected_is_said_in_arabic_on_an_arabic_page(client, sign_in, small_list, cast):
    """The store keeps the core's English; a page in Arabic says it from its figures."""
    _, batch_id = small_list
    sign_in(client, "recorder")
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    html = client.get(f"/imports/{batch_id}/").content.decode()
    table = html.split('id="unreadable"')[1].split("</table>")[0]
    for problem in read_batch(cast["admin"], batch_id).unreadable:
        assert escape(problem.expected) not in table
    assert table.count('<span data-said="expected">') == 2
    assert "عمر بين 0 و120 سنة" in table and "فيه 29 يومًا" in table
