"""Every page of the project, for every role, against a table of expected status codes.

The URL patterns are walked from Django's resolver, so a page added without a row here fails
(and a row for a page that no longer exists fails too). Users are real: each role a user with
its ``UserRole`` (the recorder assigned one source), those whose role requires two factors
with a confirmed TOTP device and a session verified with it.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

ROLES = ("admin", "analyst", "reviewer", "recorder", "viewer", "anonymous")
TO_LOGIN = "login"  # 302 to the sign-in page
REDIRECT = 302


def everyone(status: int | str, anonymous: int | str = TO_LOGIN) -> dict[str, int | str]:
    return {**dict.fromkeys(ROLES[:-1], status), "anonymous": anonymous}


#: route (as Django writes the pattern) → (the path requested with GET, status per role).
MATRIX: dict[str, tuple[str, dict[str, int | str]]] = {
    "": ("/", everyone(200)),
    "figures/": ("/figures/", everyone(200)),
    # analyst-pages: estimates and reports (VIEW_FIGURES) and releases (VIEW_RELEASES) are
    # everyone's to read; the matrix's database holds none, so one of them is a 404. Jobs are
    # one's own (any role); there is none.
    "estimates/": ("/estimates/", everyone(200)),
    "estimates/<int:estimate_id>/": ("/estimates/1/", everyone(404)),
    "reports/": ("/reports/", everyone(200)),
    "reports/<int:report_id>/download/": ("/reports/1/download/", everyone(404)),
    "releases/": ("/releases/", everyone(200)),
    "releases/<int:release_id>/<str:name>": ("/releases/1/persons.csv", everyone(404)),
    "jobs/": ("/jobs/", everyone(200)),
    "jobs/<int:job_id>/": ("/jobs/1/", everyone(404)),
    # records-pages: sources, imports and records need VIEW_RECORDS (not a viewer); the matrix's
    # database holds no batch or record, so their pages are 404 for those who may look.
    "sources/": ("/sources/", {**everyone(200), "viewer": 403}),
    "imports/": ("/imports/", {**everyone(200), "viewer": 403}),
    "imports/<int:batch_id>/": ("/imports/1/", {**everyone(404), "viewer": 403}),
    "imports/<int:batch_id>/rejected.csv": (
        "/imports/1/rejected.csv",
        {**everyone(404), "reviewer": 403, "viewer": 403},  # IMPORT
    ),
    # DOWNLOAD_ORIGINAL (admins, analysts), and a POST only: the download is audited.
    "imports/<int:batch_id>/original/": (
        "/imports/1/original/",
        {**everyone(403), "admin": 405, "analyst": 405},
    ),
    # uploads: IMPORT (admins, analysts, recorders for their sources); no upload is waiting and
    # no job exists, so those pages are 404 for the roles that may import; committing is a POST.
    "imports/new/": ("/imports/new/", {**everyone(200), "reviewer": 403, "viewer": 403}),
    "imports/new/<str:token>/": (
        "/imports/new/no-such-upload-token-0000000000/",
        {**everyone(404), "reviewer": 403, "viewer": 403},
    ),
    "imports/new/<str:token>/mapping.toml": (
        "/imports/new/no-such-upload-token-0000000000/mapping.toml",
        {**everyone(404), "reviewer": 403, "viewer": 403},
    ),
    # The preview's scan block and its problems' CSV (store.previews): no upload is waiting.
    "imports/new/<str:token>/scan/": (
        "/imports/new/no-such-upload-token-0000000000/scan/",
        {**everyone(404), "reviewer": 403, "viewer": 403},
    ),
    "imports/new/<str:token>/problems.csv": (
        "/imports/new/no-such-upload-token-0000000000/problems.csv",
        {**everyone(404), "reviewer": 403, "viewer": 403},
    ),
    "imports/new/<str:token>/commit/": (
        "/imports/new/no-such-upload-token-0000000000/commit/",
        {**everyone(405), "reviewer": 403, "viewer": 403},
    ),
    "imports/jobs/<int:job_id>/": (
        "/imports/jobs/1/",
        {**everyone(404), "reviewer": 403, "viewer": 403},
    ),
    "records/": ("/records/", {**everyone(200), "viewer": 403}),
    # entry: ENTER_RECORD (admins, analysts, recorders for their sources); the form is a GET.
    "records/new/": ("/records/new/", {**everyone(200), "reviewer": 403, "viewer": 403}),
    "records/<int:record_id>/": ("/records/1/", {**everyone(404), "viewer": 403}),
    # REVEAL_IDENTITY (admins, analysts), a POST with a reason only.
    "records/<int:record_id>/reveal/": (
        "/records/1/reveal/",
        {**everyone(403), "admin": 405, "analyst": 405},
    ),
    # review-pages: persons need VIEW_RECORDS (not a viewer); the matrix's database has no link
    # run, so the list says so (200) and a person is a 404. The queue needs REVIEW.
    "persons/": ("/persons/", {**everyone(200), "viewer": 403}),
    "persons/<str:person_id>/": ("/persons/P0/", {**everyone(404), "viewer": 403}),
    "review/": ("/review/", {**everyone(403), "admin": 200, "analyst": 200, "reviewer": 200}),
    # Starting a link run from the queue: LINK (admins, analysts), a POST only.
    "review/link/": ("/review/link/", {**everyone(403), "admin": 405, "analyst": 405}),
    # Signed in already: the sign-in page sends you on.
    "accounts/login/": ("/accounts/login/", everyone(REDIRECT, anonymous=200)),
    # Signing out is a POST; a GET (a link, an image elsewhere) is refused for everyone.
    "accounts/logout/": ("/accounts/logout/", everyone(405, anonymous=405)),
    "accounts/two-factor/": ("/accounts/two-factor/", everyone(200)),
    # Verified already: sent on to where they were going.
    "accounts/two-factor/verify/": ("/accounts/two-factor/verify/", everyone(REDIRECT)),
    # admin-pages: one's own password, the audit log (VIEW_AUDIT: admins and analysts) and user
    # administration (MANAGE_USERS: admins). "admin-user" is the admin the matrix signs in.
    "accounts/password/": ("/accounts/password/", everyone(200)),
    # One's own API tokens (everyname.web.views.tokens).
    "accounts/tokens/": ("/accounts/tokens/", everyone(200)),
    "audit/": ("/audit/", {**everyone(403), "admin": 200, "analyst": 200}),
    "users/": ("/users/", {**everyone(403), "admin": 200}),
    "users/<str:name>/": ("/users/admin-user/", {**everyone(403), "admin": 200}),
    # Changing a role is a POST form only.
    "users/<str:name>/role/": ("/users/admin-user/role/", everyone(405, anonymous=405)),
    # GET asks for confirmation; the POST does it.
    "users/<str:name>/disable/": ("/users/admin-user/disable/", {**everyone(403), "admin": 200}),
    "users/<str:name>/second-factor/reset/": (
        "/users/admin-user/second-factor/reset/",
        {**everyone(403), "admin": 200},
    ),
    # The language switch is a POST form; a GET changes nothing and sends you back.
    "i18n/setlang/": ("/i18n/setlang/", everyone(REDIRECT, anonymous=REDIRECT)),
}


def routes(patterns=None, prefix: str = "") -> list[tuple[str, object]]:
    """Every URL pattern of the project as (route, view), included ones flattened."""
    found = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("api/"):
            continue  # the JSON API has its own table: tests/api/test_api_role_matrix.py
        if isinstance(pattern, URLResolver):
            found.extend(routes(pattern.url_patterns, route))
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.callback))
    return found


def test_every_page_has_a_row_and_every_row_a_page():
    project = {route for route, _ in routes()}
    missing = sorted(project - set(MATRIX))
    assert not missing, f"pages without a row in the role matrix: {missing}"
    stale = sorted(set(MATRIX) - project)
    assert not stale, f"rows for pages that do not exist: {stale}"
    for route, (path, _) in MATRIX.items():
        assert str(resolve(path).route) == route, f"{path} is not the page of {route!r}"


def test_every_view_asks_the_permission_module_or_is_marked_public():
    unchecked = [route for route, view in routes() if not getattr(view, "everyname_checked", False)]
    assert not unchecked, f"views neither @requires(...) nor @public: {unchecked}"


@pytest.mark.parametrize("role", ROLES)
def test_the_role_matrix(client, sign_in, db, role):
    if role != "anonymous":
        sign_in(client, role)
    wrong = []
    for path, expected in MATRIX.values():
        response = client.get(path)
        want = expected[role]
        if want == TO_LOGIN:
            ok = response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        else:
            ok = response.status_code == want
        if want == REDIRECT and ok:  # a redirect for a signed-in user never goes to sign in
            ok = role == "anonymous" or not response["Location"].startswith("/accounts/login/")
        if not ok:
            where = response.get("Location", "")
            wrong.append(f"{path}: expected {want}, got {response.status_code} {where}")
    assert not wrong, f"{role}: " + "; ".join(wrong)


def test_a_forbidden_page_is_the_403_page(client, sign_in):
    """A role without the permission gets the 403 page (not a redirect or an error)."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from everyname.store.permissions import Permission
    from everyname.web.access import requires

    @requires(Permission.MANAGE_USERS)
    def admin_only(request):
        return HttpResponse("secret page")

    user = sign_in(client, "analyst")
    request = RequestFactory().get("/somewhere/")
    request.user = user
    request.session = client.session
    response = admin_only(request)
    assert response.status_code == 403
    assert b"secret page" not in response.content
    assert b"Not allowed" in response.content

    @requires(Permission.VIEW_RECORDS)
    def another_source(request):
        from everyname.core.errors import PermissionDenied

        raise PermissionDenied("not assigned to source 'src-b'", field="source")

    assert another_source(request).status_code == 403  # a refusal from a store function
