"""Records' normalised values stored with short codes for the long field names
(``store.compact_json``): the records stored before are rewritten, so that a database filter on
any field finds old and new records alike. ``as_written`` stays as imported (its protective
trigger forbids any change, and nothing filters on it in the database): the field reads either
form.
"""

from django.db import migrations

from everyname.store.compact_json import CODES, NAMES, pack, unpack


def _rewrite(apps, convert, stale):
    record = apps.get_model("store", "Record")
    changed = []
    for item in record.objects.only("id", "normalised").order_by("pk").iterator(chunk_size=2000):
        if isinstance(item.normalised, dict) and stale.intersection(item.normalised):
            item.normalised = convert(item.normalised)
            changed.append(item)
        if len(changed) >= 2000:
            record.objects.bulk_update(changed, ["normalised"])
            changed = []
    if changed:
        record.objects.bulk_update(changed, ["normalised"])


def to_codes(apps, schema_editor):
    _rewrite(apps, pack, frozenset(CODES))


def to_names(apps, schema_editor):
    _rewrite(apps, unpack, frozenset(NAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0013_compact_storage"),
    ]

    operations = [migrations.RunPython(to_codes, to_names)]
