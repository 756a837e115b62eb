"""English and Arabic: the Arabic catalogue is complete (every string of every template and
view translated, nothing fuzzy, the compiled file up to date), and a page is in Arabic, right
to left, when the browser asks for Arabic or the user chooses it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

import everyname.web

WEB = Path(everyname.web.__file__).parent
CATALOGUE = WEB / "locale" / "ar" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w*\}")


def entries(po: polib.POFile) -> dict[tuple[str, str], polib.POEntry]:
    return {(e.msgctxt or "", e.msgid): e for e in po if not e.obsolete}


def test_every_arabic_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(CATALOGUE))
    assert po.metadata.get("Language") == "ar" and "nplurals=6" in po.metadata["Plural-Forms"]
    assert len(po) > 50
    for entry in po:
        assert not entry.obsolete, f"obsolete entry left in the catalogue: {entry.msgid!r}"
        assert "fuzzy" not in entry.flags, f"fuzzy: {entry.msgid!r}"
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        assert texts and all(t.strip() for t in texts), f"untranslated: {entry.msgid!r}"
        for text in texts:
            # The same placeholders, or Django fails (or shows the wrong number) at render time.
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid)), (
                entry.msgid
            )
            assert re.search("[\u0600-\u06ff]", text), f"not Arabic: {entry.msgid!r}"


def test_the_catalogue_has_every_string_of_the_templates_and_views(tmp_path, settings, monkeypatch):
    """Django's own extraction (makemessages, GNU gettext's xgettext) run on a copy of the web
    app: every string it finds must be in the catalogue."""
    assert shutil.which("xgettext"), "GNU gettext is needed (make test installs it)"
    copy = tmp_path / "web"
    shutil.copytree(WEB, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static"))
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [str(copy / "locale")]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["ar"], verbosity=0)
    extracted = entries(polib.pofile(str(copy / "locale/ar/LC_MESSAGES/django.po")))
    catalogue = entries(polib.pofile(str(CATALOGUE)))
    assert len(extracted) > 50
    missing = sorted(set(extracted) - set(catalogue))
    assert not missing, f"not in the Arabic catalogue (run `make messages`): {missing}"


def test_the_compiled_catalogue_matches_the_source():
    po, mo = polib.pofile(str(CATALOGUE)), polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    compiled = {(e.msgctxt or "", e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in mo}
    for key, entry in entries(po).items():
        wanted = (entry.msgstr, {int(k): v for k, v in entry.msgstr_plural.items()})
        got = compiled.get(key)
        got = (got[0], {int(k): v for k, v in got[1].items()}) if got else None
        assert got == wanted, f"{key[1]!r}: the .mo is stale (run `make messages`)"


@pytest.mark.django_db
def test_the_browser_language_chooses_arabic_before_sign_in(client):
    english = client.get("/accounts/login/").content.decode()
    assert '<html lang="en" dir="ltr">' in english and "Sign in" in english
    arabic = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "تسجيل الدخول" in arabic and "Sign in" not in arabic


@pytest.mark.django_db
def test_a_user_switches_to_arabic_and_back(client, sign_in):
    sign_in(client, "viewer")
    assert '<html lang="en" dir="ltr">' in client.get("/").content.decode()
    switched = client.post("/i18n/setlang/", {"language": "ar", "next": "/figures/"})
    assert switched.status_code == 302 and switched["Location"] == "/figures/"
    page = client.get("/").content.decode()
    assert '<html lang="ar" dir="rtl">' in page and "لوحة المتابعة" in page
    assert '<span class="role">مطّلع</span>' in page  # the role in the header, in Arabic
    assert 'value="en" lang="en">English<' in page  # the way back, named in its own language
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en" dir="ltr">' in client.get("/").content.decode()


def test_the_style_sheet_uses_logical_properties_only():
    """Arabic pages mirror because no rule says left or right."""
    css = (WEB / "static" / "web" / "everyname.css").read_text(encoding="utf-8")
    assert not re.search(r"(margin|padding|border)-(left|right)|text-align:\s*(left|right)", css)
    assert not re.search(r"(?<![-\w])(left|right)\s*:", css)
