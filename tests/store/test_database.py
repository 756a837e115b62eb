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
