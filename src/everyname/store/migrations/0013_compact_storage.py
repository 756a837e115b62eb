"""Storage made smaller: the original file compressed before it is encrypted (a new, nullable
column says so; batches imported before keep their plain chunks and read as before), and the
two single-column indexes of records on batch and source dropped, which the composite indexes
(batch, row_number) and (source, source_record_id) already serve.

The indexes are dropped by name as the database reports them, not by letting Django alter the
foreign keys: on SQLite that would rebuild the records table (copying every record and dropping
its protective triggers) for what is one DROP INDEX on either database. The batch's trigger
names every column an update must leave alone, so it is made again to name the new one.
"""

import django.db.models.deletion
from django.db import migrations, models

_COLUMNS = ("batch_id", "source_id")


def _single_column_indexes(schema_editor, table):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] in ([c] for c in _COLUMNS)
    ]


def drop_indexes(apps, schema_editor):
    table = apps.get_model("store", "Record")._meta.db_table
    for name in _single_column_indexes(schema_editor, table):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    record = apps.get_model("store", "Record")
    existing = _single_column_indexes(schema_editor, record._meta.db_table)
    for column in _COLUMNS:
        name = f"store_record_{column}_idx"
        if name not in existing:
            schema_editor.execute(
                f"CREATE INDEX {schema_editor.quote_name(name)} ON "
                f"{schema_editor.quote_name(record._meta.db_table)} "
                f"({schema_editor.quote_name(column)})"
            )


def install_protection(apps, schema_editor):
    from everyname.store import protection

    protection.install(lambda name: apps.get_model("store", name), schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0012_audit_chain_key_fingerprint_protection"),
    ]

    operations = [
        migrations.AddField(
            model_name="batch",
            name="original_compression",
            field=models.CharField(blank=True, editable=False, max_length=16, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="record",
                    name="batch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="records",
                        to="store.batch",
                    ),
                ),
                migrations.AlterField(
                    model_name="record",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="records",
                        to="store.source",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
        migrations.RunPython(install_protection, migrations.RunPython.noop),
    ]
