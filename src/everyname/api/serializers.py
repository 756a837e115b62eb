"""The shapes the API reads, and the ones the OpenAPI document names.

Inputs are checked here only for their form (a number is a number, a required field is there);
what they mean is the store's to judge, as it is for the command line and the pages. Outputs
are the store's own ``to_dict()`` results, described loosely (an object, a page of objects),
so the document cannot drift from what the store returns.
"""

from __future__ import annotations

from rest_framework import serializers


class Error(serializers.Serializer):
    error = serializers.CharField(help_text="What went wrong, worded for a person.")
    field = serializers.CharField(
        allow_null=True, help_text="The input to blame (a parameter or body field), or null."
    )
    problems = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="A refused file: every problem, with its row and column.",
    )


class Page(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField())
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    total = serializers.IntegerField()


class TokenRequest(serializers.Serializer):
    user = serializers.CharField(
        required=False, help_text="Whose token (an administrator's choice); default: yours."
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)


class Correction(serializers.Serializer):
    changes = serializers.DictField(
        child=serializers.CharField(allow_null=True, allow_blank=True),
        help_text="Field → the value as written; empty or null clears it.",
    )
    reason = serializers.CharField()


class Reveal(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the identity is read (kept in the audit log).")


class DecisionRequest(serializers.Serializer):
    left_record_id = serializers.IntegerField()
    right_record_id = serializers.IntegerField()
    verdict = serializers.CharField(help_text="same or different")
    link_run = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EstimateRequest(serializers.Serializer):
    filters = serializers.DictField(
        required=False, help_text="since, until, place: the filters of a count."
    )
    options = serializers.DictField(
        required=False,
        help_text="method, lists, criterion, interval, bootstrap_replicates "
        "(the options of `everyname estimate`).",
    )
    by = serializers.CharField(required=False, allow_blank=True)
    seed = serializers.IntegerField(required=False, allow_null=True)


class LinkRequest(serializers.Serializer):
    threshold = serializers.FloatField(required=False, allow_null=True)


class Upload(serializers.Serializer):
    source = serializers.CharField(help_text="The source's code.")
    file = serializers.FileField(help_text="The list: CSV, XLSX or JSON.")
    mapping = serializers.FileField(required=False, help_text="A mapping (TOML).")
    skip_invalid = serializers.BooleanField(required=False, default=False)
    strict = serializers.BooleanField(required=False, default=False)
    dry_run = serializers.BooleanField(required=False, default=False)
    source_name = serializers.CharField(required=False, allow_blank=True)
    source_kind = serializers.CharField(required=False, allow_blank=True)


class ClaimsUpload(serializers.Serializer):
    file = serializers.FileField(help_text="CSV: source,date,place,category,count,text.")


class ReleaseRequest(serializers.Serializer):
    withhold = serializers.CharField(
        required=False, default="none", help_text="What to withhold (as `everyname export`)."
    )
