"""``{% load moments %}``: a moment written the same way on every page.

The store's plain data carry moments as ISO text ("2026-12-05T19:33:09+00:00"), the models as
datetimes; pages showed either as it came. ``{% moment value %}`` writes a ``<time>`` element
reading "2026-12-05 19:33" in the server's time zone, its ``datetime`` attribute the exact
moment for a machine; ``value|when`` is the same text alone, for a sentence that is translated
whole. Anything that is not a moment is shown as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

register = template.Library()

SHOWN = "%Y-%m-%d %H:%M"


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except ValueError:
            return None
    else:
        return None
    if moment is not None and timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment


@register.filter
def when(value: Any) -> Any:
    """``value`` as "YYYY-MM-DD HH:MM" when it is a moment, otherwise as it is."""
    moment = _moment(value)
    return value if moment is None else moment.strftime(SHOWN)


@register.simple_tag
def moment(value: Any) -> str:
    """A ``<time>`` element for ``value`` (left to right in an Arabic page too)."""
    found = _moment(value)
    if found is None:
        return format_html('<time dir="ltr">{}</time>', "" if value is None else value)
    return format_html(
        '<time dir="ltr" datetime="{}">{}</time>', found.isoformat(), found.strftime(SHOWN)
    )
