"""``/persons/`` and a person's page on the demo's lists, imported and linked for real (Splink
on DuckDB): a name typed in Arabic or in Latin letters finds the person of both spellings, the
filters live in the URL, a recorder sees only their sources, and a person's page sets the
records side by side with every conflict saying which source says what."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from everyname.core.names import has_arabic
from everyname.store.linking import run_link
from everyname.store.models import Source, UserRole
from everyname.store.persons import get_person, list_persons

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(demo_imported, cast):
    run_link(cast["admin"])
    return demo_imported


def listed(html: str) -> list[str]:
    """The person ids a list page links to, in order."""
    return re.findall(r'href="/persons/([^/"]+)/"', html)


def two_scripts(actor):
    """A person of the demo named in Arabic by one record and in Latin letters by another."""
    for summary in list_persons(actor, page_size=500).items:
        if summary.n_records < 2:
            continue
        detail = get_person(actor, summary.person_id)
        arabic = [r.name for r in detail.records if r.name and has_arabic(r.name)]
        latin = [r.name for r in detail.records if r.name and not has_arabic(r.name)]
        if arabic and latin:
            return detail, arabic[0], latin[0]
    raise AssertionError("the demo has no person named in both scripts")


def test_a_name_in_either_script_finds_the_person_of_both_spellings(client, sign_in, linked, cast):
    sign_in(client, "reviewer")
    person, arabic, latin = two_scripts(cast["reviewer"])
    for typed in (arabic, latin):
        page = client.get("/persons/", {"q": typed})
        assert page.status_code == 200
        found = listed(page.content.decode())
        assert person.person_id in found, typed
        assert found == [p.person_id for p in list_persons(cast["reviewer"], typed).items]
    # The name as typed stays in the box, so the search can be read and shared.
    page = client.get("/persons/", {"q": arabic}).content.decode()
    assert f'value="{escape(arabic)}"' in page


def test_filters_live_in_the_url_and_the_pager_keeps_them(client, sign_in, linked, cast):
    sign_in(client, "analyst")
    query = {"status": "civilian", "since": "2012-02-03", "until": "2012-02-09"}
    page = client.get("/persons/", query)
    html = page.content.decode()
    expected = list_persons(cast["analyst"], None, query, 1, 50)
    assert expected.total > 50
    assert listed(html) == [p.person_id for p in expected.items]
    assert f"{expected.total} in all" in html
    assert 'rel="next"' in html and "status=civilian" in html and "page=2" in html
    second = client.get("/persons/", {**query, "page": "2"}).content.decode()
    assert listed(second) == [
        p.person_id for p in list_persons(cast["analyst"], None, query, 2, 50).items
    ]
    # selected filters stay selected
    assert '<option value="civilian" selected>' in html
    for field, value in (("place", "Baba Amr"), ("sex", "female"), ("age_group", "child")):
        one = client.get("/persons/", {field: value}).content.decode()
        assert listed(one) == [
            p.person_id for p in list_persons(cast["analyst"], None, {field: value}).items
        ]
        assert listed(one), field


def test_a_bad_filter_is_named_and_nothing_is_listed(client, sign_in, linked):
    sign_in(client, "analyst")
    page = client.get("/persons/", {"since": "2012-02-10", "until": "2012-02-01"})
    assert page.status_code == 400
    assert "until" in page.content.decode() and not listed(page.content.decode())
    assert client.get("/persons/", {"page": "two"}).status_code == 400


def test_a_recorder_sees_only_the_persons_of_their_sources(client, sign_in, linked, cast):
    user = sign_in(client, "recorder")
    role = UserRole.objects.get(user=user)
    role.sources.set(Source.objects.filter(code="lcc_homs"))
    html = client.get("/persons/", {"q": ""}).content.decode()
    ids = listed(html)
    assert ids
    for person_id in ids:
        assert "lcc_homs" in get_person(cast["admin"], person_id).sources
    shared = next(
        p
        for p in list_persons(cast["admin"], page_size=500).items
        if len(p.sources) > 1 and "lcc_homs" in p.sources
    )
    page = client.get(f"/persons/{shared.person_id}/").content.decode()
    assert "not assigned to" in page
    elsewhere = next(
        p for p in list_persons(cast["admin"], page_size=500).items if "lcc_homs" not in p.sources
    )
    assert client.get(f"/persons/{elsewhere.person_id}/").status_code == 403
    assert client.get("/persons/", {"source": "ngo_national"}).status_code == 403


def test_the_person_page_sets_records_side_by_side_and_names_each_conflict(
    client, sign_in, linked, cast
):
    sign_in(client, "reviewer")
    admin = cast["admin"]
    person = next(
        d
        for d in (get_person(admin, p.person_id) for p in list_persons(admin, page_size=500).items)
        if any(c["field"] == "age_years" for c in d.conflicts)
    )
    html = client.get(f"/persons/{person.person_id}/").content.decode()
    assert f'<code dir="ltr" id="person-id">{person.person_id}</code>' in html
    conflict = next(c for c in person.conflicts if c["field"] == "age_years")
    assert 'class="conflict" data-field="age_years"' in html
    source_of = {str(r.id): r.source for r in person.records}
    for value, record_ids in conflict["values"].items():
        years = float(value)  # an age under a year is read in months
        months = round(years * 12)
        age = f"{months} month{'' if months == 1 else 's'}" if years < 1 else f"{years:g}"
        sources = sorted({source_of[i] for i in record_ids})
        said = ", ".join(f'<code dir="ltr">{s}</code>' for s in sources)
        verb = "says" if len(sources) == 1 else "say"
        assert f"{said} {verb} <strong><bdi>{age}</bdi></strong>" in html
    # every record is a column of the side-by-side table, linked to its own page
    for record in person.records:
        assert f'href="/records/{record.id}/"' in html
    assert 'class="differs"' in html  # the ages differ, so their row is marked
    assert f'id="grade" class="grade-{person.grade}"' in html
    for field in person.place_spellings:  # one place written two ways is not shown as a conflict
        assert f'class="spellings" data-field="{field}"' in html
        assert f'class="conflict" data-field="{field}"' not in html
    assert f'<code dir="ltr">{person.person_id}</code> with {person.n_records} records' in html


def test_a_person_page_shows_the_decisions_that_concern_them(client, sign_in, linked, cast):
    from everyname.store.linking import decide

    sign_in(client, "reviewer")
    admin = cast["admin"]
    person = next(p for p in list_persons(admin, page_size=500).items if p.n_records >= 2)
    records = get_person(admin, person.person_id).records
    decide(cast["reviewer"], records[0].id, records[1].id, "same", note="same father and date")
    html = client.get(f"/persons/{person.person_id}/").content.decode()
    assert "same father and date" in html and "same person" in html
    assert "<bdi>carol</bdi>" in html  # who decided (the cast's reviewer)


def test_an_undone_decision_is_shown_withdrawn_and_the_one_before_in_force(
    client, sign_in, linked, cast
):
    from everyname.store.linking import decide, withdraw_last_decision

    sign_in(client, "reviewer")
    admin = cast["admin"]
    person = next(p for p in list_persons(admin, page_size=500).items if p.n_records >= 2)
    records = get_person(admin, person.person_id).records
    decide(cast["analyst"], records[0].id, records[1].id, "same", note="first look")
    decide(cast["reviewer"], records[0].id, records[1].id, "different", note="second look")
    withdraw_last_decision(cast["reviewer"])
    decisions = get_person(admin, person.person_id).decisions
    assert [(d.verdict, d.in_force) for d in decisions] == [
        ("same", True),
        ("different", False),
        ("withdrawn", False),
    ]
    html = client.get(f"/persons/{person.person_id}/").content.decode()
    assert "withdrawn (undo)" in html
    assert html.count("different persons") == 1  # the withdrawn one, not the undo


def test_unknown_person_and_no_link_run(client, sign_in, demo_imported):
    sign_in(client, "analyst")
    page = client.get("/persons/")
    assert page.status_code == 200 and "No link run yet" in page.content.decode()
    assert client.get("/persons/P0/").status_code == 404


DISPUTED = (
    # one person, two sources that disagree on age, place, status and date; B's values written
    # so that none of them can appear on a page by chance
    (
        "src-a",
        {
            "full_name": "محمد عبد الرحمن الخالدي",
            "age": "12",
            "neighbourhood": "بابا عمرو",
            "status": "civilian",
            "date_of_death": "2012-02-04",
        },
    ),
    (
        "src-b",
        {
            "full_name": "Mohammed Abdulrahman al-Khalidi",
            "age": "47",
            "neighbourhood": "Deir Baalba",
            "status": "combatant",
            "date_of_death": "2012-03-09",
        },
    ),
)
B_TEXT = ("Deir Baalba", "2012-03-09", "Mohammed Abdulrahman al-Khalidi", "src-b", ">47<")


@pytest.fixture
def disputed(key_file, cast):
    """The person of :data:`DISPUTED`, linked (a reviewer said its two records are one)."""
    from everyname.store.models import MatchDecision, Membership
    from everyname.store.records import enter_record

    for code in ("src-a", "src-b"):
        Source.objects.create(code=code, name=code, created_by="tester")
    left, right = (enter_record(cast["admin"], code, values).id for code, values in DISPUTED)
    MatchDecision.objects.create(record_l_id=left, record_r_id=right, verdict="same")
    run = run_link(cast["admin"]).link_run
    return Membership.objects.get(link_run_id=run, record_id=left).person_id


def test_a_recorder_reads_nothing_another_source_says_of_a_shared_person(client, sign_in, disputed):
    sign_in(client, "recorder")  # assigned src-a
    page = client.get(f"/persons/{disputed}/").content.decode()
    listing = client.get("/persons/").content.decode()
    assert listed(listing) == [disputed]
    for html in (page, listing):
        for text in B_TEXT:
            assert text not in html, text
    assert "<bdi>12</bdi>" in page and "2012-02-04" in page and "بابا عمرو" in page
    assert 'class="conflict"' not in page  # one record of theirs: nothing to disagree with
    assert 'id="grade" class="grade-withheld"' in page and "not shown" in page
    assert "1 more record of this person comes from a source you are not assigned to" in page
    assert ">12<" in listing and "2012-02-04" in listing and "<td>civilian</td>" in listing


@pytest.mark.parametrize("role", ("analyst", "reviewer"))
def test_other_roles_read_both_sources_and_their_conflict(client, sign_in, disputed, role):
    sign_in(client, role)
    page = client.get(f"/persons/{disputed}/").content.decode()
    for text in ("Deir Baalba", "2012-03-09", "بابا عمرو", "2012-02-04"):
        assert text in page, text
    assert 'class="conflict" data-field="age_years"' in page
    assert '<code dir="ltr">src-b</code> says <strong><bdi>47</bdi></strong>' in page
    assert '<code dir="ltr">src-a</code> says <strong><bdi>12</bdi></strong>' in page
    assert 'id="grade" class="grade-contested"' in page
    listing = client.get("/persons/").content.decode()
    assert '<code class="code" dir="ltr">src-b</code>' in listing


def test_records_naming_one_place_differently_are_not_marked_as_differing(
    client, sign_in, linked, cast
):
    """ "باب هود" and "Bab Hud" are one neighbourhood: the place row of the records side by
    side is not marked; two records naming two places still are."""
    import re

    sign_in(client, "reviewer")
    admin = cast["admin"]
    shared = [p for p in list_persons(admin, page_size=500).items if p.n_records >= 2]
    details = [get_person(admin, p.person_id) for p in shared]

    def place_row(person_id: str) -> str:
        html = client.get(f"/persons/{person_id}/").content.decode()
        table = html[html.index('<table class="side" id="records">') :]
        (row,) = re.findall(r'<tr(?: class="differs")?>\s*<th scope="row">Place', table)
        return row

    one = [d for d in details if d.records_one_place]
    assert one, "the demo has persons whose records write one place differently"
    for detail in one[:3]:
        assert len({r.place for r in detail.records if r.place}) > 1
        assert 'class="differs"' not in place_row(detail.person_id)
    two = [
        d
        for d in details
        if not d.records_one_place and len({r.place for r in d.records if r.place}) > 1
    ]
    assert two, "and persons whose records name two places"
    for detail in two[:3]:
        assert 'class="differs"' in place_row(detail.person_id)


def test_every_person_of_the_demo_is_named_and_an_unknown_age_is_marked(
    client, sign_in, linked, cast
):
    """The demo mixes lists with a full-name column and lists with name parts: every person
    is named (none listed as "no name"); an age nobody gave is marked unknown, as a sex or a
    status is."""
    from everyname.store.records import enter_record

    analyst = cast["analyst"]
    first = list_persons(analyst, page_size=500)
    pages = [list_persons(analyst, page=n, page_size=500) for n in range(2, first.pages + 1)]
    assert None not in {p.name for page in (first, *pages) for p in page.items}
    enter_record(cast["admin"], "lcc_homs", {"given_name": "Ziad", "family_name": "Qasem"})
    run_link(cast["admin"])
    sign_in(client, "analyst")
    page = client.get("/persons/", {"q": "Ziad Qasem"}).content.decode()
    (row,) = re.findall(r"<tr>\s*<td><a href=\"/persons/.*?</tr>", page, flags=re.S)
    cells = re.findall(r"<td[^>]*>.*?</td>", row, flags=re.S)
    assert "Ziad Qasem" in cells[1]  # named by its parts
    assert cells[5].startswith('<td class="unknown">'), cells[5]  # the age


def test_an_age_between_two_records_ages_is_shown_as_both(client, sign_in, linked, cast):
    """Two records saying 38 and 39 resolve to their median, 38.5: the list and the person's
    page show "38–39", the ages the records gave, not an age nobody gave."""
    between = [
        p
        for p in list_persons(cast["reviewer"], page_size=500).items
        if p.age_years is not None and (p.age_years * 2) % 2 == 1
    ]
    assert between, "the demo has a person whose records' ages differ by one"
    person = between[0]
    low = int(person.age_years)
    sign_in(client, "reviewer")
    page = 1
    html = client.get("/persons/").content.decode()
    while f'href="/persons/{person.person_id}/"' not in html:
        page += 1
        html = client.get("/persons/", {"page": page}).content.decode()
    row = html.split(f'href="/persons/{person.person_id}/"', 1)[1].split("</tr>", 1)[0]
    assert f"<td>{low}–{low + 1}</td>" in row and f"{person.age_years}" not in row
    detail = client.get(f"/persons/{person.person_id}/").content.decode()
    assert f"{low}–{low + 1}" in detail and f">{person.age_years}<" not in detail
    ages = {r.age_years for r in get_person(cast["reviewer"], person.person_id).records}
    assert {low, low + 1} <= ages  # the records' own ages, each shown beside the others
