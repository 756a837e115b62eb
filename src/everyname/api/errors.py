"""Every refusal of the API in one shape: ``{"error": message, "field": input or null}``.

Store errors carry a kind (:class:`everyname.core.errors.ErrorKind`) that says the status:
invalid 400, not found 404, conflict 409, permission denied 403. A refused file adds its
``problems`` (every one, with row and column, as the command line lists them). DRF's own
refusals (401 no or bad token, 403, 404, 405, 415, 429 with ``Retry-After``) take the same
shape, so a client reads one kind of body whatever went wrong.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from everyname.core.errors import ErrorKind, EverynameError, InputRejected

STATUS = {
    ErrorKind.INVALID: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.PERMISSION_DENIED: 403,
}


def body(error: str, field: str | None = None, **more: Any) -> dict[str, Any]:
    return {"error": error, "field": field, **more}


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: a response for every refusal; None (a 500) for a bug."""
    if isinstance(exc, InputRejected):
        problems = [asdict(p) for p in exc.problems]
        return Response(body(exc.summary, exc.field, problems=problems), status=400)
    if isinstance(exc, EverynameError):
        return Response(body(str(exc), exc.field), status=STATUS.get(exc.kind, 400))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    message, field = _first(exc.detail)
    return Response(body(message, field), status=exc.status_code, headers=headers)


def _first(detail: Any, field: str | None = None) -> tuple[str, str | None]:
    """The first message of a DRF detail (a string, a list, or a dict by field)."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            return _first(value, None if name == "non_field_errors" else str(name))
        return "invalid input", field
    if isinstance(detail, list):
        return _first(detail[0], field) if detail else ("invalid input", field)
    return str(detail), field
