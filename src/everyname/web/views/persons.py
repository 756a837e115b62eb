"""``/persons/`` and ``/persons/<person_id>/``: the persons a link run made, found by name in
either script, and one person with everything behind it.

The search lives in the URL (a GET form), so a search can be bookmarked and shared. Each view
parses the request, calls one store function (``list_persons`` or ``get_person``, which check
the permission and narrow a recorder to their sources) and lays the result out: the records
side by side with the values that differ marked, each conflict as "source A says 12, source B
says 15".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.schema import VOCABULARIES
from everyname.store.permissions import Permission
from everyname.store.persons import PersonDetail, get_person, list_persons
from everyname.web.access import requires
from everyname.web.views.figures import VALUE_NAMES

PAGE_SIZE = 50
FILTERS = ("since", "until", "place", "status", "sex", "age_group", "source")
"""The filters the form offers, named as ``PersonFilters`` names them."""

FIELD_LABELS = {
    "name": _("Name"),
    "full_name": _("Name"),
    "given_name": _("Given name"),
    "father_name": _("Father's name"),
    "grandfather_name": _("Grandfather's name"),
    "family_name": _("Family name"),
    "sex": _("Sex"),
    "age_years": _("Age"),
    "age_group": _("Age group"),
    "date_of_death": _("Date of death"),
    "status": _("Status"),
    "cause": _("Cause"),
    "outcome": _("Outcome"),
    "governorate": _("Governorate"),
    "district": _("District"),
    "locality": _("Locality"),
    "neighbourhood": _("Neighbourhood"),
    "place": _("Place"),
}
"""Field names as a reader reads them, in the page's language."""

GRADE_NAMES = {
    "confirmed": _("confirmed by two or more independent sources"),
    "single_source": _("one independent source only"),
    "contested": _("contested: the sources disagree"),
    "unknown": _("unknown"),
}

RECORD_ROWS = ("name", "sex", "age_years", "age_group", "date_of_death", "place", "status")
"""The values of each record set side by side on a person's page (a record's list summary)."""


def shown(value: Any) -> str:
    """A value as a reader reads it: an age of 16, not 16.0; a category in the page's
    language; nothing for no value."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return str(VALUE_NAMES.get(text, text))


def shown_age(value: Any) -> str:
    """An age in years as a reader reads it: under a year, in months ("3 months", not 0.25,
    which a reader takes for a typing error); else as ``shown``. Text that is not a number
    (an age that could not be read) is shown as it is."""
    try:
        years = float(value)
    except (TypeError, ValueError):
        return shown(value)
    if 0 <= years < 1:
        months = round(years * 12)
        return ngettext("%(n)s month", "%(n)s months", months) % {"n": months}
    return shown(years)


def shown_resolved_age(value: Any) -> str:
    """A person's age as the records give it together: the median of their ages
    (core.link.resolve), which for an even number of whole ages can fall between two, 38.5 for
    38 and 39. A reader is shown those two, "38–39", not an age no record gave."""
    try:
        doubled = float(value) * 2
    except (TypeError, ValueError):
        return shown_field("age_years", value)
    if doubled >= 2 and doubled.is_integer() and int(doubled) % 2:
        return f"{int(doubled) // 2}–{int(doubled) // 2 + 1}"
    return shown_field("age_years", value)


def shown_field(name: str, value: Any) -> str:
    return shown_age(value) if name == "age_years" and value not in (None, "") else shown(value)


def _choices(name: str) -> list[tuple[str, str]]:
    return [(v.value, str(VALUE_NAMES.get(v.value, v.value))) for v in VOCABULARIES[name]]


@requires(Permission.VIEW_RECORDS)
def persons(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()
    filters = {k: (request.GET.get(k) or "").strip() for k in FILTERS}
    error, no_run, page = None, None, None
    try:
        number = _page_number(request.GET.get("page"))
        page = list_persons(request.actor, query, filters, number, PAGE_SIZE)  # type: ignore[attr-defined]
    except InvalidInput as exc:
        error = exc
    except NotFound as exc:
        no_run = exc
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "web/persons.html",
        {
            "q": query,
            "filters": filters,
            "choices": {name: _choices(name) for name in ("status", "sex", "age_group")},
            "error": error,
            "no_run": no_run,
            "page": page,
            "rows": [_row(p) for p in page.items] if page else [],
            "page_query": kept.urlencode(),
        },
        status=400 if error else 200,
    )


def _page_number(text: str | None) -> int:
    if not text:
        return 1
    if not text.strip().isdigit():
        raise InvalidInput(f"page must be a whole number from 1, got {text!r}", field="page")
    return int(text)


UNKNOWN = (None, "", "unknown")


def _row(person: Any) -> dict[str, Any]:
    return {
        "person_id": person.person_id,
        "name": person.name,
        "n_records": person.n_records,
        "sources": person.sources,
        "sex": shown(person.sex),
        "age": shown_resolved_age(person.age_years) or shown(person.age_group),
        "date_of_death": person.date_of_death or "",
        "status": shown(person.status),
        "conflicts": person.conflicts,
        "unknown": {k for k in ("sex", "status") if getattr(person, k) in UNKNOWN}
        | ({"age"} if person.age_years is None and person.age_group in UNKNOWN else set()),
    }


@requires(Permission.VIEW_RECORDS)
def person(request: HttpRequest, person_id: str) -> HttpResponse:
    run = (request.GET.get("run") or "").strip()
    try:
        if run and not run.isdigit():
            raise InvalidInput(f"run is a link run number, got {run!r}", field="run")
        detail = get_person(request.actor, person_id, int(run) if run else None)  # type: ignore[attr-defined]
    except (InvalidInput, NotFound) as exc:
        status = 404 if isinstance(exc, NotFound) else 400
        return render(request, "web/persons_missing.html", {"error": exc}, status=status)
    return render(request, "web/persons_detail.html", _detail_context(detail))


def _detail_context(detail: PersonDetail) -> dict[str, Any]:
    """The person laid out for the page: resolved values beside their conflicts (each value
    with the sources that give it), the records as columns of one table with every row whose
    known values differ marked, the decisions with the sources of their records."""
    source_of = {str(r.id): r.source for r in detail.records}
    conflicts = {c["field"]: c for c in detail.conflicts}
    resolved = []
    fields = [f for f in FIELD_LABELS if f in detail.resolved or f in conflicts]
    for name in fields:
        conflict = conflicts.get(name)
        said = []
        if conflict:
            for value, record_ids in (conflict.get("values") or {}).items():
                ids = [str(i) for i in record_ids]
                said.append(
                    {
                        "value": shown_field(name, value),
                        "sources": sorted({source_of[i] for i in ids if i in source_of}),
                        "records": [i for i in ids if i in source_of],
                        "hidden": sum(1 for i in ids if i not in source_of),
                    }
                )
        value = detail.resolved.get(name)
        if value is None and not conflict:
            continue
        resolved.append(
            {
                "field": name,
                "label": FIELD_LABELS[name],
                "value": shown_resolved_age(value)
                if name == "age_years"
                else shown_field(name, value),
                "said": said,
                "spellings": name in detail.place_spellings,
            }
        )
    records = []
    for name in RECORD_ROWS:
        cells = [getattr(r, name) for r in detail.records]
        known = {str(c) for c in cells if c not in (None, "", "unknown")}
        records.append(
            {
                "label": FIELD_LABELS[name],
                "cells": [shown_field(name, c) for c in cells],
                "differs": len(known) > 1 and not (name == "place" and detail.records_one_place),
                "name": name == "name",
            }
        )
    decisions = [
        {
            "decision": d,
            "left": source_of.get(str(d.record_l), ""),
            "right": source_of.get(str(d.record_r), ""),
        }
        for d in detail.decisions
    ]
    return {
        "person": detail,
        "grade": GRADE_NAMES.get(detail.grade, detail.grade),
        "contested": [FIELD_LABELS.get(f, f) for f in detail.contested_fields],
        "resolved": resolved,
        "record_rows": records,
        "decisions": decisions,
        "name": detail.resolved.get("name") or detail.resolved.get("full_name") or "",
    }
