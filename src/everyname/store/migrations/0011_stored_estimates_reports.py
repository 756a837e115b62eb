"""Stored estimates and reports (fitted or built once, read many times), and the version
counter that tells a kept count input it is stale.

Counts read persons, memberships, records, sources, decisions, claims, places and record
revisions. Rows are normally only added to those tables, which the count cache sees from row
counts; these triggers count every edit or deletion in place (a repair by hand, raw SQL) in
``store_dataversion``, on SQLite (per row) and PostgreSQL (per statement).
"""

import django.db.models.deletion
from django.db import migrations, models

WATCHED = (
    "store_person",
    "store_membership",
    "store_record",
    "store_recordrevision",
    "store_source",
    "store_matchdecision",
    "store_reviewpair",
    "store_claim",
    "store_userplace",
    "store_linkrun",
)


def _sqlite_forward():
    out = []
    for table in WATCHED:
        for op in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER {table}_{op.lower()}_dataversion AFTER {op} ON {table} BEGIN "
                "INSERT OR IGNORE INTO store_dataversion (id, version) VALUES (1, 0); "
                "UPDATE store_dataversion SET version = version + 1 WHERE id = 1; END;"
            )
    return out


def _sqlite_backward():
    return [
        f"DROP TRIGGER IF EXISTS {table}_{op}_dataversion;"
        for table in WATCHED
        for op in ("update", "delete")
    ]


POSTGRES_FUNCTION = """CREATE FUNCTION store_dataversion_bump() RETURNS trigger AS $$
   BEGIN
     INSERT INTO store_dataversion (id, version) VALUES (1, 1)
       ON CONFLICT (id) DO UPDATE SET version = store_dataversion.version + 1;
     RETURN NULL;
   END; $$ LANGUAGE plpgsql;"""


def _postgres_forward():
    return [POSTGRES_FUNCTION] + [
        f"CREATE TRIGGER {table}_dataversion AFTER UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION store_dataversion_bump();"
        for table in WATCHED
    ]


def _postgres_backward():
    return [f"DROP TRIGGER IF EXISTS {table}_dataversion ON {table};" for table in WATCHED] + [
        "DROP FUNCTION IF EXISTS store_dataversion_bump();"
    ]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite_forward, "postgresql": _postgres_forward}.get(vendor, list)
    for statement in statements():
        schema_editor.execute(statement)
    apps.get_model("store", "DataVersion").objects.get_or_create(pk=1)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite_backward, "postgresql": _postgres_backward}.get(vendor, list)
    for statement in statements():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0010_rejected_rows_and_jobs"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="StoredEstimate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("input_name", models.CharField(blank=True, max_length=500)),
                ("filters", models.JSONField(default=dict)),
                ("by", models.CharField(blank=True, max_length=64)),
                (
                    "method",
                    models.CharField(
                        blank=True, help_text="as asked; blank: default", max_length=16
                    ),
                ),
                ("settings", models.JSONField(default=dict)),
                ("seed", models.BigIntegerField()),
                ("input_fingerprint", models.CharField(max_length=128)),
                ("versions", models.JSONField(default=dict)),
                ("result", models.JSONField()),
                ("created_by", models.CharField(max_length=150)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "link_run",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="store.linkrun",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="StoredReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("filters", models.JSONField(default=dict)),
                ("format", models.CharField(max_length=8)),
                ("content", models.BinaryField()),
                ("sha256", models.CharField(max_length=64)),
                ("size_bytes", models.BigIntegerField()),
                ("settings", models.JSONField(default=dict)),
                ("versions", models.JSONField(default=dict)),
                ("headline_en", models.TextField(blank=True)),
                ("headline_ar", models.TextField(blank=True)),
                ("created_by", models.CharField(max_length=150)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "estimates",
                    models.ManyToManyField(
                        blank=True, related_name="reports", to="store.storedestimate"
                    ),
                ),
                (
                    "link_run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="store.linkrun",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
