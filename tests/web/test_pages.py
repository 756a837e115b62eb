"""The analyst's pages on the demo's lists: the dashboard shows the latest run's count and
headline; /figures/ gives what ``everyname count`` gives, its downloads byte for byte."""

from __future__ import annotations

import json
import re

import pytest
from django.db.models import Count
from django.utils import translation
from django.utils.html import escape
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.core.count import CountFilters
from everyname.core.count.headline import headline_ar, headline_en
from everyname.store.counting import count
from everyname.store.dashboard import DASHBOARD_FIELDS
from everyname.store.estimating import estimate
from everyname.store.linking import decide, latest_run
from everyname.store.models import Membership, ReviewPair
from everyname.web.views.estimates import WARNING_TITLES

pytestmark = pytest.mark.django_db
runner = CliRunner()


def cli(*args: str, user: str | None = None) -> bytes:
    """The command's standard output as bytes (Click's text output turns CRLF into LF), acting
    as ``user`` (once users exist, the command line must name one)."""
    result = runner.invoke(app, list(args), env={"EVERYNAME_USER": user} if user else None)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.fixture
def linked(demo_imported):
    cli("link")
    return demo_imported


def test_the_dashboard_shows_the_latest_count_headline_and_doubt(client, sign_in, linked, cast):
    sign_in(client, "viewer")
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    result = count(cast["viewer"], CountFilters(), DASHBOARD_FIELDS)
    assert result.total > 0 and result.pairs_awaiting_review > 0
    assert f'<strong id="total">{result.total}</strong>' in html
    assert f'id="pairs-awaiting-review">{result.pairs_awaiting_review}<' in html
    assert escape(headline_en(result)) in html and escape(headline_ar(result)) in html
    for field in DASHBOARD_FIELDS:
        assert f'data-field="{field}"' in html
    # Every category's unknowns are beside it, as a row of its own.
    assert html.count('class="unknown"') >= len(DASHBOARD_FIELDS)
    # A place is shown by its gazetteer name, in its own direction; the imports without files.
    place = next(f for f in result.by["place"] if f.label)
    assert f"<bdi>{escape(place.label)}</bdi>" in html
    assert linked.files[0].path.name not in html


WINDOWS = [
    {},
    {"since": "2012-02-03", "until": "2012-02-09", "place": "Homs", "by": "sex,age_group,place"},
    {"place": "حمص", "by": "status,date"},
]


@pytest.mark.parametrize("query", WINDOWS)
def test_figures_downloads_equal_the_command(client, sign_in, linked, query):
    user = sign_in(client, "viewer").username
    options = [a for k, v in query.items() for a in (f"--{k}", v)]
    for kind in ("json", "csv"):
        response = client.get("/figures/", {**query, "format": kind})
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith(f'everyname-count.{kind}"')
        assert response.content == cli("count", *options, "--format", kind, user=user)
    page = client.get("/figures/", query)
    figures = json.loads(cli("count", *options, "--format", "json", user=user))
    assert f'<strong id="total">{figures["total"]}</strong>' in page.content.decode()
    for field in figures["by"]:
        assert f'data-field="{field}"' in page.content.decode()


def test_figures_breakdowns_as_boxes_equal_a_comma_list(client, sign_in, linked):
    sign_in(client, "analyst")
    boxes = client.get("/figures/", {"by": ["sex", "status"], "format": "json"})
    listed = client.get("/figures/", {"by": "sex,status", "format": "json"})
    assert boxes.content == listed.content
    assert list(json.loads(boxes.content)["by"]) == ["sex", "status"]


def test_figures_refuse_a_bad_filter_naming_it(client, sign_in, linked):
    sign_in(client, "viewer")
    page = client.get("/figures/", {"since": "2012-02-10", "until": "2012-02-01"})
    assert page.status_code == 400
    assert "after it ends" in page.content.decode()
    wrong = client.get("/figures/", {"by": "shoe_size"})
    assert wrong.status_code == 400 and "shoe_size" in wrong.content.decode()


def test_before_any_link_run_the_pages_say_so(client, sign_in, demo_imported):
    sign_in(client, "viewer")
    assert "No link run yet" in client.get("/").content.decode()
    page = client.get("/figures/")
    assert page.status_code == 200 and "link" in page.content.decode()


CHARTS = (
    "chart-by-day",
    "chart-sex-age",
    "chart-sources",
    *(f"chart-{f}" for f in DASHBOARD_FIELDS),
)


def _cell(html: str, table: str, row: str) -> list[int]:
    """The numbers of one row (found by its header's text) of a table (by data-field)."""
    body = html.split(f'data-field="{table}"', 1)[1].split("</table>", 1)[0]
    for line in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        header = re.search(r"<th[^>]*>(.*?)</th>", line, re.S)
        if header and re.sub(r"<[^>]+>", "", header.group(1)).strip() == row:
            return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', line)]
    raise AssertionError(f"no row {row!r} in {table}")


def test_the_dashboards_estimate_warnings_are_said_in_the_pages_language(
    client, sign_in, linked, cast
):
    """The newest estimate's warnings, as on the estimate's own page: a headline and the
    sentence made from its figures in Arabic; in English, the core's own words."""
    fitted = estimate(cast["analyst"], seed=7)
    doubt = next(w for w in fitted.overall["warnings"] if w["code"] == "linkage_doubt")
    sign_in(client, "viewer")
    english = client.get("/").content.decode()
    assert escape(doubt["message"]) in english
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    arabic = client.get("/").content.decode()
    warnings = arabic.split('<ul class="warnings">', 1)[1].split("</ul>", 1)[0]
    with translation.override("ar"):
        title = str(WARNING_TITLES["linkage_doubt"])
    assert f"<strong data-warning-title>{escape(title)}</strong>" in warnings
    assert doubt["message"][:40] not in arabic and "data-warning-detail" in warnings


def test_the_dashboard_draws_its_charts_beside_tables_that_agree_with_the_count(
    client, sign_in, linked, cast
):
    sign_in(client, "viewer")
    html = client.get("/").content.decode()
    for ident in CHARTS:
        svg = re.search(rf'<svg [^>]*id="{ident}"[^>]*>', html)
        assert svg, ident
        assert 'role="img"' in svg.group(0) and f'aria-labelledby="{ident}-title' in svg.group(0)
        assert f'id="{ident}-title"' in html and f'id="{ident}-desc"' in html
    # The Content-Security-Policy refuses inline styles and scripts: the page has neither.
    assert "style=" not in html and "<script>" not in html and "<style" not in html

    viewer = cast["viewer"]
    # Deaths per day: the persons with no known day, beside the chart, are count's unknowns.
    by_day = count(viewer, CountFilters(), ["day"])
    assert re.search(rf'id="undated">{by_day.unknown("day")} persons', html)
    assert _cell(html, "by-day", "day unknown")[-1] == by_day.unknown("day")
    # Sex by age group: each row sums to the age group's count, each column to the sex's.
    split = count(viewer, CountFilters(), ["age_group", "sex"])
    columns = [0, 0, 0]
    for group, label in (("child", "child"), ("adult", "adult"), ("unknown", "unknown")):
        *by_sex, total = _cell(html, "sex-by-age", label)
        assert sum(by_sex) == total == split.figure("age_group", group)
        columns = [a + b for a, b in zip(columns, by_sex, strict=True)]
    assert columns == [split.figure("sex", s) for s in ("male", "female", "unknown")]
    # The sources: each one's persons, read straight from the run's memberships.
    run = latest_run()
    named = dict(
        Membership.objects.filter(link_run=run)
        .values_list("record__source__code")
        .annotate(n=Count("person_id", distinct=True))
    )
    assert len(named) == 5
    for code, persons in named.items():
        assert _cell(html, "sources", code)[1] == persons
    # Every person is in exactly one combination of sources.
    combos = html.split('data-field="combinations"', 1)[1].split("</table>", 1)[0]
    assert sum(map(int, re.findall(r'<td class="num">(\d+)</td>', combos))) == split.total


def test_the_dashboard_follows_a_decision_made_after_it_was_shown(client, sign_in, linked, cast):
    sign_in(client, "viewer")
    before = count(cast["viewer"], CountFilters(), [])
    assert (
        f'id="pairs-awaiting-review">{before.pairs_awaiting_review}<'
        in client.get("/").content.decode()
    )
    pair = ReviewPair.objects.filter(link_run=latest_run()).first()
    decide(cast["reviewer"], pair.record_l_id, pair.record_r_id, "different")
    html = client.get("/").content.decode()
    assert f'id="pairs-awaiting-review">{before.pairs_awaiting_review - 1}<' in html


def test_figures_send_the_result_alone_to_htmx_and_the_whole_page_without_it(
    client, sign_in, linked
):
    sign_in(client, "viewer")
    whole = client.get("/figures/", {"by": "sex"})
    alone = client.get("/figures/", {"by": "sex"}, HTTP_HX_REQUEST="true")
    for response in (whole, alone):
        assert response.status_code == 200 and "HX-Request" in response["Vary"]
    page, part = whole.content.decode(), alone.content.decode()
    assert "<html" in page and 'hx-get="/figures/"' in page and 'id="figures-result"' in page
    assert "<html" not in part and "<form" not in part
    total = re.search(r'<strong id="total">(\d+)</strong>', page).group(1)
    assert f'<strong id="total">{total}</strong>' in part and 'id="chart-sex"' in part
    wrong = client.get("/figures/", {"by": "shoe_size"}, HTTP_HX_REQUEST="true")
    assert wrong.status_code == 400 and "shoe_size" in wrong.content.decode()
    assert "<html" not in wrong.content.decode()


def test_figures_draw_a_chart_per_breakdown_with_its_unknowns(client, sign_in, linked):
    sign_in(client, "viewer")
    html = client.get("/figures/", {"by": "place,date,cause"}).content.decode()
    assert "style=" not in html
    for field in ("place", "date", "cause"):
        assert f'id="chart-{field}"' in html
    place = html.split('id="chart-place"', 1)[1].split("</svg>", 1)[0]
    assert ">place not resolved</text>" in place and ">unknown</text>" in place
