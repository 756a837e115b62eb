"""``/estimates/``: an analyst queues an estimate from the form, the worker fits it (the real
worker loop, ``run_worker``), and the list and the estimate's page show what the store kept:
settings, seed, lists, the estimate with its interval, and the warnings."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.html import escape

from everyname.store.estimating import estimate, get_estimate, list_estimates
from everyname.store.jobs import run_worker
from everyname.store.linking import run_link
from everyname.store.models import Job, StoredEstimate
from everyname.store.permissions import Actor
from everyname.web.views.estimates import WARNING_TITLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(demo_imported):
    """The demo's five lists imported and linked (pairs await review, so the estimate carries
    a linkage-doubt warning)."""
    run_link(Actor.local_admin("tester"))
    return demo_imported


def whole(x: float) -> str:
    return f"{round(x)}"


def test_an_analyst_queues_an_estimate_and_finds_it_stored_with_its_settings(
    client, sign_in, linked
):
    analyst = sign_in(client, "analyst")
    form = {"method": "loglinear", "interval": "profile", "seed": "11", "since": "2012-02-01"}
    queued = client.post("/estimates/", form)
    job = Job.objects.get()
    assert queued.status_code == 302 and queued["Location"] == f"/jobs/{job.pk}/"
    assert (job.kind, job.username, job.state) == ("estimate", analyst.username, "queued")
    assert job.params["options"] == {"method": "loglinear", "interval": "profile"}
    assert job.params["seed"] == 11 and job.params["filters"] == {"since": "2012-02-01"}
    assert not list_estimates(Actor.local_admin("tester"))  # nothing fitted in the request

    assert run_worker(once=True) == 1
    (stored,) = list_estimates(Actor.local_admin("tester"))
    fitted = stored.overall
    assert stored.seed == 11 and fitted["method"] == "loglinear" and fitted["estimate"]
    assert stored.created_by == analyst.username

    page = client.get("/estimates/").content.decode()
    row = page.split(f'<tr id="estimate-{stored.stored_id}">', 1)[1].split("</tr>", 1)[0]
    assert f"<strong>{whole(fitted['estimate'])}</strong>" in row
    assert f"[{whole(fitted['lower'])}, {whole(fitted['upper'])}]" in row
    assert ", ".join(fitted["lists"]) in row and ">11<" in row
    assert "since=2012-02-01" in row
    assert f'<span class="warn">{len(fitted["warnings"])}</span>' in row

    detail = client.get(f"/estimates/{stored.stored_id}/").content.decode()
    assert '<dd id="seed">11</dd>' in detail
    assert stored.fingerprint in detail and "interval=profile" in detail
    assert any(w["code"] == "linkage_doubt" for w in fitted["warnings"])
    for warning in fitted["warnings"]:
        assert escape(warning["message"]) in detail
        title = WARNING_TITLES[warning["code"]]  # every code the core gives has its headline
        assert f"<strong data-warning-title>{escape(str(title))}</strong>" in detail
    with translation.override("ar"):  # the headline in Arabic, the figures' sentence after it
        arabic = str(WARNING_TITLES["linkage_doubt"])
    assert any("\u0600" <= c <= "\u06ff" for c in arabic)
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    in_arabic = client.get(f"/estimates/{stored.stored_id}/").content.decode()
    assert f"<strong data-warning-title>{escape(arabic)}</strong>" in in_arabic
    merged = fitted["pending_merged"]
    assert f"{whole(merged['estimate'])} ({whole(merged['lower'])} to" in detail


def test_every_warning_code_of_the_core_has_a_translated_headline():
    from everyname.core.estimate.cautions import WarningCode

    assert {str(code) for code in WarningCode} | {"linkage_doubt"} == set(WARNING_TITLES)


def test_a_stratified_estimate_shows_every_stratum_and_its_failures(client, sign_in, linked):
    sign_in(client, "analyst")
    lists = "fh_babaamr,lcc_homs"
    assert (
        client.post("/estimates/", {"method": "chapman", "lists": lists, "by": "sex"}).status_code
        == 302
    )
    run_worker(once=True)
    (stored,) = list_estimates(Actor.local_admin("tester"))
    assert stored.by == "sex" and stored.options.lists == ("fh_babaamr", "lcc_homs")
    page = client.get("/estimates/").content.decode()
    assert f"{len(stored.strata)} strata" in page
    detail = client.get(f"/estimates/{stored.stored_id}/").content.decode()
    for stratum in stored.strata:
        assert f"<bdi>{stratum['value']}</bdi>" in detail
        if stratum["estimate"] is None:
            assert escape(stratum["error"]) in detail
        else:
            assert f'<strong class="figure">{whole(stratum["estimate"])}</strong>' in detail


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"method": "chapman", "interval": "profile"}, "interval"),
        ({"method": "loglinear", "bootstrap_replicates": "many"}, "bootstrap_replicates"),
        ({"method": "sideways"}, "method"),
        ({"since": "2012-02-10", "until": "2012-02-01"}, "until"),
    ],
)
def test_settings_that_cannot_be_used_are_refused_at_once_naming_the_field(
    client, sign_in, linked, form, field
):
    sign_in(client, "analyst")
    page = client.post("/estimates/", form)
    assert page.status_code == 400
    assert f"<code>{field}</code>" in page.content.decode()
    assert not Job.objects.exists()
    # The form comes back as it was filled in.
    for name, value in form.items():
        if name not in ("method",):
            assert f'value="{value}"' in page.content.decode()


def test_a_viewer_reads_estimates_but_cannot_run_one(client, sign_in, linked):
    sign_in(client, "analyst")
    client.post("/estimates/", {"method": "chapman", "lists": "fh_babaamr,lcc_homs"})
    run_worker(once=True)
    (stored,) = list_estimates(Actor.local_admin("tester"))

    client.logout()
    sign_in(client, "viewer")
    page = client.get("/estimates/").content.decode()
    assert f'href="/estimates/{stored.stored_id}/"' in page
    assert "Run a new estimate" not in page and 'name="method"' not in page
    assert client.get(f"/estimates/{stored.stored_id}/").status_code == 200
    refused = client.post("/estimates/", {"method": "chapman"})
    assert refused.status_code == 403 and Job.objects.count() == 1
    assert client.get("/estimates/999999/").status_code == 404


def test_before_any_link_run_the_page_says_nothing_is_stored(client, sign_in, demo_imported):
    sign_in(client, "analyst")
    page = client.get("/estimates/")
    assert page.status_code == 200 and "No estimate stored yet." in page.content.decode()
    # Queued all the same: the worker's run says why it cannot be fitted.
    assert client.post("/estimates/", {}).status_code == 302
    run_worker(once=True)
    job = Job.objects.get()
    assert job.state == "failed" and "link" in job.error["message"]
    assert get_estimate is not None


ARABIC = re.compile("[\u0600-\u06ff]")
ENGLISH_PHRASES = (
    "documented person",
    "Linkage doubt",
    "main effects",
    "bootstrap (",
    "replicates",
    "defaults (",
    "log-normal",
    "name nobody",
    "names only",
    "other places",
    "neighbourhood",
    "unknown",
    "lists name",
)
"""Phrases of the core's English sentences (warnings, the fit's descriptions, place strata)."""


def in_arabic(client, path: str) -> str:
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    return client.get(path).content.decode()


def _fit_by_place():
    """An estimate per place of the demo (strata by neighbourhood, "other places", "unknown",
    lists left out, few persons, linkage doubt: most of the warnings a page shows)."""
    return estimate(Actor.local_admin("tester"), by="places")


def test_a_stored_estimate_reads_wholly_in_arabic_and_as_before_in_english(client, sign_in, linked):
    stored = _fit_by_place()
    warnings = [w for s in stored.strata for w in s["warnings"]]
    codes = {w["code"] for w in warnings}
    assert {"few_observations", "list_covers_almost_none", "linkage_doubt"} <= codes
    assert any("left_out" in w["params"] for w in warnings) and all(w["params"] for w in warnings)
    sign_in(client, "analyst")
    path = f"/estimates/{stored.stored_id}/"

    english = client.get(path).content.decode()
    for warning in warnings:  # the core's sentence, word for word, as the CLI prints it
        assert escape(warning["message"]) in english
    assert "data-warning-detail" not in english
    first = next(s for s in stored.strata if s.get("details", {}).get("model"))
    for key in ("model", "interval", "reference"):
        assert escape(first["details"][key]) in english
    assert "Neighbourhood: " in english

    arabic = in_arabic(client, path)
    details = re.findall(r"<span data-warning-detail>(.*?)</span></li>", arabic, re.S)
    assert len(details) == len(warnings)  # every warning said from its figures
    for detail in details:
        assert ARABIC.search(re.sub(r"<code[^>]*>.*?</code>", "", detail))
    said = re.findall(r'<dd data-said="(\w+)">(.*?)</dd>', arabic, re.S)
    assert {key for key, _ in said} == {"model", "interval", "reference"}
    assert all(ARABIC.search(text) and "<bdi" not in text for _, text in said)
    headings = re.findall(r'<h2 id="stratum-\d+">(.*?)</h2>', arabic, re.S)
    assert headings and all(h.startswith("<bdi>الحي: ") for h in headings)
    assert any("أماكن أخرى" in h for h in headings) and any("غير معروف" in h for h in headings)
    body = arabic.split("<main", 1)[1]
    shown = re.sub(r"<code[^>]*>.*?</code>", "", body, flags=re.S)  # list codes stay codes
    failed = [s for s in stored.strata if s["estimate"] is None]
    assert failed and all(s["error_params"]["code"] for s in failed)
    reasons = re.findall(r'<span data-said="error">(.*?)</span>', arabic, re.S)
    assert len(reasons) == len(failed) and all(ARABIC.search(r) for r in reasons)
    for phrase in ENGLISH_PHRASES:
        assert phrase not in shown, phrase
    # The figures are the stored ones, formatted as the page formats numbers.
    doubt = next(w for w in warnings if w["code"] == "linkage_doubt")["params"]
    assert f"(وعددها {doubt['pairs']})" in arabic


def test_an_estimate_stored_before_warnings_kept_their_figures_shows_its_english(
    client, sign_in, linked
):
    stored = _fit_by_place()
    row = StoredEstimate.objects.get(pk=stored.stored_id)
    result = row.result
    for stratum in result["strata"]:
        stratum.get("details", {}).pop("said", None)
        stratum.pop("error_params", None)
        for warning in stratum["warnings"]:
            warning.pop("params")
    row.result = result
    row.save(update_fields=["result"])
    sign_in(client, "analyst")
    arabic = in_arabic(client, f"/estimates/{stored.stored_id}/")
    assert "data-warning-detail" not in arabic and "data-said" in arabic
    for stratum in result["strata"]:
        for warning in stratum["warnings"]:
            assert f'<bdi lang="en" dir="ltr">{escape(warning["message"])}</bdi>' in arabic
        if stratum["estimate"] is None:
            assert f'<bdi lang="en" dir="ltr">{escape(stratum["error"])}</bdi>' in arabic
        if model := stratum.get("details", {}).get("model"):
            assert f'<bdi lang="en" dir="ltr">{escape(model)}</bdi>' in arabic
