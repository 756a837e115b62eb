"""Make the audit table append-only in the database itself, on SQLite and on PostgreSQL.

The model already refuses updates and deletes; these triggers also stop raw SQL and bulk
operations that bypass the model.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER store_auditevent_no_update BEFORE UPDATE ON store_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
    """CREATE TRIGGER store_auditevent_no_delete BEFORE DELETE ON store_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS store_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS store_auditevent_no_delete;",
]
POSTGRES_FORWARD = [
    """CREATE FUNCTION store_auditevent_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER store_auditevent_no_change BEFORE UPDATE OR DELETE ON store_auditevent
       FOR EACH ROW EXECUTE FUNCTION store_auditevent_refuse();""",
    """CREATE TRIGGER store_auditevent_no_truncate BEFORE TRUNCATE ON store_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION store_auditevent_refuse();""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS store_auditevent_no_truncate ON store_auditevent;",
    "DROP TRIGGER IF EXISTS store_auditevent_no_change ON store_auditevent;",
    "DROP FUNCTION IF EXISTS store_auditevent_refuse();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
