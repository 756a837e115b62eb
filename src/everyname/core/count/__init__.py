"""Counting persons: filters, breakdowns, per-source figures and the headline sentence.

Entry points: :func:`count_persons` (the ``count`` command), :func:`crosstab` (two-way tables
for the report), :func:`source_figures` and :func:`headline`.
"""

from everyname.core.count.compute import (
    CountResult,
    Figure,
    Selection,
    count_persons,
    crosstab,
    select_persons,
)
from everyname.core.count.data import CountInput, CountInputError
from everyname.core.count.filters import CountFilters, InWindow, PlaceHierarchy, PlaceScope
from everyname.core.count.headline import headline, headline_ar, headline_en
from everyname.core.count.sources import SourceFigures, source_figures

__all__ = [
    "CountFilters",
    "CountInput",
    "CountInputError",
    "CountResult",
    "Figure",
    "InWindow",
    "PlaceHierarchy",
    "PlaceScope",
    "Selection",
    "SourceFigures",
    "count_persons",
    "crosstab",
    "headline",
    "headline_ar",
    "headline_en",
    "select_persons",
    "source_figures",
]
