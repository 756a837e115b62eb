"""Claims and copy groups: managed by analysts and admins, listed for anyone who sees figures."""

from __future__ import annotations

import io

import pytest

from everyname.core.errors import InputRejected, NotFound, PermissionDenied
from everyname.store.audit import Action
from everyname.store.claims import import_claims, list_claims, set_copy_group
from everyname.store.models import AuditEvent, Claim, Source
from everyname.store.sources import get_or_create_source

pytestmark = pytest.mark.django_db

CLAIMS = (
    "source,date,place,category,count,text\n"
    "SANA,2012-02-07,Homs,combatant,30,30 army and security members buried\n"
    "LCC,2012-02,Baba Amr,,12,\n"
)


def upload(text: str, name: str = "claims.csv") -> io.BytesIO:
    handle = io.BytesIO(text.encode("utf-8"))
    handle.name = name
    return handle


def test_import_claims_for_every_member_of_the_cast(cast, snapshot):
    for member, actor in cast.items():
        before = snapshot()
        if member in ("admin", "analyst"):
            done = import_claims(actor, upload(CLAIMS))
            assert done.to_dict() == {"file_name": "claims.csv", "claims": 2}
            event = AuditEvent.objects.filter(action=Action.CLAIMS_IMPORTED).last()
            assert event.actor == actor.username
        else:
            with pytest.raises(PermissionDenied):
                import_claims(actor, upload(CLAIMS))
            assert snapshot() == before
    assert Claim.objects.count() == 4


def test_an_uploaded_claims_file_equals_the_same_file_from_a_path(tmp_path, cast):
    path = tmp_path / "claims.csv"
    path.write_text(CLAIMS, encoding="utf-8")
    import_claims(cast["admin"], path)
    import_claims(cast["admin"], upload(CLAIMS))
    fields = ("source", "date", "place", "category", "count", "text", "file_name", "row_number")
    rows = list(Claim.objects.order_by("id").values_list(*fields))
    assert len(rows) == 4 and rows[:2] == rows[2:]


def test_a_bad_claims_file_is_refused_whole(cast, snapshot):
    before = snapshot()
    with pytest.raises(InputRejected):
        import_claims(cast["admin"], upload(CLAIMS + "SANA,2012-02-08,Homs,,many,\n"))
    assert snapshot() == before


def test_list_claims_for_every_member_of_the_cast(cast):
    import_claims(cast["admin"], upload(CLAIMS))
    for actor in cast.values():
        listed = list_claims(actor)
        assert [(c.source, c.count, c.row_number) for c in listed] == [
            ("LCC", 12, 3),
            ("SANA", 30, 2),
        ]
    assert list_claims(cast["viewer"])[1].to_dict()["created_by"] == "alice"


def test_set_copy_group_for_every_member_of_the_cast(cast, snapshot, key_file):
    for code in ("src-a", "src-b"):
        get_or_create_source(code, "setup")
    for member, actor in cast.items():
        if member in ("admin", "analyst"):
            done = set_copy_group(actor, ["src-a", "src-b"], f"group-{member}")
            assert done.to_dict() == {"sources": ("src-a", "src-b"), "group": f"group-{member}"}
            assert set(Source.objects.values_list("copy_group", flat=True)) == {done.group}
        else:
            before = snapshot()
            with pytest.raises(PermissionDenied):
                set_copy_group(actor, ["src-a"], "nope")
            assert snapshot() == before
    with pytest.raises(NotFound) as missing:
        set_copy_group(cast["admin"], ["src-a", "nowhere"], "g")
    assert missing.value.field == "source" and "nowhere" in str(missing.value)
