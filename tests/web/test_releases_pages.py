"""``/releases/``: the next public release published as a job from the page (into the server's
own releases folder), listed, and each file downloaded byte for byte with its SHA-256; a file
changed since it was published, or one the release does not name, is not served."""

from __future__ import annotations

import base64
import hashlib
import shutil

import pytest

from everyname.core.errors import Conflict, NotFound
from everyname.store.jobs import run_worker
from everyname.store.linking import run_link
from everyname.store.models import Job
from everyname.store.permissions import Actor
from everyname.store.releases import list_releases, release_file, releases_folder

pytestmark = pytest.mark.django_db
TESTER = Actor.local_admin("tester")


@pytest.fixture
def linked(demo_imported):
    run_link(TESTER)
    return demo_imported


@pytest.fixture
def folder(key_file):
    """The releases folder beside this test process's key file, empty for each test."""
    path = releases_folder()
    assert path.parent == key_file.parent
    shutil.rmtree(path, ignore_errors=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def publish(client, withhold: str = "children") -> Job:
    queued = client.post("/releases/", {"withhold": withhold})
    job = Job.objects.latest("id")
    assert queued.status_code == 302 and queued["Location"] == f"/jobs/{job.pk}/"
    assert run_worker(once=True) == 1
    job.refresh_from_db()
    assert job.state == "done", job.error
    return job


def test_an_analyst_publishes_and_a_viewer_downloads_each_file_with_its_checksum(
    client, sign_in, linked, folder
):
    analyst = sign_in(client, "analyst")
    job = publish(client)
    assert job.params == {"out": str(folder), "withhold": "children"}
    (release,) = list_releases(TESTER)
    assert release.version == 1 and release.withhold == "children"
    assert release.published_by == analyst.username and (folder / "v1").is_dir()

    client.logout()
    sign_in(client, "viewer")
    page = client.get("/releases/").content.decode()
    assert "Release v1" in page and "Withhold the names of children" in page
    assert "Publish the next release" not in page  # a viewer reads only
    assert str(folder) not in page  # no path on the server is shown
    assert set(release.files) >= {"persons.csv", "CHANGES.md", "manifest.json"}
    for name, digest in release.files.items():
        assert f'href="/releases/{release.id}/{name}"' in page
        assert f'<code class="hash">{digest}</code>' in page
        got = client.get(f"/releases/{release.id}/{name}")
        assert got.status_code == 200
        body = b"".join(got.streaming_content)
        assert body == (folder / "v1" / name).read_bytes()
        assert hashlib.sha256(body).hexdigest() == digest
        encoded = base64.b64encode(bytes.fromhex(digest)).decode()
        assert got["Repr-Digest"] == f"sha-256=:{encoded}:"
        assert f'filename="everyname-v1-{name}"' in got["Content-Disposition"]


def test_releases_are_listed_newest_first(client, sign_in, linked, folder):
    sign_in(client, "admin")
    publish(client, "none")
    publish(client, "all")
    page = client.get("/releases/").content.decode()
    assert page.index("Release v2") < page.index("Release v1")
    assert "Withhold every name" in page


def test_a_changed_or_unnamed_file_is_not_served(client, sign_in, linked, folder):
    sign_in(client, "analyst")
    publish(client)
    (release,) = list_releases(TESTER)
    assert client.get(f"/releases/{release.id}/SHA256SUMS").status_code == 404  # not named
    assert client.get(f"/releases/{release.id}/..%2F..%2Feveryname.key").status_code == 404
    assert client.get(f"/releases/{release.id + 1000}/persons.csv").status_code == 404
    (folder / "v1" / "persons.csv").write_bytes(b"person_id,full_name\nx,someone else\n")
    changed = client.get(f"/releases/{release.id}/persons.csv")
    assert changed.status_code == 409 and b"changed since it was published" in changed.content
    (folder / "v1" / "CHANGES.md").unlink()
    assert client.get(f"/releases/{release.id}/CHANGES.md").status_code == 404


def test_who_may_publish(client, sign_in, linked, folder):
    sign_in(client, "reviewer")
    page = client.get("/releases/").content.decode()
    assert "No release published yet." in page and 'name="withhold"' not in page
    assert client.post("/releases/", {"withhold": "none"}).status_code == 403
    client.logout()
    sign_in(client, "analyst")
    bad = client.post("/releases/", {"withhold": "adults"})
    assert bad.status_code == 400 and "adults" in bad.content.decode()
    assert not Job.objects.exists() and not folder.exists()


def test_release_file_checks_the_permission_and_the_name(linked, folder, cast):
    """The store function the download calls: a viewer reads the files the release names (every
    role may see releases), byte for byte, and nothing else; a changed file is refused."""
    from everyname.store.releases import publish_release

    publish_release(cast["analyst"], folder, "none")
    (release,) = list_releases(cast["viewer"])
    found = release_file(cast["viewer"], release.id, "persons.csv")
    with found.handle:
        assert found.handle.read() == (folder / "v1" / "persons.csv").read_bytes()
    assert found.sha256 == release.files["persons.csv"] and found.version == 1
    with pytest.raises(NotFound) as missing:
        release_file(cast["viewer"], release.id, "../../everyname.key")
    assert missing.value.field == "file"
    (folder / "v1" / "records.csv").write_text("tampered\n", encoding="utf-8")
    with pytest.raises(Conflict):
        release_file(cast["viewer"], release.id, "records.csv")
