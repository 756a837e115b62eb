"""Every route of the API, for every role, against a table of expected status codes.

The routes are walked from ``everyname.api.urls``, so a route added without a row here fails
(and a row for a route that no longer exists fails too). tests/web/test_role_matrix.py leaves
the ``api/`` prefix to this table. The database is empty (no link run, record, batch, job or
estimate), so a request a role may make is answered 404 (or 400 for an upload without a file,
202 for a job queued) and one it may not is 403; without a token, 401.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, resolve

from everyname.api.urls import urlpatterns

ROLES = ("admin", "analyst", "reviewer", "recorder", "viewer", "anonymous")
API = "/api/v1/"


def everyone(status: int, anonymous: int = 401) -> dict[str, int]:
    return {**dict.fromkeys(ROLES[:-1], status), "anonymous": anonymous}


def only(roles: str, status: int, others: int = 403) -> dict[str, int]:
    return {**everyone(others), **dict.fromkeys(roles.split(), status)}


RECORDS = "admin analyst reviewer recorder"  # VIEW_RECORDS
IMPORTERS = "admin analyst recorder"  # IMPORT, CORRECT_RECORD

#: route → [(method, path, JSON body or None, status per role)]
MATRIX: dict[str, list[tuple[str, str, dict | None, dict[str, int]]]] = {
    "openapi.json": [("get", "openapi.json", None, everyone(200, anonymous=200))],
    "docs/": [("get", "docs/", None, everyone(200, anonymous=200))],
    "tokens": [
        ("get", "tokens", None, everyone(200)),
        ("post", "tokens", {"name": "a script"}, everyone(201)),
    ],
    # Another's or no token: not found, whoever asks.
    "tokens/<int:token_id>": [("delete", "tokens/999999", None, everyone(404))],
    # No link run yet: the count says so (404 naming link_run) to those who may count.
    "counts": [("get", "counts", None, everyone(404))],
    "persons": [("get", "persons", None, only(RECORDS, 404))],
    "persons/<str:person_id>": [("get", "persons/P0", None, only(RECORDS, 404))],
    "records": [("get", "records", None, only(RECORDS, 200))],
    "records/<int:record_id>": [("get", "records/1", None, only(RECORDS, 404))],
    "records/<int:record_id>/corrections": [
        (
            "post",
            "records/1/corrections",
            {"changes": {"sex": "male"}, "reason": "the family says so"},
            only(IMPORTERS, 404),
        )
    ],
    "records/<int:record_id>/reveal": [
        ("post", "records/1/reveal", {"reason": "to call back"}, only("admin analyst", 404))
    ],
    "sources": [("get", "sources", None, only(RECORDS, 200))],
    "batches": [
        ("get", "batches", None, only(RECORDS, 200)),
        ("post", "batches", {"source": "src-a"}, only(IMPORTERS, 400)),  # no file
    ],
    "batches/<int:batch_id>": [("get", "batches/1", None, only(RECORDS, 404))],
    "batches/<int:batch_id>/rejected.csv": [
        ("get", "batches/1/rejected.csv", None, only(IMPORTERS, 404))
    ],
    "jobs": [("get", "jobs", None, everyone(200))],
    "jobs/<int:job_id>": [("get", "jobs/1", None, everyone(404))],
    "estimates": [
        ("get", "estimates", None, everyone(200)),
        ("post", "estimates", {}, only("admin analyst", 202)),  # queued; checked as it runs
    ],
    "estimates/<int:estimate_id>": [("get", "estimates/1", None, everyone(404))],
    "link-runs": [
        ("post", "link-runs", {}, only("admin analyst", 202)),
        ("get", "link-runs", None, everyone(200)),
    ],
    "review/pairs": [("get", "review/pairs", None, only("admin analyst reviewer", 404))],
    "review/decisions": [
        (
            "post",
            "review/decisions",
            {"left_record_id": 1, "right_record_id": 2, "verdict": "same"},
            only("admin analyst reviewer", 404),
        )
    ],
    "claims": [
        ("get", "claims", None, everyone(200)),
        ("post", "claims", {}, only("admin analyst", 400)),  # MANAGE_CLAIMS; no file
    ],
    "releases": [
        ("get", "releases", None, everyone(200)),
        # PUBLISH_RELEASE (admins, analysts): queued; a bad withhold is refused at once.
        ("post", "releases", {}, only("admin analyst", 202)),
        ("post", "releases", {"withhold": "shoe_size"}, only("admin analyst", 400)),
    ],
    "releases/<int:release_id>/<str:name>": [
        ("get", "releases/1/persons.csv", None, everyone(404))
    ],
    # Any other path: a 404 in the API's error shape, token or not (the old trailing slash too).
    "^.*$": [
        ("get", "no-such-route", None, everyone(404, anonymous=404)),
        ("post", "counts/", {}, everyone(404, anonymous=404)),
    ],
}


def test_every_route_has_a_row_and_every_row_a_route():
    routes = {str(p.pattern) for p in urlpatterns if isinstance(p, URLPattern)}
    assert len(routes) == len(urlpatterns)
    assert sorted(routes - set(MATRIX)) == [], "API routes without a row in the matrix"
    assert sorted(set(MATRIX) - routes) == [], "rows for API routes that do not exist"
    for route, cases in MATRIX.items():
        for _, path, _, _ in cases:
            found = resolve(API + path).route  # (Django drops a regex's leading ^ here)
            assert found == "api/v1/" + route.removeprefix("^"), f"{path} is not {route!r}"


@pytest.mark.parametrize("role", ROLES)
def test_the_api_role_matrix(client, token_for, bearer, role):
    headers = {} if role == "anonymous" else bearer(token_for(role))
    wrong = []
    for cases in MATRIX.values():
        for method, path, body, expected in cases:
            send = getattr(client, method)
            if body is None:
                response = send(API + path, **headers)
            else:
                response = send(API + path, body, content_type="application/json", **headers)
            if response.status_code != expected[role]:
                wrong.append(
                    f"{method.upper()} {path}: expected {expected[role]}, got "
                    f"{response.status_code} {response.content[:200]!r}"
                )
            elif response.status_code >= 400:
                # Every refusal in one shape.
                body_of = response.json()
                if set(body_of) - {"problems"} != {"error", "field"}:
                    wrong.append(f"{method.upper()} {path}: error body {body_of}")
            if response.status_code == 401 and "Bearer" not in response.get("WWW-Authenticate", ""):
                wrong.append(f"{method.upper()} {path}: 401 without WWW-Authenticate: Bearer")
    assert not wrong, f"{role}: " + "; ".join(wrong)
