"""The headline sentence a group publishes, in English and Arabic, built from a count.

Wording rules: a category with unknowns beside it is stated as "at least N" with the unknowns
in brackets ("at least 17 children (41 of unknown age)"); without unknowns, the plain number.
Persons whose partial date only *may* fall in the window, and persons with no date, are
mentioned after the count, never added to it.

While pairs await review the number of persons is a range, and the sentence says so after
the count: "267 people ... by name (at least 249 if the 191 pairs awaiting review are
duplicates)"; with nothing awaiting review it says nothing extra. Records imported after the
link run are not in any figure of it, and the headline ends by saying how many.

Arabic text uses Western digits (0–9), as the Syrian documentation groups (VDC, SNHR) print
them and so a reader can check the Arabic figures against the English ones at a glance.
Counted nouns are phrased with "من" ("17 من الأطفال") so the sentence is grammatical for any
number without Arabic number–noun agreement rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from everyname.core.count.compute import CountResult
from everyname.core.schema import UNKNOWN

_WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
_MONTHS_AR = (
    "كانون الثاني/يناير",
    "شباط/فبراير",
    "آذار/مارس",
    "نيسان/أبريل",
    "أيار/مايو",
    "حزيران/يونيو",
    "تموز/يوليو",
    "آب/أغسطس",
    "أيلول/سبتمبر",
    "تشرين الأول/أكتوبر",
    "تشرين الثاني/نوفمبر",
    "كانون الأول/ديسمبر",
)
# Spelled out rather than taken from ``calendar``, whose names follow the process locale.
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def day_en(day: date) -> str:
    """ "Friday 3 February 2012"."""
    return f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def day_ar(day: date) -> str:
    """ "يوم الجمعة 3 شباط/فبراير 2012"."""
    return f"يوم {_WEEKDAYS_AR[day.weekday()]} {day.day} {_MONTHS_AR[day.month - 1]} {day.year}"


def _window(result: CountResult) -> tuple[date | None, date | None]:
    since, until = result.filters.get("since"), result.filters.get("until")
    return (
        date.fromisoformat(since) if since else None,
        date.fromisoformat(until) if until else None,
    )


def _outcome(result: CountResult) -> str:
    outcome = result.filters.get("outcome")
    if outcome is None and "outcome" in result.by and result.total:
        if result.figure("outcome", "killed") == result.total:
            outcome = "killed"
        elif result.figure("outcome", "injured") == result.total:
            outcome = "injured"
    return outcome or "both"


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _more(n: int) -> str:
    return "1 more person" if n == 1 else f"{n} more people"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _doubt_en(result: CountResult) -> str:
    if not result.in_doubt:
        return ""
    n = result.pairs_awaiting_review
    if n:
        pairs = (
            "the pair awaiting review is a duplicate"
            if n == 1
            else f"the {n} pairs awaiting review are duplicates"
        )
        return f" (at least {result.total_low} if {pairs})"
    return (
        f" ({result.total_low} once the reviewers' decisions made since link run "
        f"{result.link_run} are applied)"
    )


def _doubt_ar(result: CountResult) -> str:
    if not result.in_doubt:
        return ""
    n = result.pairs_awaiting_review
    if n:
        return (
            f" (أو {result.total_low} على الأقل إذا ثبت أن أزواج السجلات التي تنتظر المراجعة، "
            f"وعددها {n}، تخص الأشخاص أنفسهم)"
        )
    return (
        f" (أو {result.total_low} بعد تطبيق قرارات المراجعة المتخذة منذ عملية الربط "
        f"{result.link_run})"
    )


def not_linked_en(n: int, link_run: str) -> str:
    """The warning every figure of a link run carries when records were imported after it."""
    records = (
        "1 record imported since link run" if n == 1 else f"{n:,} records imported since link run"
    )
    verb = "is" if n == 1 else "are"
    return f"{records} {link_run} {verb} not in these figures: run `everyname link`."


def not_linked_ar(n: int, link_run: str) -> str:
    return (
        f"لا تشمل هذه الأرقام {n} من السجلات المستوردة بعد عملية الربط {link_run}: "
        "شغّل الأمر everyname link."
    )


def headline_en(
    result: CountResult, place: str | None = None, corroborated: int | None = None
) -> str:
    """The English headline. ``corroborated``: persons named by ≥2 independent sources."""
    since, until = _window(result)
    place = place or result.filters.get("place")
    verb = {"killed": "killed", "injured": "injured"}.get(_outcome(result), "killed or injured")
    if since and until:
        opening, tense = f"Between {day_en(since)} and {day_en(until)}", "were"
    elif since:
        opening, tense = f"Since {day_en(since)}", "have been"
    elif until:
        opening, tense = f"Up to {day_en(until)}", "were"
    else:
        opening, tense = "In all", "have been"
    if result.total == 1:
        tense = {"were": "was", "have been": "has been"}[tense]
    where = f" in {place}" if place else ""
    text = f"{opening}, {_people(result.total)} {tense} reported {verb}{where} by name"
    text += _doubt_en(result)
    clauses = []
    if "age_group" in result.by:
        children, unknown = result.figure("age_group", "child"), result.unknown("age_group")
        if unknown and children:
            clauses.append(
                f"including at least {_plural(children, 'child', 'children')} "
                f"({unknown} of unknown age)"
            )
        elif unknown:
            clauses.append(f"none known to be a child ({unknown} of unknown age)")
        elif children:
            clauses.append(f"including {_plural(children, 'child', 'children')}")
        elif result.total:
            clauses.append("none of them children")
    text += (", " + clauses[0]) if clauses else ""
    sentences = [text]
    if "status" in result.by and result.total:
        civilians, fighters = (
            result.figure("status", "civilian"),
            result.figure("status", "combatant"),
        )
        unknown = result.unknown("status")
        were = "was" if civilians == 1 else "were"
        lead = "at least " if unknown else ""
        status = f"{lead}{civilians} {were} {'a civilian' if civilians == 1 else 'civilians'}"
        if fighters:
            status += f" and {lead}{_plural(fighters, 'combatant', 'combatants')}"
        if unknown:
            status += f" ({unknown} of unknown status)"
        sentences[0] += "; " + status
    sentences[0] += "."
    if corroborated is not None:
        verb = "is" if corroborated == 1 else "are"
        sentences.append(
            f"{corroborated} of them {verb} named by at least two independent sources."
        )
    if result.possibly_in_window:
        n = len(result.possibly_in_window)
        sentences.append(
            f"{_more(n)} may fall in this period but {'is' if n == 1 else 'are'} not counted: "
            f"{'its date is' if n == 1 else 'their dates are'} known only to the month or year."
        )
    if result.date_unknown:
        n = len(result.date_unknown)
        sentences.append(f"{_more(n)} with no known date {'is' if n == 1 else 'are'} not counted.")
    if result.records_not_linked:
        sentences.append(not_linked_en(result.records_not_linked, result.link_run))
    return " ".join(sentences)


def headline_ar(
    result: CountResult, place: str | None = None, corroborated: int | None = None
) -> str:
    """The Arabic headline (Western digits; see the module note)."""
    since, until = _window(result)
    place = place or result.filters.get("place")
    noun = {"killed": "القتلى", "injured": "الجرحى"}.get(_outcome(result), "القتلى والجرحى")
    if since and until:
        opening = f"بين {day_ar(since)} و{day_ar(until)}"
    elif since:
        opening = f"منذ {day_ar(since)}"
    elif until:
        opening = f"حتى {day_ar(until)}"
    else:
        opening = "في المجمل"
    where = f" في {place}" if place else ""
    text = f"{opening}، بلغ عدد {noun} الموثَّقين بالاسم{where}: {result.total}"
    text += _doubt_ar(result)
    if "age_group" in result.by and result.total:
        children, unknown = result.figure("age_group", "child"), result.unknown("age_group")
        if unknown and children:
            text += f"، بينهم ما لا يقل عن {children} من الأطفال ({unknown} لم يُعرف عمرهم)"
        elif unknown:
            text += f"، لا يُعرف بينهم أطفال ({unknown} لم يُعرف عمرهم)"
        elif children:
            text += f"، بينهم {children} من الأطفال"
        else:
            text += "، ليس بينهم أطفال"
    if "status" in result.by and result.total:
        civilians, fighters = (
            result.figure("status", "civilian"),
            result.figure("status", "combatant"),
        )
        unknown = result.unknown("status")
        lead = "ما لا يقل عن " if unknown else ""
        text += f"؛ و{lead}{civilians} من المدنيين"
        if fighters:
            text += f" و{lead}{fighters} من المقاتلين"
        if unknown:
            text += f" ({unknown} لم تُعرف صفتهم)"
    sentences = [text + "."]
    if corroborated is not None:
        sentences.append(f"عدد من ذكرهم مصدران مستقلان على الأقل: {corroborated}.")
    if result.possibly_in_window:
        sentences.append(
            f"ولم يُحتسب {len(result.possibly_in_window)} ممن قد تندرج وفاتهم في هذه الفترة، "
            "لأن تاريخها معروف بالشهر أو السنة فقط."
        )
    if result.date_unknown:
        sentences.append(f"ولم يُحتسب {len(result.date_unknown)} ممن لا يُعرف تاريخ وفاتهم.")
    if result.records_not_linked:
        sentences.append(not_linked_ar(result.records_not_linked, result.link_run))
    return " ".join(sentences)


def headline(result: CountResult, language: str = "en", **kwargs: Any) -> str:
    """The headline in ``language`` ("en" or "ar")."""
    if language == "ar":
        return headline_ar(result, **kwargs)
    return headline_en(result, **kwargs)


__all__ = [
    "UNKNOWN",
    "day_ar",
    "day_en",
    "headline",
    "headline_ar",
    "headline_en",
    "not_linked_ar",
    "not_linked_en",
]
