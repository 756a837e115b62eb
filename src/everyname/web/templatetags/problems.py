"""``{% load problems %}``: sentences the core writes in English, on a page in its language.

``{% said text english "name" %}`` writes ``text`` (the page's own sentence, marked
``data-said="name"``) or, when it is the core's ``english`` unchanged (a page in English, or a
sentence the page cannot say otherwise), that English marked as English, left to right.
``{% expected p.expected %}`` is that for what a value or a row should have been
(:mod:`everyname.web.expected_text`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from everyname.web.expected_text import expected as expected_text

register = template.Library()


@register.simple_tag
def said(text: Any, english: str | None, name: str) -> str:
    if text == english:
        return format_html('<bdi lang="en" dir="ltr">{}</bdi>', english or "")
    return format_html('<span data-said="{}">{}</span>', name, text)


@register.simple_tag
def expected(english: str | None) -> str:
    return said(expected_text(english), english, "expected")
