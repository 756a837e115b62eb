"""``{% load problems %}``: ``{% expected p.expected %}`` writes what a value or a row should
have been in the page's language (:mod:`everyname.web.expected_text`), or the core's English
marked as English when the page cannot say it otherwise."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from everyname.web.expected_text import expected as said

register = template.Library()


@register.simple_tag
def expected(english: str | None) -> str:
    text = said(english)
    if text == english:
        return format_html('<bdi lang="en" dir="ltr">{}</bdi>', english or "")
    return format_html('<span data-said="expected">{}</span>', text)
