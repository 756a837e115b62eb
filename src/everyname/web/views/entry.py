"""``/records/new/``: entering one victim, checked against the existing persons before saving.

One page, three steps, no script needed: the form (every canonical field; partial dates as
year, month and day; an age as typed, "34", "3 months" or "40s"; the place with the gazetteer's
places offered as one types, in either script), a check that shows how the import reads the
values and which existing persons the link model takes the victim for, best first, and the
save, as a new person or as the same person as one of them. The store does all of it
(``store.entry``); this view only parses the form and renders.

The reporter's name and contact are never put back into the page: after a check the form
carries them encrypted (``store.entry.seal_reporter``), and after the save the recorder is sent
to the record's page, which never shows them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from everyname.core.errors import InvalidInput, NotFound
from everyname.core.schema import VOCABULARIES
from everyname.store.entry import (
    DATE_FIELDS,
    ENTRY_FIELDS,
    EntryCheck,
    check_entry,
    date_text,
    entry_sources,
    place_choices,
    save_entry,
    seal_reporter,
)
from everyname.store.permissions import Permission
from everyname.web.access import requires
from everyname.web.views.figures import VALUE_NAMES
from everyname.web.views.records import FIELD_LABELS

GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        gettext_lazy("Name"),
        (
            "full_name",
            "given_name",
            "father_name",
            "grandfather_name",
            "family_name",
            "mother_name",
            "nickname",
        ),
    ),
    (
        gettext_lazy("The person"),
        ("sex", "age", "age_group", "date_of_birth", "national_id"),
    ),
    (
        gettext_lazy("Death"),
        ("date_of_death", "place", "cause", "status", "outcome", "perpetrator"),
    ),
    (gettext_lazy("Place by level"), ("governorate", "district", "locality", "neighbourhood")),
    (gettext_lazy("Notes"), ("notes", "source_record_id")),
)
"""The form's fieldsets, in the order a call goes; together every field of ``ENTRY_FIELDS``."""
assert sorted(f for _, group in GROUPS for f in group) == sorted(ENTRY_FIELDS)

HINTS: dict[str, Any] = {
    "full_name": gettext_lazy("As the caller says it, in Arabic or Latin letters."),
    "age": gettext_lazy("In years, or as said: 34, 3 months, 40s, 20-25."),
    "place": gettext_lazy(
        "Type in Arabic or English and pick a place; a place the list does not offer is kept "
        "as written."
    ),
    "date_of_death": gettext_lazy("Year alone, year and month, or the whole date."),
}

COMPARISON_LABELS: dict[str, Any] = {
    "given_name": gettext_lazy("Given name"),
    "father_name": gettext_lazy("Father's name"),
    "grandfather_name": gettext_lazy("Grandfather's name"),
    "family_name": gettext_lazy("Family name"),
    "sex": gettext_lazy("Sex"),
    "birth": gettext_lazy("Birth and age"),
    "national_id": gettext_lazy("National id"),
    "date_of_death": gettext_lazy("Date of death"),
    "place": gettext_lazy("Place"),
    "cause": gettext_lazy("Cause"),
    "status": gettext_lazy("Status"),
}
"""The link model's comparisons, named in the page's language (the level stays as the model
names it, in English)."""


def _values(post: QueryDict) -> dict[str, str]:
    """The victim's fields as typed; a date from its three boxes."""
    out = {}
    for name in ENTRY_FIELDS:
        if name in DATE_FIELDS:
            text = date_text(
                post.get(f"{name}_year"), post.get(f"{name}_month"), post.get(f"{name}_day")
            )
        else:
            text = (post.get(name) or "").strip()
        if text:
            out[name] = text
    return out


def _inputs(post: QueryDict | None, filled: dict[str, str]) -> list[dict[str, Any]]:
    """The fieldsets with each input's kind, label, choices and value (as posted, with the
    place's levels the check filled in where the recorder left them empty)."""

    def value(name: str) -> str:
        typed = (post.get(name) or "").strip() if post is not None else ""
        return typed or filled.get(name, "")

    groups = []
    for title, names in GROUPS:
        inputs = []
        for name in names:
            field: dict[str, Any] = {
                "name": name,
                "label": FIELD_LABELS[name],
                "hint": HINTS.get(name),
                "filled": name in filled and not (post is not None and post.get(name)),
            }
            if name in VOCABULARIES:
                field["kind"] = "choice"
                field["choices"] = [
                    (v.value, VALUE_NAMES.get(v.value, v.value))
                    for v in VOCABULARIES[name]
                    if v.value != "unknown"
                ]
                field["value"] = value(name)
            elif name in DATE_FIELDS:
                field["kind"] = "date"
                field["parts"] = [
                    {
                        "name": f"{name}_{part}",
                        "label": label,
                        "value": value(f"{name}_{part}"),
                        "size": size,
                    }
                    for part, label, size in (
                        ("year", _("Year"), 4),
                        ("month", _("Month"), 2),
                        ("day", _("Day"), 2),
                    )
                ]
            elif name == "notes":
                field["kind"] = "text"
                field["value"] = value(name)
            else:
                field["kind"] = "line"
                field["value"] = value(name)
            inputs.append(field)
        groups.append({"title": title, "inputs": inputs, "levels": names[0] == "governorate"})
    return groups


def _places(request: HttpRequest) -> list[dict[str, str]]:
    """The place box's suggestions: the name to write, and in the label the other script's
    name and the places above it, so typing "Baba" or "بابا" finds Baba Amr, Homs."""
    arabic = (request.LANGUAGE_CODE or "").startswith("ar")  # type: ignore[attr-defined]
    out = []
    for place in place_choices(request.actor):  # type: ignore[attr-defined]
        within = place.within_ar if arabic else place.within
        names = [place.name_en, place.name_ar] if not arabic else [place.name_ar, place.name_en]
        label = " / ".join(n for n in names if n)
        if within:
            label += " — " + ("، " if arabic else ", ").join(within)
        out.append({"value": place.value, "label": label})
    return out


def _persons(check: EntryCheck) -> list[dict[str, Any]]:
    out = []
    for person in check.persons:
        out.append(
            {
                "person": person,
                "percent": round(person.match_probability * 100),
                "agrees": [_evidence(e) for e in person.agrees],
                "differs": [_evidence(e) for e in person.differs],
                "fields": [
                    {
                        "label": FIELD_LABELS.get(side.field, side.field),
                        "entered": VALUE_NAMES.get(side.entered, side.entered),
                        "existing": VALUE_NAMES.get(side.existing, side.existing),
                        "agrees": side.agrees,
                    }
                    for side in person.fields
                ],
            }
        )
    return out


def _evidence(evidence: Any) -> dict[str, Any]:
    return {
        "label": COMPARISON_LABELS.get(evidence.comparison, evidence.comparison),
        "level": evidence.level,
        "weight": evidence.weight,
    }


def _page(
    request: HttpRequest,
    *,
    post: QueryDict | None = None,
    check: EntryCheck | None = None,
    sealed: str | None = None,
    error: Exception | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    sources = entry_sources(actor)
    chosen = (post.get("source") if post is not None else request.GET.get("source")) or ""
    if not chosen and len(sources) == 1:
        chosen = sources[0][0]
    return render(
        request,
        "web/entry.html",
        {
            "sources": sources,
            "chosen_source": chosen,
            "groups": _inputs(post, check.place_levels if check is not None else {}),
            "places": _places(request),
            "check": check,
            "persons": _persons(check) if check is not None else [],
            "unreadable": [
                {"label": FIELD_LABELS.get(u["field"], u["field"]), "expected": u["expected"]}
                for u in (check.unreadable if check is not None else ())
            ],
            "sealed": sealed,
            "error": error,
            "may_see_people": actor.can(Permission.VIEW_RECORDS),
        },
        status=status,
    )


@requires(Permission.ENTER_RECORD)
@require_http_methods(["GET", "HEAD", "POST"])
def new_record(request: HttpRequest) -> HttpResponse:
    """The form; a POST with ``check`` shows the possible persons, one with ``save`` (a new
    person) or ``same_as`` (a record of an existing person) writes the record."""
    if request.method != "POST":
        return _page(request)
    actor = request.actor  # type: ignore[attr-defined]
    post = request.POST
    source = (post.get("source") or "").strip()
    values = _values(post)
    name, contact = post.get("reporter_name"), post.get("reporter_contact")
    sealed = (post.get("reporter_sealed") or "").strip() or None
    same_as = (post.get("same_as") or "").strip()
    try:
        if "save" in post or same_as:
            if same_as and not same_as.isdigit():
                raise InvalidInput("same_as is a record number", field="same_as")
            saved = save_entry(
                actor,
                source,
                values,
                name,
                contact,
                reporter_sealed=sealed,
                same_as_record=int(same_as) if same_as else None,
            )
            if saved.same_as_record is not None:
                messages.success(
                    request,
                    _(
                        "Record %(record)s saved, as the same person as record %(other)s: "
                        "the next link run joins them."
                    )
                    % {"record": saved.record_id, "other": saved.same_as_record},
                )
            else:
                messages.success(
                    request,
                    _("Record %(record)s saved as a new person.") % {"record": saved.record_id},
                )
            return redirect("record", record_id=saved.record_id)
        check = check_entry(actor, source, values)
        if (name or "").strip() or (contact or "").strip():
            sealed = seal_reporter(actor, name, contact)
    except (InvalidInput, NotFound) as exc:
        return _page(request, post=post, sealed=sealed, error=exc, status=400)
    return _page(request, post=post, check=check, sealed=sealed)
