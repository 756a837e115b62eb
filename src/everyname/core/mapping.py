"""TOML mappings: how one source's columns and values become canonical fields.

A mapping is for anything header recognition cannot know: renamed columns, a column that holds
two fields (VDC's "Adult - Male"), value codes ("h" → ...), the order of day and month, and
defaults that apply to a whole list ("everyone on this list was killed in Homs")::

    description = "VDC martyrs export"
    ignore = ["Photo"]                       # columns deliberately unused
    not_identity = ["Hospital phone"]        # looks like a witness's contact, is not one
    encoding = "windows-1256"                 # optional; detected when absent
    recognise_headers = true                  # other columns still recognised by header

    [columns]
    "Name" = "full_name"
    "Sex" = ["sex", "age_group"]

    [values.sex]
    "Adult - Male" = "male"                   # vocabulary fields: a vocabulary value
    [values.age]
    "0" = ""                                  # other fields: replacement text; "" = unknown

    [dates]
    order = "DMY"                             # for 7/2/2012; ISO dates are always year first

    [defaults]                                # used when a row has no value of its own
    outcome = "killed"
    governorate = "Homs"

:func:`load_mapping` checks everything at once and raises :class:`InputRejected` listing every
problem with the mapping file's name and the key, so a user fixes the file in one go.

A witness's identity never passes through a mapping in the clear: a column that looks like one
(:func:`everyname.core.headers.identity_field`) feeds only ``reporter_name`` or
``reporter_contact`` unless ``not_identity`` names it, and there are no defaults or value maps
for those fields (the mapping's text is kept with the batch, unencrypted). A refusal never
repeats such a value.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from everyname.core.dates import DATE_ORDERS, InvalidDate, parse_date
from everyname.core.errors import InputRejected, Problem
from everyname.core.headers import identity_field
from everyname.core.schema import (
    CANONICAL_FIELDS,
    NAME_COLUMN_FIELDS,
    SENSITIVE_FIELDS,
    VOCABULARIES,
)
from everyname.core.values import InvalidValue, match_key, parse_age

__all__ = ["MULTI_COLUMN_FIELDS", "Mapping", "load_mapping", "parse_mapping"]

_TOP_LEVEL = {
    "description",
    "encoding",
    "delimiter",
    "sheet",
    "ignore",
    "not_identity",
    "recognise_headers",
    "columns",
    "values",
    "dates",
    "defaults",
}
MULTI_COLUMN_FIELDS = frozenset({"notes"})
"""Fields that several columns may feed; their texts are joined as "Column: text; Column: text"."""
_DATE_FIELDS = ("date_of_death", "date_of_birth")


@dataclass(frozen=True)
class Mapping:
    """A checked mapping. ``values`` keys are :func:`match_key` forms of the source values."""

    name: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_order: str = "DMY"
    defaults: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    not_identity: tuple[str, ...] = ()
    recognise_headers: bool = True
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    description: str = ""

    def missing_columns(self, file_name: str, columns: Iterable[str]) -> list[Problem]:
        """Problems for each mapped or ignored column that the data file does not have."""
        present = set(columns)
        shown = ", ".join(repr(c) for c in columns) or "none"
        return [
            Problem(
                file=self.name,
                column=f"columns.{column}",
                value=column,
                expected=f"a column of {file_name}; its columns are: {shown}",
            )
            for column in self.columns
            if column not in present
        ]


def _problem(mapping_name: str, key: str, expected: str, value: Any = None) -> Problem:
    return Problem(
        file=mapping_name,
        column=key,
        value=None if value is None else str(value),
        expected=expected,
    )


def _check_field(name: str) -> bool:
    return name in CANONICAL_FIELDS


def parse_mapping(text: str, name: str = "mapping.toml") -> Mapping:
    """Check a mapping given as TOML text; ``name`` is the file name used in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"at line (\d+)", str(error))
        line = int(found.group(1)) if found else None
        raise InputRejected(
            [Problem(file=name, row=line, expected=f"valid TOML ({error})")],
            summary=f"{name} is not a valid mapping",
        ) from None
    problems: list[Problem] = []
    fields_list = ", ".join(CANONICAL_FIELDS)

    for key in data:
        if key not in _TOP_LEVEL:
            problems.append(
                _problem(name, key, f"one of: {', '.join(sorted(_TOP_LEVEL))}", value=key)
            )

    columns: dict[str, tuple[str, ...]] = {}
    raw_columns = data.get("columns", {})
    if not isinstance(raw_columns, dict):
        problems.append(_problem(name, "columns", 'a table: [columns] "Header" = "field"'))
        raw_columns = {}
    feeders: dict[str, str] = {}
    for column, target in raw_columns.items():
        targets = [target] if isinstance(target, str) else target
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            problems.append(
                _problem(name, f"columns.{column}", "a field name or a list of field names")
            )
            continue
        for target_field in targets:
            if not _check_field(target_field):
                problems.append(
                    _problem(
                        name,
                        f"columns.{column}",
                        f"a canonical field, one of: {fields_list}",
                        value=target_field,
                    )
                )
            elif target_field in feeders and target_field not in MULTI_COLUMN_FIELDS:
                problems.append(
                    _problem(
                        name,
                        f"columns.{column}",
                        f"each field from one column only; {target_field} already comes from "
                        f"{feeders[target_field]!r} (only notes may gather several columns)",
                        value=target_field,
                    )
                )
            else:
                feeders[target_field] = column
        sensitive = [t for t in targets if t in SENSITIVE_FIELDS]
        if sensitive and len(sensitive) < len(targets):
            # The column's text is encrypted; any other field it fed would keep it in the clear
            # (as written, normalised, in a flag when it cannot be read).
            problems.append(
                _problem(
                    name,
                    f"columns.{column}",
                    f"a column of witness identity ({', '.join(SENSITIVE_FIELDS)}) feeding only "
                    "those fields, so that it is stored only encrypted",
                    value=", ".join(targets),
                )
            )
        columns[column] = tuple(targets)

    not_identity = data.get("not_identity", [])
    if not isinstance(not_identity, list) or not all(isinstance(c, str) for c in not_identity):
        problems.append(_problem(name, "not_identity", "a list of column names"))
        not_identity = []
    for column, targets in columns.items():
        looks_like = identity_field(column)
        if looks_like and column not in not_identity and not set(targets) & set(SENSITIVE_FIELDS):
            problems.append(
                _problem(
                    name,
                    f"columns.{column}",
                    f"a column that looks like a witness's identity or contact mapped to "
                    f'{looks_like} ("{looks_like}", stored encrypted), or, if it holds no '
                    f"person's identity, named in not_identity = [...]",
                    value=", ".join(targets),
                )
            )

    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(c, str) for c in ignore):
        problems.append(_problem(name, "ignore", "a list of column names"))
        ignore = []
    for column in ignore:
        if column in columns:
            problems.append(
                _problem(name, f"ignore.{column}", "a column either mapped or ignored, not both")
            )

    date_order = "DMY"
    dates = data.get("dates", {})
    if not isinstance(dates, dict):
        problems.append(_problem(name, "dates", 'a table: [dates] order = "DMY"'))
        dates = {}
    for key, value in dates.items():
        if key != "order":
            problems.append(_problem(name, f"dates.{key}", "only the key order", value=key))
        elif value not in DATE_ORDERS:
            problems.append(
                _problem(name, "dates.order", f"one of {', '.join(DATE_ORDERS)}", value=value)
            )
        else:
            date_order = value

    values: dict[str, dict[str, str]] = {}
    raw_values = data.get("values", {})
    if not isinstance(raw_values, dict):
        problems.append(_problem(name, "values", "tables such as [values.sex]"))
        raw_values = {}
    for field_name, table in raw_values.items():
        if field_name in SENSITIVE_FIELDS:
            # Its source values and replacements would be witnesses' names, kept with the batch
            # in the mapping's text, in the clear.
            problems.append(
                _problem(
                    name,
                    f"values.{field_name}",
                    "no value map for a witness's identity (reporter_name, reporter_contact): "
                    "the mapping is stored unencrypted; correct such values in the list",
                )
            )
            continue
        if not _check_field(field_name):
            problems.append(
                _problem(
                    name,
                    f"values.{field_name}",
                    f"a canonical field, one of: {fields_list}",
                    value=field_name,
                )
            )
            continue
        if not isinstance(table, dict):
            problems.append(
                _problem(name, f"values.{field_name}", '"source value" = "canonical value" pairs')
            )
            continue
        vocabulary = VOCABULARIES.get(field_name)
        allowed = [m.value for m in vocabulary] if vocabulary else None
        checked: dict[str, str] = {}
        for source_value, target in table.items():
            key = f"values.{field_name}.{source_value}"
            if not isinstance(target, str):
                problems.append(_problem(name, key, "a text value", value=target))
            elif allowed is not None and target not in allowed:
                problems.append(
                    _problem(name, key, f"a {field_name} value: {', '.join(allowed)}", target)
                )
            elif (
                allowed is None
                and target
                and (problem := _check_default(name, key, field_name, target, date_order))
            ):
                problems.append(problem)
            else:
                checked[match_key(source_value)] = target
        values[field_name] = checked

    defaults: dict[str, str] = {}
    raw_defaults = data.get("defaults", {})
    if not isinstance(raw_defaults, dict):
        problems.append(_problem(name, "defaults", 'a table: [defaults] outcome = "killed"'))
        raw_defaults = {}
    for field_name, value in raw_defaults.items():
        key = f"defaults.{field_name}"
        if not _check_field(field_name):
            problems.append(
                _problem(name, key, f"a canonical field, one of: {fields_list}", field_name)
            )
        elif field_name in SENSITIVE_FIELDS:
            problems.append(_problem(name, key, _NO_SENSITIVE_DEFAULT))
        elif not isinstance(value, str):
            problems.append(_problem(name, key, "a text value in quotes", value=value))
        elif field_name in NAME_COLUMN_FIELDS or field_name == "source_record_id":
            problems.append(_problem(name, key, "no default for a name or record id", value))
        else:
            problem = _check_default(name, key, field_name, value, date_order)
            if problem:
                problems.append(problem)
            else:
                defaults[field_name] = value

    options: dict[str, Any] = {}
    for option in ("encoding", "delimiter", "sheet", "description"):
        if option in data:
            if not isinstance(data[option], str):
                problems.append(_problem(name, option, "a text value in quotes", data[option]))
            else:
                options[option] = data[option]
    if "encoding" in options:
        import codecs

        try:
            # rot13, base64, zlib... are codecs too, but turn bytes into bytes or text into
            # text: only a text encoding can read a list.
            if not codecs.lookup(options["encoding"])._is_text_encoding:
                raise LookupError(options["encoding"])
        except LookupError:
            problems.append(
                _problem(
                    name,
                    "encoding",
                    "an encoding name such as utf-8, utf-16, windows-1256",
                    options["encoding"],
                )
            )
    if "delimiter" in options and len(options["delimiter"]) != 1:
        problems.append(
            _problem(
                name, "delimiter", 'one character such as "," ";" or "\\t"', options["delimiter"]
            )
        )
    recognise = data.get("recognise_headers", True)
    if not isinstance(recognise, bool):
        problems.append(_problem(name, "recognise_headers", "true or false", recognise))
        recognise = True

    if problems:
        raise InputRejected(problems, summary=f"{name}: {len(problems)} problem(s) in the mapping")
    return Mapping(
        name=name,
        columns=columns,
        values=values,
        date_order=date_order,
        defaults=defaults,
        ignore=tuple(ignore),
        not_identity=tuple(not_identity),
        recognise_headers=recognise,
        encoding=options.get("encoding"),
        delimiter=options.get("delimiter"),
        sheet=options.get("sheet"),
        description=options.get("description", ""),
    )


_NO_SENSITIVE_DEFAULT = (
    "no default for a witness's identity (reporter_name, reporter_contact): a default is kept "
    "with the batch unencrypted; give it in a column of the list, which is stored encrypted"
)


def _check_default(
    name: str, key: str, field_name: str, value: str, date_order: str
) -> Problem | None:
    """A default is applied to thousands of rows: it must be readable, not just kept as written."""
    from everyname.core.values import normalise_vocabulary

    vocabulary = VOCABULARIES.get(field_name)
    if vocabulary is not None:
        if normalise_vocabulary(field_name, value) == "unknown" and value != "unknown":
            allowed = ", ".join(m.value for m in vocabulary)
            return _problem(name, key, f"a {field_name} value: {allowed}", value)
        return None
    try:
        if field_name in _DATE_FIELDS:
            if parse_date(value, date_order) is None:
                return _problem(name, key, "a date, not a placeholder", value)
        elif field_name == "age" and parse_age(value) is None:
            return _problem(name, key, "an age such as 34, 3 months or 40s", value)
    except (InvalidDate, InvalidValue) as error:
        return _problem(name, key, error.expected, value)
    return None


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file. Raises :class:`InputRejected` with every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputRejected(
            [Problem(file=str(path), expected="an existing mapping file (.toml)")],
            summary=f"mapping {path} not found",
        ) from None
    except (UnicodeDecodeError, OSError) as error:
        raise InputRejected(
            [Problem(file=path.name, expected=f"a readable UTF-8 TOML file ({error})")],
            summary=f"mapping {path.name} cannot be read",
        ) from None
    return parse_mapping(text, name=path.name)


def with_defaults(
    mapping: Mapping | None, defaults: dict[str, str], name: str = "--default"
) -> Mapping:
    """``mapping`` with list-wide defaults given on the command line (they win over the file's).

    "Everyone on this list was killed" is the most common thing a recorder knows about a list
    that its columns do not say; checked like a mapping's own ``[defaults]``.
    """
    problems = []
    order = mapping.date_order if mapping else "DMY"
    for field_name, value in defaults.items():
        key = f"{name} {field_name}"
        # The value is not repeated unless the field is a plain canonical one: a misspelt or
        # sensitive field may carry a witness's name.
        if field_name in SENSITIVE_FIELDS:
            problems.append(_problem(name, key, _NO_SENSITIVE_DEFAULT))
            continue
        if field_name not in CANONICAL_FIELDS:
            problems.append(_problem(name, key, "a canonical field, e.g. outcome=killed"))
            continue
        problem = _check_default(name, key, field_name, value, order)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise InputRejected(problems, f"{name}: {len(problems)} problem(s); nothing was imported")
    base = mapping or Mapping(name=name)
    return replace(base, defaults={**base.defaults, **defaults})
