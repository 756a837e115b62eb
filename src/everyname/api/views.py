"""The JSON API at ``/api/v1/``: each view parses a request, calls one store function, and
returns what it returns (its ``to_dict()``), as the pages and the command line do.

Why Django REST Framework (with drf-spectacular): the app is already Django, and DRF is the
long-kept, widely audited way to serve JSON from Django; it brings the pieces the API needs
without code of our own for each: authentication classes (our Bearer tokens plug in as one),
permission classes (one asks :mod:`everyname.store.permissions`), throttling per token, one
exception handler (our ``{"error", "field"}``), multipart uploads; drf-spectacular writes the
OpenAPI 3 document from these views, and drf-spectacular-sidecar ships Swagger UI and Redoc
as static files the app serves itself (teams work offline; no CDN). django-ninja would do as
well but needs pydantic schemas beside the store's dataclasses, a second description of the
same results.

Every list is paged (``page``, ``page_size``: at most 500), as the store pages them; lists the
store returns whole (sources, jobs, estimates, claims, releases, tokens) are paged here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from everyname.api import serializers as shapes
from everyname.core.count import CountFilters
from everyname.core.errors import InvalidInput, NotFound
from everyname.core.provenance import json_safe
from everyname.store import (
    browsing,
    claims,
    estimating,
    imports,
    jobs,
    linking,
    persons,
    records,
    releases,
    secrets,
    sources,
    tokens,
)
from everyname.store.counting import count
from everyname.store.paging import Page, check_paging
from everyname.store.permissions import Actor, Permission
from everyname.web.views.figures import as_json
from everyname.web.views.reports import digest_header

# --- helpers ------------------------------------------------------------------------------


def actor_of(request: Request) -> Actor:
    return request.user.actor  # type: ignore[union-attr]


def whole(request: Request, name: str, default: int | None = None) -> int | None:
    """A whole number from the query string, or ``default`` when absent."""
    value = (request.query_params.get(name) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {value!r}", field=name) from None


def paging(request: Request, default_size: int = 50) -> tuple[int, int]:
    page = whole(request, "page", 1)
    size = whole(request, "page_size", default_size)
    check_paging(page, size)  # type: ignore[arg-type]
    return page, size  # type: ignore[return-value]


def paged(
    request: Request, items: Sequence[Any], shown: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """A page of a list the store gives whole, in the store's page shape (each item by its
    ``to_dict()``, or by ``shown``)."""
    page, size = paging(request)
    start = (page - 1) * size
    out = Page(tuple(items[start : start + size]), page, size, len(items))
    if shown is None:
        return out.to_dict()
    return {**out.to_dict(), "items": [shown(item) for item in out.items]}


def shown_job(job: jobs.JobStatus) -> dict[str, Any]:
    """A job as the API shows it: without the server folder a release job writes into (no
    response names a path on the server, as no page does)."""
    out = job.to_dict()
    out["params"] = {k: v for k, v in out["params"].items() if k != "out"}
    return out


def ok(data: Any, status: int = 200) -> Response:
    """A store result as JSON: NaN and infinities as null (JSON has neither), NumPy numbers as
    numbers, dates and paths as text (``core.provenance.json_safe``, as jobs keep results)."""
    return Response(json_safe(data, default=str), status=status)


def text(request: Request, name: str) -> str | None:
    return (request.query_params.get(name) or "").strip() or None


def listed(request: Request, name: str) -> list[str]:
    """Repeated parameters or a comma list (``by=sex,status`` or ``by=sex&by=status``)."""
    values: list[str] = []
    for value in request.query_params.getlist(name):
        values += [v.strip() for v in value.split(",") if v.strip()]
    return list(dict.fromkeys(values))


def valid(shape: type, request: Request) -> dict[str, Any]:
    checked = shape(data=request.data)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def query(name: str, about: str, kind: Any = OpenApiTypes.STR, many: bool = False) -> Any:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=about, many=many)


PAGING = [
    query("page", "Page number, from 1.", OpenApiTypes.INT),
    query("page_size", "Items per page, 1 to 500.", OpenApiTypes.INT),
]
ERRORS = {code: OpenApiResponse(shapes.Error) for code in (400, 401, 403, 404, 429)}
CONFLICT = {409: OpenApiResponse(shapes.Error)}


def returns(ok: Any, status: int = 200, conflict: bool = False) -> dict[Any, Any]:
    return {status: ok, **ERRORS, **(CONFLICT if conflict else {})}


def needs(**by_method: Permission) -> Mapping[str, Permission]:
    """The permission each HTTP method of a view needs (read-only)."""
    return MappingProxyType(by_method)


class ApiView(APIView):
    """``required``: the permission each method needs (checked by ``auth.HasRole`` before the
    store is asked; a method not named needs only a valid token)."""

    required: Mapping[str, Permission] = needs()


# --- tokens ----------------------------------------------------------------------------------


class TokensView(ApiView):
    @extend_schema(
        summary="Your tokens (an administrator: anyone's, with ?user=)",
        parameters=[query("user", "Whose tokens (administrators)."), *PAGING],
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        found = tokens.list_tokens(actor_of(request), text(request, "user"))
        return ok(paged(request, found))

    @extend_schema(
        summary="Make a token (shown once)",
        request=shapes.TokenRequest,
        responses=returns(OpenApiTypes.OBJECT, 201),
    )
    def post(self, request: Request) -> Response:
        data = valid(shapes.TokenRequest, request)
        actor = actor_of(request)
        made = tokens.create_token(actor, data.get("user") or actor.username, data.get("name", ""))
        return ok(made.to_dict(), status=201)


class TokenView(ApiView):
    @extend_schema(summary="Revoke a token", responses=returns(OpenApiTypes.OBJECT, conflict=True))
    def delete(self, request: Request, token_id: int) -> Response:
        return ok(tokens.revoke_token(actor_of(request), token_id).to_dict())


# --- counts ----------------------------------------------------------------------------------


COUNT_FILTERS = [
    query("since", "First day of the window (inclusive), YYYY-MM-DD."),
    query("until", "Last day of the window (inclusive)."),
    query("place", "A place at any level, in either script."),
    query("outcome", "killed or injured (default: both)."),
    query("source", "Only persons this source names (repeatable).", many=True),
    query("grade", "confirmed, single_source or contested."),
]


class CountsView(ApiView):
    required = needs(GET=Permission.VIEW_FIGURES)

    @extend_schema(
        summary="Count persons: the JSON of `everyname count --format json`",
        parameters=[
            *COUNT_FILTERS,
            query("by", "Breakdowns, e.g. sex,age_group,status,cause,place,date.", many=True),
            query("explain", "List the person ids behind each figure.", OpenApiTypes.BOOL),
        ],
        responses=returns(OpenApiTypes.OBJECT),
    )
    def get(self, request: Request) -> HttpResponse:
        filters = CountFilters(
            since=text(request, "since"),
            until=text(request, "until"),
            place=text(request, "place"),
            outcome=text(request, "outcome"),
            sources=tuple(listed(request, "source")),
            grade=text(request, "grade"),
        )
        explain = (text(request, "explain") or "").lower() in ("1", "true", "yes")
        result = count(actor_of(request), filters, listed(request, "by"), explain)
        # The command's own serialisation, byte for byte (web.views.figures.as_json).
        return HttpResponse(as_json(result).encode("utf-8"), content_type="application/json")


# --- persons and records ---------------------------------------------------------------------


class PersonsView(ApiView):
    required = needs(GET=Permission.VIEW_RECORDS)

    @extend_schema(
        summary="Persons of a link run (default: the latest)",
        operation_id="persons_list",
        parameters=[
            query("q", "A name in either script, or a person id."),
            query("since", "Resolved date of death wholly inside from (YYYY-MM-DD)."),
            query("until", "… until (inclusive)."),
            query("place", "A place in either script, with the places inside it."),
            query("source", "A source the person has a record from."),
            query("sex", "male, female or unknown."),
            query("status", "civilian, combatant or unknown."),
            query("age_group", "child, adult or unknown."),
            query("link_run", "A link run's number (default: the latest).", OpenApiTypes.INT),
            *PAGING,
        ],
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        page, size = paging(request)
        names = ("source", "sex", "status", "age_group", "since", "until", "place")
        found = persons.list_persons(
            actor_of(request),
            text(request, "q"),
            {name: text(request, name) for name in names},
            page,
            size,
            whole(request, "link_run"),
        )
        return ok(found.to_dict())


class PersonView(ApiView):
    required = needs(GET=Permission.VIEW_RECORDS)

    @extend_schema(
        summary="One person: resolved values, conflicts, records, decisions",
        parameters=[
            query("link_run", "A link run's number (default: the latest).", OpenApiTypes.INT)
        ],
        responses=returns(OpenApiTypes.OBJECT),
    )
    def get(self, request: Request, person_id: str) -> Response:
        found = persons.get_person(actor_of(request), person_id, whole(request, "link_run"))
        return ok(found.to_dict())


RECORD_FILTERS = (
    "name",
    "source",
    "batch",
    "since",
    "until",
    "place",
    "status",
    "sex",
    "age_group",
)


class RecordsView(ApiView):
    required = needs(GET=Permission.VIEW_RECORDS)

    @extend_schema(
        summary="Records, oldest first",
        operation_id="records_list",
        parameters=[
            query("name", "A name in either script."),
            query("batch", "A batch's number.", OpenApiTypes.INT),
            *(query(n, f"Filter: {n}.") for n in RECORD_FILTERS if n not in ("name", "batch")),
            *PAGING,
        ],
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        page, size = paging(request)
        filters = {name: text(request, name) for name in RECORD_FILTERS}
        return ok(records.list_records(actor_of(request), filters, page, size).to_dict())


class RecordView(ApiView):
    required = needs(GET=Permission.VIEW_RECORDS)

    @extend_schema(
        summary="One record: current values, as imported, revisions, flags",
        responses=returns(OpenApiTypes.OBJECT),
    )
    def get(self, request: Request, record_id: int) -> Response:
        return ok(records.get_record(actor_of(request), record_id).to_dict())


class CorrectionsView(ApiView):
    required = needs(POST=Permission.CORRECT_RECORD)

    @extend_schema(
        summary="Correct a record (a revision, audited)",
        request=shapes.Correction,
        responses=returns(OpenApiTypes.OBJECT, 201),
    )
    def post(self, request: Request, record_id: int) -> Response:
        data = valid(shapes.Correction, request)
        corrected = records.correct_record(
            actor_of(request), record_id, data["changes"], data["reason"]
        )
        return ok(corrected.to_dict(), status=201)


class RevealView(ApiView):
    required = needs(POST=Permission.REVEAL_IDENTITY)

    @extend_schema(
        summary="Read a record's reporter identity (audited, with the reason)",
        request=shapes.Reveal,
        responses=returns(OpenApiTypes.OBJECT),
    )
    def post(self, request: Request, record_id: int) -> Response:
        data = valid(shapes.Reveal, request)
        revealed = secrets.reveal_identity(actor_of(request), record_id, data["reason"])
        response = ok(revealed.to_dict())
        response["Cache-Control"] = "no-store"
        return response


# --- sources and batches ---------------------------------------------------------------------


class SourcesView(ApiView):
    required = needs(GET=Permission.VIEW_RECORDS)

    @extend_schema(
        summary="Sources with their batches and record counts",
        parameters=PAGING,
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        return ok(paged(request, sources.sources(actor_of(request))))


class BatchesView(ApiView):
    required = needs(GET=Permission.VIEW_RECORDS, POST=Permission.IMPORT)

    @extend_schema(
        summary="Imported batches, newest first",
        operation_id="batches_list",
        parameters=[query("source", "Only this source's batches."), *PAGING],
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        page, size = paging(request)
        found = browsing.list_batches(actor_of(request), text(request, "source"), page, size)
        return ok(found.to_dict())

    @extend_schema(
        summary="Upload a list: imported by a background job (see /jobs/{id})",
        request={"multipart/form-data": shapes.Upload},
        responses=returns(OpenApiTypes.OBJECT, 202),
    )
    def post(self, request: Request) -> Response:
        data = valid(shapes.Upload, request)
        params: dict[str, Any] = {
            k: data[k] for k in ("source", "skip_invalid", "strict", "dry_run") if k in data
        }
        for name in ("source_name", "source_kind"):
            if data.get(name):
                params[name] = data[name]
        if (mapping := data.get("mapping")) is not None:
            params["mapping_name"] = imports.upload_name(mapping)
            try:
                params["mapping_text"] = mapping.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InvalidInput(
                    "the mapping must be a UTF-8 TOML file", field="mapping"
                ) from None
        queued = jobs.enqueue(actor_of(request), "import", params, file=data["file"])
        return ok(shown_job(queued), status=202)


class BatchView(ApiView):
    required = needs(GET=Permission.VIEW_RECORDS)

    @extend_schema(
        summary="One batch: counts and every unreadable value",
        responses=returns(OpenApiTypes.OBJECT),
    )
    def get(self, request: Request, batch_id: int) -> Response:
        return ok(sources.batch(actor_of(request), batch_id).to_dict())


class RejectedRowsView(ApiView):
    required = needs(GET=Permission.IMPORT)

    @extend_schema(
        summary="A batch's skipped rows as CSV, with the reason for each",
        responses={(200, "text/csv"): OpenApiTypes.STR, **ERRORS},
    )
    def get(self, request: Request, batch_id: int) -> HttpResponse:
        data = imports.rejected_rows_csv(actor_of(request), batch_id)
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch_id}-rejected.csv"'
        return response


# --- jobs, estimates, link runs --------------------------------------------------------------


class JobsView(ApiView):
    @extend_schema(
        summary="Your jobs, newest first (an administrator: everyone's)",
        operation_id="jobs_list",
        parameters=PAGING,
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        return ok(paged(request, jobs.list_jobs(actor_of(request), limit=10_000), shown_job))


class JobView(ApiView):
    @extend_schema(
        summary="A job's state, progress, and result or error",
        responses=returns(OpenApiTypes.OBJECT),
    )
    def get(self, request: Request, job_id: int) -> Response:
        return ok(shown_job(jobs.job_status(actor_of(request), job_id)))


class EstimatesView(ApiView):
    required = needs(GET=Permission.VIEW_FIGURES, POST=Permission.RUN_ANALYSIS)

    @extend_schema(
        summary="Stored estimates, newest first",
        operation_id="estimates_list",
        parameters=[query("link_run", "Only this link run's.", OpenApiTypes.INT), *PAGING],
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        found = estimating.list_estimates(
            actor_of(request), link_run=whole(request, "link_run"), limit=10_000
        )
        return ok(paged(request, found, lambda e: e.record()))

    @extend_schema(
        summary="Run an estimate as a background job (see /jobs/{id})",
        request=shapes.EstimateRequest,
        responses=returns(OpenApiTypes.OBJECT, 202),
    )
    def post(self, request: Request) -> Response:
        data = valid(shapes.EstimateRequest, request)
        params: dict[str, Any] = {
            "options": data.get("options") or {},
            "filters": data.get("filters") or {},
        }
        if data.get("by"):
            params["by"] = data["by"]
        if data.get("seed") is not None:
            params["seed"] = data["seed"]
        queued = jobs.enqueue(actor_of(request), "estimate", params)
        return ok(shown_job(queued), status=202)


class EstimateView(ApiView):
    required = needs(GET=Permission.VIEW_FIGURES)

    @extend_schema(
        summary="One stored estimate, as it was fitted",
        responses=returns(OpenApiTypes.OBJECT),
    )
    def get(self, request: Request, estimate_id: int) -> Response:
        # Everything stored with it: settings, seed, fingerprint, versions, and the result.
        return ok(estimating.get_estimate(actor_of(request), estimate_id).record())


class LinkRunsView(ApiView):
    required = needs(GET=Permission.VIEW_FIGURES, POST=Permission.LINK)

    @extend_schema(
        summary="The link runs, newest first (what each was run with and learnt from reviewers)",
        operation_id="link_runs_list",
        parameters=PAGING,
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        page, size = paging(request)
        return ok(linking.list_link_runs(actor_of(request), page, size).to_dict())

    @extend_schema(
        summary="Link the records again, as a background job (see /jobs/{id})",
        request=shapes.LinkRequest,
        responses=returns(OpenApiTypes.OBJECT, 202),
    )
    def post(self, request: Request) -> Response:
        data = valid(shapes.LinkRequest, request)
        params = {"threshold": data["threshold"]} if data.get("threshold") is not None else {}
        queued = jobs.enqueue(actor_of(request), "link", params)
        return ok(shown_job(queued), status=202)


# --- review ----------------------------------------------------------------------------------


class PairsView(ApiView):
    required = needs(GET=Permission.REVIEW)

    @extend_schema(
        summary="Pairs of records awaiting a decision, most useful first",
        parameters=PAGING,
        responses=returns(OpenApiTypes.OBJECT),
    )
    def get(self, request: Request) -> Response:
        page, size = paging(request, default_size=20)
        found = linking.pending_pairs(actor_of(request), page, size)
        return ok(found.to_dict())


class DecisionsView(ApiView):
    required = needs(POST=Permission.REVIEW)

    @extend_schema(
        summary="Decide a pair: same or different (audited)",
        request=shapes.DecisionRequest,
        responses=returns(OpenApiTypes.OBJECT, 201),
    )
    def post(self, request: Request) -> Response:
        data = valid(shapes.DecisionRequest, request)
        decided = linking.decide(
            actor_of(request),
            data["left_record_id"],
            data["right_record_id"],
            data["verdict"],
            data.get("link_run"),
            note=data.get("note") or "",
        )
        return ok(decided.to_dict(), status=201)


# --- claims and releases ---------------------------------------------------------------------


class ClaimsView(ApiView):
    required = needs(GET=Permission.VIEW_FIGURES, POST=Permission.MANAGE_CLAIMS)

    @extend_schema(
        summary="Claims: aggregate statements without names, by date",
        parameters=PAGING,
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        return ok(paged(request, claims.list_claims(actor_of(request))))

    @extend_schema(
        summary="Import claims from a CSV (all rows or none, audited)",
        request={"multipart/form-data": shapes.ClaimsUpload},
        responses=returns(OpenApiTypes.OBJECT, 201),
    )
    def post(self, request: Request) -> Response:
        data = valid(shapes.ClaimsUpload, request)
        return ok(claims.import_claims(actor_of(request), data["file"]).to_dict(), 201)


class ReleasesView(ApiView):
    required = needs(GET=Permission.VIEW_RELEASES, POST=Permission.PUBLISH_RELEASE)

    @extend_schema(
        summary="Releases published from this database, oldest first",
        operation_id="releases_list",
        parameters=PAGING,
        responses=returns(shapes.Page),
    )
    def get(self, request: Request) -> Response:
        return ok(paged(request, releases.list_releases(actor_of(request))))

    @extend_schema(
        summary="Publish the next release, as a background job (see /jobs/{id})",
        request=shapes.ReleaseRequest,
        responses=returns(OpenApiTypes.OBJECT, 202),
    )
    def post(self, request: Request) -> Response:
        data = valid(shapes.ReleaseRequest, request)
        # Into the server's own releases folder, as the releases page does: no request names a path.
        params = {"out": str(releases.releases_folder()), "withhold": data["withhold"]}
        queued = jobs.enqueue(actor_of(request), "release", params)
        return ok(shown_job(queued), 202)


class ReleaseFileView(ApiView):
    required = needs(GET=Permission.VIEW_RELEASES)

    @extend_schema(
        summary="One file of a release, as published (refused if it changed since)",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS, **CONFLICT},
    )
    def get(self, request: Request, release_id: int, name: str) -> FileResponse:
        found = releases.release_file(actor_of(request), release_id, name)
        response = FileResponse(
            found.handle,
            as_attachment=True,
            filename=f"everyname-v{found.version}-{found.name}",
            content_type="application/octet-stream",
        )
        response["Repr-Digest"] = digest_header(found.sha256)
        return response


# --- anything else under /api/v1/ --------------------------------------------------------------


class NoSuchRoute(APIView):
    """A path under ``/api/v1/`` that is no route: a 404 in the API's error shape (not the web
    app's page), for everyone, with or without a token, whatever the method."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()

    @extend_schema(exclude=True)
    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound(f"no API route {request.path!r}; see /api/v1/docs/", field="path")
