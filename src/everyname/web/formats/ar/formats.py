"""Arabic pages write Western digits (dates, counts, the headline, as the lists themselves do),
so a decimal is written with a point and thousands with a comma, as every figure the app
formats itself already is: Django's Arabic defaults (a decimal comma, a thousands point) made
a match weight "6,61" beside a score of "98.9%" on one page, and a thousand read as "1.000"."""

from django.conf.locale.ar.formats import *  # noqa: F403  (dates and times as Django's Arabic)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
