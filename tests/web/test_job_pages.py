"""``/jobs/<id>/``: a job's state and progress, read again while it waits or runs (htmx polling
its status block; without scripts a reload in ``<noscript>``; no inline script either way), its
result linked once done and its error shown once failed; one's own jobs only."""

from __future__ import annotations

import re

import pytest

from everyname.store.jobs import enqueue, run_worker
from everyname.store.linking import run_link
from everyname.store.permissions import Actor
from everyname.store.users import actor_for

pytestmark = pytest.mark.django_db

REFRESH = '<noscript><meta http-equiv="refresh" content="2"></noscript>'
POLL = 'hx-trigger="every 2s"'


def inline_scripts(html: str) -> list[str]:
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)


@pytest.fixture
def linked(demo_imported):
    run_link(Actor.local_admin("tester"))
    return demo_imported


def test_a_job_page_reloads_while_queued_and_links_to_its_result_when_done(client, sign_in, linked):
    analyst = sign_in(client, "analyst")
    job = enqueue(
        actor_for(analyst),
        "estimate",
        {"options": {"method": "chapman", "lists": ["fh_babaamr", "lcc_homs"]}},
    )
    page = client.get(f"/jobs/{job.id}/")
    html = page.content.decode()
    assert page.status_code == 200 and REFRESH in html
    assert f'hx-get="/jobs/{job.id}/" {POLL}' in html
    assert 'data-state="queued"' in html and "everyname worker" in html
    assert not inline_scripts(html)

    # htmx asks for the status block alone.
    partial = client.get(f"/jobs/{job.id}/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div class="job-status"') and "<html" not in partial
    assert POLL in partial

    assert run_worker(once=True) == 1
    done = client.get(f"/jobs/{job.id}/").content.decode()
    assert REFRESH not in done and POLL not in done and 'data-state="done"' in done
    assert 'id="job-progress" min="0" max="100" value="100"' in done
    from everyname.store.jobs import job_status

    estimate_id = job_status(actor_for(analyst), job.id).result["estimate_id"]
    assert f'href="/estimates/{estimate_id}/" id="job-result"' in done
    listed = client.get("/jobs/").content.decode()
    assert f'href="/jobs/{job.id}/"' in listed and f'href="/estimates/{estimate_id}/"' in listed


def test_a_failed_job_says_why(client, sign_in, linked):
    analyst = sign_in(client, "analyst")
    job = enqueue(actor_for(analyst), "estimate", {"options": {"lists": ["no-such-list", "x"]}})
    run_worker(once=True)
    html = client.get(f"/jobs/{job.id}/").content.decode()
    assert 'data-state="failed"' in html and REFRESH not in html and POLL not in html
    assert 'id="job-error"' in html and "no list named" in html and "no-such-list" in html


def test_another_users_job_is_not_found_but_an_admin_sees_it(client, sign_in, make_user, linked):
    owner = make_user("analyst", name="owner-analyst")
    job = enqueue(actor_for(owner), "report", {"with_estimate": False})
    sign_in(client, "analyst")  # another analyst
    assert client.get(f"/jobs/{job.id}/").status_code == 404
    assert f"/jobs/{job.id}/" not in client.get("/jobs/").content.decode()
    client.logout()
    sign_in(client, "admin")
    page = client.get(f"/jobs/{job.id}/")
    assert page.status_code == 200 and "owner-analyst" in page.content.decode()
    client.logout()
    assert client.get(f"/jobs/{job.id}/").status_code == 302  # to sign in


def test_an_import_and_a_link_job_link_to_what_they_made(client, sign_in, key_file):
    import io

    from everyname.store.models import Batch
    from everyname.store.sources import get_or_create_source

    for code in ("src-a", "src-b"):
        get_or_create_source(code, "setup")
    analyst = actor_for(sign_in(client, "analyst"))
    jobs = []
    for code, rows in (
        ("src-a", "name,sex,age\nAhmad Khalil Haddad,m,34\nHuda Ali Sabbagh,f,9\n"),
        ("src-b", "name,sex,age\nAhmad Khaleel Haddad,m,34\nOmar Saleh Atassi,m,51\n"),
    ):
        upload = io.BytesIO(rows.encode())
        upload.name = f"{code}.csv"
        jobs.append(enqueue(analyst, "import", {"source": code}, file=upload))
    assert run_worker(once=True) == 2
    link = enqueue(analyst, "link", {})
    assert run_worker(once=True) == 1
    first = Batch.objects.get(source__code="src-a")
    imported = client.get(f"/jobs/{jobs[0].id}/").content.decode()
    assert f'href="/imports/{first.pk}/" id="job-result"' in imported
    linked = client.get(f"/jobs/{link.id}/").content.decode()
    assert 'data-state="done"' in linked and 'href="/" id="job-result"' in linked
