"""The count frames kept in the database (store.counting): a link run's persons with their
places resolved and its memberships, as Parquet bytes in pieces, built once per run instead of
once per process; and the triggers that delete them when a row they were read from (persons,
memberships, places, a source's code, a record's source) is edited or deleted in place.

Empty when made: the first count (or the next link run) builds them.
"""

import django.db.models.deletion
from django.db import migrations, models

from everyname.store import counting


def forwards(apps, schema_editor):
    counting.install_frame_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    counting.uninstall_frame_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('store', '0018_name_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountFrame',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('frame', models.CharField(max_length=16)),
                ('number', models.PositiveIntegerField()),
                ('pieces', models.PositiveIntegerField()),
                ('stamp', models.CharField(max_length=128)),
                ('data', models.BinaryField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('link_run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='store.linkrun')),
            ],
            options={
                'ordering': ['link_run', 'frame', 'number'],
                'constraints': [models.UniqueConstraint(fields=('link_run', 'frame', 'number'), name='unique_count_frame_piece')],
            },
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
