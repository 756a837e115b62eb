"""The suite really runs on the database it was asked for."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_connected_to_the_requested_database(request):
    expected = {"sqlite": "sqlite", "postgres": "postgresql"}[request.config.getoption("--db")]
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1


def test_every_model_change_has_its_migration():
    """A model edited without its migration would leave a new database unlike the models (and
    a restore's schema check unlike the code)."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit:
        raise AssertionError(f"models changed without a migration:\n{out.getvalue()}") from exit
