"""Records' JSON kept compact: the long field names of ``as_written`` and ``normalised`` stored as
short codes, restored on reading.

A record's normalised values are forty short values under forty long names ("14", "day", "HSN"
under "date_of_death_precision", "given_key"...): the names were about half of every record's
bytes. They are stored as upper-case letters ("S" for "date_of_death_precision"), which no field
name is (nor a number, which a JSON path would take for an array index), and a
:class:`CompactJSONField` gives the long names back wherever Django reads the column, so no code
reading records sees the codes.

What SQL addresses by name keeps its name (:data:`KEPT`): the fields the record filters and the
name search use in the database (``normalised__sex``, ``normalised__place``...). A key
used that way later must be added to :data:`KEPT` with a data migration, or be filtered through
the field (``get_transform`` translates a long name into its code). Records stored before the
codes keep their long names and read the same; the codes are append-only: a code once given is
never reused or changed.

A record also keeps no value twice (issue 12: a list at most 6 × its size; see
benchmarks/results/storage.md): ``raw`` is the list of its cells, the headers kept once with the
batch (:func:`pack_raw`); ``as_written`` is null when the raw row gives it by the import's own
rule (:func:`derived_as_written`); ``normalised`` leaves out what it rebuilds exactly
(:func:`pack_normalised`). The fields below read every form back whole, so ``record.raw``,
``record.as_written`` and ``record.normalised`` (and ``values_list("normalised")``) are the
dicts as imported, whatever a row keeps: this module is the one reader of the stored forms.
What SQL filters by that ``normalised`` may leave out is in columns of its own
(:func:`filter_columns`). SQL cannot read ``as_written`` or ``raw`` by key any longer.
"""

from __future__ import annotations

import itertools
from calendar import monthrange
from datetime import date
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from everyname.core.ingest import NORMALISED_KEYS, forms_of_names, written_fields
from everyname.core.names import FORM_COLUMNS
from everyname.core.schema import NAME_FIELDS, SENSITIVE_FIELDS

FORM_KEYS = FORM_COLUMNS

KEPT = frozenset(
    {
        "full_name",
        "full_key",
        "sex",
        "status",
        "age_group",
        "place",
        "governorate",
        "district",
        "locality",
        "neighbourhood",
        "date_of_death_start",
        "date_of_death_end",
    }
)
"""Keys stored under their own names, because SQL addresses them by name."""

CODES: dict[str, str] = {
    "source_record_id": "A",
    "given_name": "B",
    "father_name": "C",
    "grandfather_name": "D",
    "family_name": "E",
    "mother_name": "F",
    "nickname": "G",
    "age": "H",
    "date_of_birth": "I",
    "national_id": "J",
    "date_of_death": "K",
    "cause": "L",
    "outcome": "M",
    "perpetrator": "N",
    "notes": "O",
    "age_years": "P",
    "age_min": "Q",
    "age_max": "R",
    "date_of_death_precision": "S",
    "date_of_birth_precision": "T",
    "date_of_birth_start": "U",
    "date_of_birth_end": "V",
    "given_ar": "W",
    "father_ar": "X",
    "grandfather_ar": "Y",
    "family_ar": "Z",
    "mother_ar": "AA",
    "given_lat": "AB",
    "father_lat": "AC",
    "grandfather_lat": "AD",
    "family_lat": "AE",
    "mother_lat": "AF",
    "given_key": "AG",
    "father_key": "AH",
    "grandfather_key": "AI",
    "family_key": "AJ",
    "mother_key": "AK",
    "full_ar": "AL",
    "full_lat": "AM",
    "is_placeholder": "AN",
    "name_forms_version": "AO",
}
"""Long name → code, append-only."""
NAMES = {code: name for name, code in CODES.items()}


def pack(value: Any) -> Any:
    """A record's dict with its long names as codes (anything else unchanged)."""
    if not isinstance(value, dict):
        return value
    return {CODES.get(key, key): item for key, item in value.items()}


def unpack(value: Any) -> Any:
    """A stored dict with its codes as long names (long names, as stored before, unchanged)."""
    if not isinstance(value, dict):
        return value
    return {NAMES.get(key, key): item for key, item in value.items()}


class CompactJSONField(models.JSONField):
    """A JSONField storing :func:`pack`'s form and reading :func:`unpack`'s.

    Deconstructs as a plain JSONField: the column is the same JSON column, so changing a field
    to this class needs no schema migration (and SQLite rebuilds no table).
    """

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(pack(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return unpack(super().from_db_value(value, expression, connection))

    def get_transform(self, name: str) -> Any:
        return super().get_transform(CODES.get(name, name))


# --- what a record stores of what it can rebuild (issue 12: at most 6 × the list's size) -------

DERIVED = "~"
"""Key of a stored ``normalised`` dict listing what was left out because it is rebuilt exactly
on reading (a string of :data:`RULES` letters); absent in a dict stored in full."""
FORMS, AGE, DEATH, BIRTH = "f", "a", "d", "b"
_DATE_RULES = tuple(
    (rule, name, f"{name}_start", f"{name}_end")
    for rule, name in ((DEATH, "date_of_death"), (BIRTH, "date_of_birth"))
)


def _forms_of(values: dict[str, Any]) -> dict[str, Any] | None:
    """The name forms ``core.ingest.normalise`` gives a record's names (the non-empty ones)."""
    names = tuple((k, v) for k in NAME_FIELDS if (v := values.get(k)))
    if not names:
        return None
    return {k: v for k, v in forms_of_names(names).items() if v is not None}


def _bounds(text: Any, precision: Any) -> tuple[str, str] | None:
    """The first and last day of an ISO partial date, as ``core.dates`` gives them for the
    precisions whose span the date alone says (day, month, year)."""
    if not isinstance(text, str):
        return None
    try:
        if precision == "day" and len(text) == 10:
            date.fromisoformat(text)
            return text, text
        if precision == "month" and len(text) == 7:
            year, month = int(text[:4]), int(text[5:])
            return f"{text}-01", f"{text}-{monthrange(year, month)[1]:02d}"
        if precision == "year" and len(text) == 4 and text.isdigit():
            return f"{text}-01-01", f"{text}-12-31"
    except ValueError:
        return None
    return None


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def pack_normalised(values: Any) -> Any:
    """A record's normalised dict as stored: long names as codes, and without what is rebuilt
    exactly from the rest (:func:`unpack_normalised`): the name forms when they are today's
    forms of its names, an exact age's bounds, the span of a date given to the day, month or
    year. Each part is left out only after checking that it comes back equal."""
    if not isinstance(values, dict) or DERIVED in values:
        return pack(values)
    rules = ""
    left_out: set[str] = set()
    forms = _forms_of(values)
    if forms is not None and {k: values[k] for k in FORM_KEYS if k in values} == forms:
        left_out.update(forms)
        rules += FORMS
    years = values.get("age_years")
    if (
        years is not None
        and _same(values.get("age_min"), years)
        and _same(values.get("age_max"), years)
    ):
        left_out.update(("age_min", "age_max"))
        rules += AGE
    for rule, name, start, end in _DATE_RULES:
        bounds = _bounds(values.get(name), values.get(f"{name}_precision"))
        if bounds is not None and (values.get(start), values.get(end)) == bounds:
            left_out.update((start, end))
            rules += rule
    codes = CODES
    packed = {codes.get(k, k): v for k, v in values.items() if k not in left_out}
    if rules:
        packed[DERIVED] = rules
    return packed


_FORM_KEY_SET = frozenset(FORM_KEYS)
_DATE_KEYS = tuple(
    (rule, name, f"{name}_precision", start, end) for rule, name, start, end in _DATE_RULES
)
_cached_bounds = lru_cache(maxsize=4096)(_bounds)
""":func:`_bounds` remembered: a list has a few thousand distinct dates for a million rows."""
_second = itemgetter(1)


@cache
def _stored_codes(rules: str) -> dict[str, str | None]:
    """The code each key of a parsed record's normalised dict is stored under when ``rules``
    leave out what they rebuild: None for what is not stored (that, and reporter identity); a
    key not here is stored under its own name."""
    left_out = set(SENSITIVE_FIELDS)
    if FORMS in rules:
        left_out.update(FORM_KEYS)
    if AGE in rules:
        left_out.update(("age_min", "age_max"))
    for rule, _name, start, end in _DATE_RULES:
        if rule in rules:
            left_out.update((start, end))
    return {**CODES, **dict.fromkeys(left_out)}


def pack_parsed_normalised(normalised: dict[str, Any]) -> dict[str, Any]:
    """Exactly ``pack_normalised(record_stream.stored_normalised(normalised))``, for a file's
    import: each rule's check first, reading only the values it needs, then one pass over the
    dict that codes its names and leaves out unknown values, reporter identity and what the
    rules rebuild, instead of a pass for each (date spans remembered). Each part is still left
    out only after checking that it comes back equal; a test holds this to the straightforward
    composition, byte for byte."""
    get = normalised.get
    if get(DERIVED) is not None:
        return pack(
            {k: v for k, v in normalised.items() if v is not None and k not in SENSITIVE_FIELDS}
        )
    rules = ""
    names = tuple(filter(_second, zip(NAME_FIELDS, map(get, NAME_FIELDS), strict=True)))
    if names:
        forms = forms_of_names(names)
        # pack_normalised compares the forms that are not None with the dict's form keys that
        # are not None: the same as comparing both, key by key, as None-or-value, when the
        # forms have no key of their own beyond the form keys.
        if tuple(map(get, FORM_KEYS)) == tuple(map(forms.get, FORM_KEYS)) and (
            forms.keys() <= _FORM_KEY_SET
            or all(forms[k] is None for k in forms.keys() - _FORM_KEY_SET)
        ):
            rules = FORMS
    years = get("age_years")
    if years is not None and _same(get("age_min"), years) and _same(get("age_max"), years):
        rules += AGE
    for rule, name, precision, start, end in _DATE_KEYS:
        text, given = get(name), get(precision)
        if isinstance(text, str) and isinstance(given, str):
            bounds = _cached_bounds(text, given)
            if bounds is not None and (get(start), get(end)) == bounds:
                rules += rule
    code_of = _stored_codes(rules)
    packed = {code_of.get(k, k): v for k, v in normalised.items() if v is not None}
    packed.pop(None, None)  # the "code" of all that is not stored
    if rules:
        packed[DERIVED] = rules
    return packed


def unpack_normalised(stored: Any) -> Any:
    """The inverse of :func:`pack_normalised` (a dict stored in full reads as it is)."""
    values = unpack(stored)
    if not isinstance(values, dict) or DERIVED not in values:
        return values
    rules = values.pop(DERIVED)
    if FORMS in rules:
        values.update(_forms_of(values) or {})
    if AGE in rules:
        values["age_min"] = values["age_max"] = values["age_years"]
    for rule, name, _start, _end in _DATE_RULES:
        if rule in rules:
            bounds = _bounds(values[name], values[f"{name}_precision"])
            values[f"{name}_start"], values[f"{name}_end"] = bounds  # type: ignore[misc]
    order = _key_order()
    return dict(sorted(values.items(), key=lambda item: order.get(item[0], len(order))))


@lru_cache(maxsize=1)
def _key_order() -> dict[str, int]:
    """Keys in the order ``core.ingest.normalise`` gives them, as a record stored in full
    keeps them."""
    return {key: n for n, key in enumerate(NORMALISED_KEYS)}


def filter_columns(normalised: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The values SQL filters records by, kept in columns of their own (``Record.name_key``,
    ``death_from``, ``death_to``): the whole name's key and the span of the date of death."""
    return (
        normalised.get("full_key") or None,
        normalised.get("date_of_death_start") or None,
        normalised.get("date_of_death_end") or None,
    )


def derived_as_written(raw: dict[str, Any], plan: dict[str, Any]) -> dict[str, str]:
    """The text of each field as the import read it from the raw row, by the import's own rule
    (``core.ingest.written_fields``), with the mapping's defaults; never reporter identity."""
    values = written_fields(raw, plan["columns"], plan["label_notes"])
    for name, value in plan["defaults"].items():
        values.setdefault(name, value)
    return {k: v for k, v in values.items() if k not in SENSITIVE_FIELDS}


def pack_raw(raw: dict[str, Any], plan: dict[str, Any] | None) -> Any:
    """A raw row as stored: the list of its cells when its columns are the batch's (the
    headers are kept once, with the batch), else the dict as read."""
    if (
        plan is not None
        and list(raw) == plan["headers"]
        and all(map(isinstance, raw.values(), _STR))
    ):
        return list(raw.values())
    return raw


_STR = itertools.repeat(str)
"""``str`` as often as asked: ``map(isinstance, values, _STR)`` checks that all are text (in C:
this runs for every row of an import)."""


def unpack_raw(stored: Any, plan: dict[str, Any] | None) -> Any:
    if isinstance(stored, list):
        if plan is None:
            raise ValueError("a raw row stored as a list needs its batch's record plan")
        return dict(zip(plan["headers"], stored, strict=True))
    return stored


def pack_as_written(
    as_written: dict[str, str], raw: dict[str, Any], plan: dict[str, Any] | None
) -> dict[str, str] | None:
    """None when the raw row and the batch's plan give ``as_written`` exactly (the usual
    case), else the dict itself."""
    if plan is not None and derived_as_written(raw, plan) == as_written:
        return None
    return as_written


def batch_plan(columns: Any) -> dict[str, Any] | None:
    """The record plan a batch's ``columns`` keep (None for a batch stored without one)."""
    return columns.get(PLAN) if isinstance(columns, dict) else None


PLAN = "record_plan"
"""Key of ``Batch.columns`` holding ``core.ingest.record_plan``."""


class NormalisedJSONField(CompactJSONField):
    """``Record.normalised``: stored by :func:`pack_normalised`, read by
    :func:`unpack_normalised`, so every reader (values_list included) sees the whole dict."""

    def get_prep_value(self, value: Any) -> Any:
        return models.JSONField.get_prep_value(self, pack_normalised(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return unpack_normalised(
            models.JSONField.from_db_value(self, value, expression, connection)
        )


class _RebuiltAttribute(DeferredAttribute):
    """Reads a record's stored column through its field's ``rebuild`` (the raw row from its
    list, ``as_written`` from the raw row), so ``record.raw`` and ``record.as_written`` are the
    dicts as imported whatever form the row keeps them in; setting stores the given form."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        stored = super().__get__(instance, cls)
        key = f"_rebuilt_{self.field.attname}"
        cached = instance.__dict__.get(key)
        if cached is not None and cached[0] is stored:
            return cached[1]
        value = self.field.rebuild(instance, stored)  # type: ignore[attr-defined]
        instance.__dict__[key] = (stored, value)
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


def _plan_of(record: Any) -> dict[str, Any] | None:
    return batch_plan(record.batch.columns)


class RawRowField(models.JSONField):
    """``Record.raw``: a list of cells (see :func:`pack_raw`) or the dict; reads as the dict."""

    descriptor_class = _RebuiltAttribute

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        return model_instance.__dict__.get(self.attname)

    def rebuild(self, instance: Any, stored: Any) -> Any:
        return unpack_raw(stored, _plan_of(instance)) if isinstance(stored, list) else stored


class AsWrittenField(CompactJSONField):
    """``Record.as_written``: null when the raw row gives it (:func:`pack_as_written`); reads
    as the dict as imported either way."""

    descriptor_class = _RebuiltAttribute

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        return model_instance.__dict__.get(self.attname)

    def rebuild(self, instance: Any, stored: Any) -> Any:
        if stored is not None:
            return stored
        plan = _plan_of(instance)
        if plan is None:
            raise ValueError(f"record {instance.pk} has no as_written and its batch no plan")
        return derived_as_written(instance.raw, plan)
