"""Pages and filters as every list use case takes them: one set of rules for the audit log,
records, persons and the review queue, so a front end pages them all the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from django.db.models import QuerySet

from everyname.core.errors import InvalidInput

MAX_PAGE_SIZE = 500

F = TypeVar("F")


def check_paging(page: int, page_size: int) -> None:
    """Pages are numbered from 1; a page holds at most ``MAX_PAGE_SIZE`` items."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InvalidInput(f"page must be a whole number from 1, got {page!r}", field="page")
    if (
        isinstance(page_size, bool)
        or not isinstance(page_size, int)
        or not 1 <= page_size <= MAX_PAGE_SIZE
    ):
        raise InvalidInput(
            f"page size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {page_size!r}",
            field="page_size",
        )


@dataclass(frozen=True)
class Page:
    """One page of items (each with ``to_dict()``) and how many match in all. A page past the
    end is empty, not an error, so a reader still learns the total."""

    items: tuple[Any, ...]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [item.to_dict() for item in self.items],
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "total": self.total,
        }


def page_of(query: QuerySet, page: int, page_size: int) -> tuple[list[Any], int]:
    """The rows of one page of an ordered query, and the total it matches."""
    check_paging(page, page_size)
    total = query.count()
    offset = (page - 1) * page_size
    return list(query[offset : offset + page_size]), total


def filters_of(cls: type[F], filters: F | Mapping[str, Any] | None) -> F:
    """Filters as any front end gives them: the dataclass itself, a mapping of its field names
    (an unknown name is refused, naming it; empty values are no filter), or None."""
    if filters is None:
        return cls()
    if isinstance(filters, cls):
        return filters
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    for name in filters:  # type: ignore[union-attr]
        if name not in known:
            raise InvalidInput(
                f"unknown filter {name!r}; filters: {', '.join(sorted(known))}", field=name
            )
    return cls(**{k: v for k, v in filters.items() if v not in (None, "")})  # type: ignore[union-attr]
