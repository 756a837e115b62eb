"""The index name searches read (store/name_index.py): FTS5 on SQLite, GIN on PostgreSQL.

Changes no table Django knows of, so the models' state is unchanged; building it reads every
record's name key once (about a second for a million records on SQLite).
"""

from django.db import migrations

from everyname.store import name_index


def forwards(apps, schema_editor):
    name_index.install(schema_editor.connection)


def backwards(apps, schema_editor):
    name_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0017_decision_withdrawn"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
