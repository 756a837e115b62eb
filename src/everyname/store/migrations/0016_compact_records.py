"""Records stored compactly (issue 12: a list at most 6 × its CSV size): ``raw`` as the list of
its cells, the batch keeping the headers once (``Batch.columns["record_plan"]``); ``as_written``
null when the raw row and that plan give it exactly; ``normalised`` without the parts it
rebuilds exactly (``store.compact_json.pack_normalised``); the name key and the span of the
date of death in columns of their own, which SQL filters by.

Every record stored before is rewritten into that form. The protective triggers refuse any
change to ``raw`` and ``as_written``, so they are removed for the rewrite and made again after
it (for the new columns too), inside the migration's transaction. A batch imported before keeps
its columns and gains the plan, made from the columns it used and the columns of its first raw
row; a record whose values the plan does not give exactly keeps them as they are.
"""

import json

from django.db import migrations, models

from everyname.store.compact_json import (
    PLAN,
    batch_plan,
    derived_as_written,
    filter_columns,
    pack,
    pack_as_written,
    pack_normalised,
    pack_raw,
    unpack,
    unpack_normalised,
    unpack_raw,
)

CHUNK = 2000


def _plan(batch, record_model):
    plan = batch_plan(batch.columns)
    if plan is not None or not isinstance(batch.columns, dict) or "used" not in batch.columns:
        return plan, False
    from everyname.core.ingest import labels_notes

    first = record_model.objects.filter(batch_id=batch.pk).order_by("pk").values_list("raw")[:1]
    raw = next(iter(first), (None,))[0]
    used = batch.columns["used"]
    return {
        "headers": list(raw) if isinstance(raw, dict) else [],
        "columns": [[column, list(fields)] for column, fields in used.items()],
        "label_notes": labels_notes(used),
        "defaults": dict(batch.columns.get("defaults") or {}),
    }, True


def _rewrite(apps, schema_editor, convert):
    """Each record through ``convert``, written back with one UPDATE per record by primary key
    (``executemany``): Django's ``bulk_update`` builds a CASE over the whole chunk for every
    row, which is quadratic (20,000 records took minutes), and writes JSON with escaped Arabic
    (six bytes a letter instead of two)."""
    from everyname.store import protection

    connection = schema_editor.connection
    batch_model = apps.get_model("store", "Batch")
    record_model = apps.get_model("store", "Record")
    protection.uninstall(connection)
    postgresql = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    casts = {"raw": "::jsonb", "as_written": "::jsonb", "normalised": "::jsonb"}
    casts.update({"death_from": "::date", "death_to": "::date"})
    sql = (
        f"UPDATE {quote(record_model._meta.db_table)} SET "
        + ", ".join(f"{quote(c)} = %s{casts.get(c, '') if postgresql else ''}" for c in FIELDS)
        + " WHERE id = %s"
    )
    for batch in batch_model.objects.order_by("pk").iterator():
        plan, new = _plan(batch, record_model)
        if new and convert is _compact:
            batch_model.objects.filter(pk=batch.pk).update(columns={**batch.columns, PLAN: plan})
        records = record_model.objects.filter(batch_id=batch.pk).order_by("pk")
        rows = records.values_list("pk", *FIELDS)
        changed = []
        for pk, *values in rows.iterator(chunk_size=CHUNK):
            stored = dict(zip(FIELDS, values, strict=True))
            convert(stored, plan)
            changed.append([_column(c, stored[c]) for c in FIELDS] + [pk])
            if len(changed) >= CHUNK:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, changed)
                changed = []
        if changed:
            with connection.cursor() as cursor:
                cursor.executemany(sql, changed)
    if convert is _compact:
        protection.install(lambda name: apps.get_model("store", name), connection)


FIELDS = ("raw", "as_written", "normalised", "name_key", "death_from", "death_to")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _column(name, value):
    if value is None or name in ("name_key",):
        return value
    if name in ("death_from", "death_to"):
        return str(value)
    return _encode(value)


def _compact(record, plan):
    raw = unpack_raw(record["raw"], plan)
    normalised = unpack_normalised(record["normalised"])
    if record["as_written"] is not None:
        record["as_written"] = pack(pack_as_written(unpack(record["as_written"]), raw, plan))
    record["raw"] = pack_raw(raw, plan)
    record["normalised"] = pack_normalised(normalised)
    record["name_key"], record["death_from"], record["death_to"] = filter_columns(normalised)


def _expand(record, plan):
    raw = unpack_raw(record["raw"], plan)
    if record["as_written"] is None:
        record["as_written"] = pack(derived_as_written(raw, plan))
    record["raw"] = raw
    record["normalised"] = pack(unpack_normalised(record["normalised"]))


def compact(apps, schema_editor):
    _rewrite(apps, schema_editor, _compact)


def expand(apps, schema_editor):
    _rewrite(apps, schema_editor, _expand)


def install_protection(apps, schema_editor):
    from everyname.store import protection

    protection.install(lambda name: apps.get_model("store", name), schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0015_user_language"),
    ]

    operations = [
        # undone last: the triggers of the schema before, once the records are back in it
        migrations.RunPython(migrations.RunPython.noop, install_protection),
        migrations.AlterField(
            model_name="record",
            name="as_written",
            field=models.JSONField(null=True),
        ),
        migrations.AddField(
            model_name="record",
            name="name_key",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="record",
            name="death_from",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="record",
            name="death_to",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(compact, expand),
    ]
