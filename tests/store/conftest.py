"""Fixtures for store tests: a snapshot of everything stored, to prove refusals change nothing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection


def database_snapshot() -> dict[str, list[tuple]]:
    """Every row of every everyname table, in primary-key order."""
    snapshot = {}
    with connection.cursor() as cursor:
        for model in apps.get_app_config("store").get_models():
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            snapshot[table] = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                               for row in cursor.fetchall()]  # fmt: skip
    return snapshot


@pytest.fixture
def snapshot():
    return database_snapshot
