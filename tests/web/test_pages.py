"""The analyst's pages on the demo's lists: the dashboard shows the latest run's count and
headline; /figures/ gives what ``everyname count`` gives, its downloads byte for byte."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape
from typer.testing import CliRunner

from everyname.cli import commands  # noqa: F401  (registers the commands)
from everyname.cli.app import app
from everyname.core.count import CountFilters
from everyname.core.count.headline import headline_ar, headline_en
from everyname.store.counting import count
from everyname.store.dashboard import DASHBOARD_FIELDS

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
