"""``/sources/`` on the demo's five lists and a recorder's own list: every source the store lets
the user see, with its record count, its imports and the latest of them."""

from __future__ import annotations

import re

import pytest

from everyname.store.imports import import_file
from everyname.store.models import Batch, Record
from everyname.store.sources import sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_lists_of_src_a(tmp_path, key_file):
    """Source src-a (the test recorder's) with two imports, an Arabic one and a Latin one."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("الاسم,العمر\nأحمد خليل,30\nهدى علي,9\n", encoding="utf-8")
    second.write_text("name,age\nOmar Saleh,41\n", encoding="utf-8")
    return [import_file(p, "src-a", actor="tester").batch_id for p in (first, second)]


def section(html: str, code: str) -> str:
    return html.split(f'id="source-{code}"')[1].split("</section>")[0]


def test_every_source_with_its_records_and_imports(client, sign_in, demo_imported, cast):
    sign_in(client, "analyst")
    page = client.get("/sources/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = sources(cast["analyst"])
    assert {s.code for s in shown} == {f.source_code for f in demo_imported.files}
    for source in shown:
        part = section(html, source.code)
        assert f'data-records="{source.code}">{source.records}<' in part
        assert source.records == Record.objects.filter(source__code=source.code).count()
        for batch in source.batches:
            assert f'href="/imports/{batch.id}/"' in part
            assert f"<bdi>{batch.file_name}</bdi>" in part
        assert f'href="/records/?source={source.code}"' in part
    assert "<bdi>Local Coordination Committee, Homs</bdi>" in html


def test_the_last_import_is_the_newest(client, sign_in, two_lists_of_src_a):
    sign_in(client, "recorder")
    part = section(client.get("/sources/").content.decode(), "src-a")
    newest = Batch.objects.get(pk=two_lists_of_src_a[1]).imported_at.isoformat(timespec="seconds")
    last = re.search(r"Last import</dt><dd>(.*?)</dd>", part).group(1)
    assert newest in last
    # Newest first in the table; both imports listed.
    links = re.findall(r'href="/imports/(\d+)/"', part)
    assert links == [str(pk) for pk in reversed(two_lists_of_src_a)]
    assert 'data-records="src-a">3<' in part


def test_a_recorder_sees_only_their_sources(client, sign_in, demo_imported, two_lists_of_src_a):
    sign_in(client, "recorder")
    html = client.get("/sources/").content.decode()
    assert re.findall(r'<section class="source" id="source-([^"]+)"', html) == ["src-a"]
    assert "lcc_homs" not in html and "Local Coordination Committee" not in html


def test_a_viewer_is_refused_and_an_empty_database_says_so(client, sign_in, db):
    sign_in(client, "viewer")
    assert client.get("/sources/").status_code == 403
    client.logout()
    sign_in(client, "reviewer")
    page = client.get("/sources/").content.decode()
    assert "No source yet" in page
