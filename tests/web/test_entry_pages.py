"""``/records/new/`` on the demo's five lists, imported and linked: a victim typed in Arabic who
is already a person is shown as that person first; saving as that person records a decision,
saving as new writes the record; the reporter's name is never in a page once typed."""

from __future__ import annotations

import re

import pytest

from everyname.store.linking import latest_run, run_link
from everyname.store.models import MatchDecision, Membership, Record
from everyname.store.permissions import Actor
from everyname.store.records import current_as_written

pytestmark = pytest.mark.django_db

ENTERED_FOR = "lcc_homs"
REPORTER, CONTACT = "ZZREPORTER Umm Samer", "0944 123 987"


@pytest.fixture
def linked(demo_imported):
    run_link(Actor.local_admin("tester"))
    return latest_run()


def _arabic(text: str | None) -> bool:
    return bool(text) and any("\u0600" <= ch <= "\u06ff" for ch in text)


def duplicated(run) -> tuple[Record, str]:
    """An Arabic record of another source than ``ENTERED_FOR`` whose person is named by two
    sources or more: the victim a caller reports again."""
    sources: dict[str, set[str]] = {}
    for person, source in Membership.objects.filter(link_run=run).values_list(
        "person_id", "record__source__code"
    ):
        sources.setdefault(person, set()).add(source)
    for m in (
        Membership.objects.filter(link_run=run)
        .exclude(record__source__code=ENTERED_FOR)
        .select_related("record", "record__source")
        .order_by("record_id")
    ):
        written = current_as_written(m.record)
        if len(sources[m.person_id]) >= 2 and _arabic(written.get("full_name")):
            return m.record, m.person_id
    raise AssertionError("no Arabic record of a person named by two sources")


def form_of(record: Record, **extra: str) -> dict[str, str]:
    """The form as a recorder fills it for ``record``'s victim (its date in three boxes)."""
    written = current_as_written(record)
    data = {
        "source": ENTERED_FOR,
        "full_name": written["full_name"],
        "sex": "",
        "age": written.get("age", ""),
        "reporter_name": REPORTER,
        "reporter_contact": CONTACT,
    }
    date = record.normalised.get("date_of_death")
    if date:
        year, month, day = [*date.split("-"), "", ""][:3]
        data |= {
            "date_of_death_year": year,
            "date_of_death_month": month,
            "date_of_death_day": day,
        }
    return data | extra


def persons_shown(html: str) -> list[str]:
    return re.findall(r'<li class="entry-person" data-record="\d+" data-person="([^"]+)"', html)


def test_the_form_offers_every_field_and_the_gazetteer(client, sign_in, linked):
    sign_in(client, "analyst")
    page = client.get("/records/new/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in (
        "full_name",
        "father_name",
        "age",
        "date_of_death_year",
        "date_of_death_month",
        "date_of_death_day",
        "place",
        "neighbourhood",
        "cause",
        "reporter_name",
    ):
        assert f'name="{name}"' in html
    # the place box offers the gazetteer's places, both scripts and where each lies
    assert 'list="gazetteer-places"' in html
    assert re.search(r'<option value="بابا عمرو" label="Baba Amr / بابا عمرو — Homs', html)
    # every source, for a role that may enter for any
    assert f'<option value="{ENTERED_FOR}"' in html and 'value="ngo_national"' in html
    assert "<script>" not in html and " style=" not in html


def test_an_arabic_duplicate_is_shown_as_its_person_first(client, sign_in, linked):
    record, person = duplicated(linked)
    sign_in(client, "analyst")
    page = client.post("/records/new/", form_of(record, check="1"))
    assert page.status_code == 200
    html = page.content.decode()
    shown = persons_shown(html)
    assert shown and shown[0] == person
    assert 'name="same_as" value="' in html
    assert "Agrees" in html
    # the reporter typed is not put back into the page: it travels sealed
    assert REPORTER not in html and CONTACT not in html
    assert 'name="reporter_sealed"' in html
    assert not Record.objects.filter(batch__file_format="entry").exists()


def test_saving_as_the_same_person_records_the_decision(client, sign_in, linked):
    record, person = duplicated(linked)
    sign_in(client, "analyst")
    checked = client.post("/records/new/", form_of(record, check="1")).content.decode()
    sealed = re.search(r'name="reporter_sealed" value="([^"]+)"', checked).group(1)
    first = re.search(r'data-record="(\d+)" data-person="', checked).group(1)
    data = form_of(
        record, same_as=first, reporter_sealed=sealed, reporter_name="", reporter_contact=""
    )
    saved = client.post("/records/new/", data)
    assert saved.status_code == 302
    new_id = int(re.search(r"/records/(\d+)/", saved["Location"]).group(1))
    decision = MatchDecision.objects.get()
    assert decision.verdict == "same"
    assert {decision.record_l_id, decision.record_r_id} == {new_id, int(first)}
    assert Membership.objects.get(link_run=linked, record_id=int(first)).person_id == person
    page = client.get(saved["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert REPORTER not in html and CONTACT not in html
    # the sealed reporter was stored with the record
    assert Record.objects.get(pk=new_id).sensitive_encrypted


def test_saving_as_new_creates_the_record(client, sign_in, linked):
    record, _ = duplicated(linked)
    sign_in(client, "analyst")
    before = Record.objects.count()
    saved = client.post("/records/new/", form_of(record, save="new"), follow=True)
    assert saved.status_code == 200
    assert Record.objects.count() == before + 1
    assert not MatchDecision.objects.exists()
    html = saved.content.decode()
    assert "saved as a new person" in html
    assert REPORTER not in html and CONTACT not in html
    entered = Record.objects.filter(batch__file_format="entry").get()
    assert entered.source.code == ENTERED_FOR
    assert current_as_written(entered)["full_name"] == current_as_written(record)["full_name"]


def test_partial_dates_and_a_decade_age(client, sign_in, linked):
    sign_in(client, "analyst")
    data = {
        "source": ENTERED_FOR,
        "full_name": "سامر حسن الأحمد",
        "age": "40s",
        "date_of_death_year": "2012",
        "date_of_death_month": "2",
        "date_of_birth_year": "1968",
        "place": "بابا عمرو",
    }
    checked = client.post("/records/new/", data | {"check": "1"})
    html = checked.content.decode()
    assert checked.status_code == 200
    assert 'id="entry-unreadable"' not in html
    # the boxes keep what was typed, and the place's levels come from the gazetteer
    assert 'name="date_of_death_month" id="date_of_death_month" value="2"' in html
    assert 'name="neighbourhood" value="بابا عمرو"' in html
    assert 'name="governorate" value="حمص"' in html
    saved = client.post("/records/new/", data | {"save": "new"})
    assert saved.status_code == 302
    values = Record.objects.filter(batch__file_format="entry").get().normalised
    assert values["date_of_death"] == "2012-02"
    assert values["date_of_death_precision"] == "month"
    assert values["date_of_birth_precision"] == "year"
    assert (values["age_min"], values["age_max"]) == (40, 49)
    assert values.get("age_years") is None


def test_an_unreadable_value_is_shown_before_saving(client, sign_in, linked):
    sign_in(client, "analyst")
    data = {
        "source": ENTERED_FOR,
        "full_name": "سامر حسن",
        "date_of_death_year": "2012",
        "date_of_death_day": "7",
        "check": "1",
    }
    html = client.post("/records/new/", data).content.decode()
    assert 'id="entry-unreadable"' in html
    assert "a day needs its month" in html


def test_a_recorder_enters_for_their_source_only(client, sign_in, linked):
    record, _ = duplicated(linked)
    sign_in(client, "recorder")  # assigned src-a
    page = client.get("/records/new/").content.decode()
    assert '<option value="src-a"' in page and f'value="{ENTERED_FOR}"' not in page
    refused = client.post("/records/new/", form_of(record, check="1"))
    assert refused.status_code == 403
    checked = client.post("/records/new/", form_of(record, source="src-a", check="1"))
    html = checked.content.decode()
    assert checked.status_code == 200
    assert persons_shown(html), "a duplicate in another source is still shown"
    # but only as its person and the model's evidence: never its values
    assert "A record of another source" in html
    assert current_as_written(record)["full_name"] not in html.split('id="entry-check"')[1]
    assert f'href="/records/{record.pk}/"' not in html


def test_a_bad_choice_is_a_form_error(client, sign_in, linked):
    sign_in(client, "analyst")
    page = client.post("/records/new/", {"source": ENTERED_FOR, "full_name": "x", "same_as": "no"})
    assert page.status_code == 400
    page = client.post("/records/new/", {"source": "", "full_name": "x", "check": "1"})
    assert page.status_code == 400
    assert 'id="entry-error"' in page.content.decode()


def test_the_page_in_arabic_is_right_to_left(client, sign_in, linked):
    sign_in(client, "analyst")
    page = client.get("/records/new/", HTTP_ACCEPT_LANGUAGE="ar")
    html = page.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    # in an Arabic page the place box's labels give the Arabic name and places first
    assert re.search(r'<option value="بابا عمرو" label="بابا عمرو / Baba Amr — ', html)
