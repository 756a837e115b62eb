"""What a value or row should have been, said in Arabic from the core's own sentences (made here
by the core from real cells), and in English as the core wrote it."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from everyname.core.ingest import ONLY_REPORTER, normalise, open_source
from everyname.core.readers import ReadLimits
from everyname.core.schema import VOCABULARIES
from everyname.web.expected_text import SENTENCES, expected

ARABIC = re.compile("[\u0600-\u06ff]")
ENGLISH_WORD = re.compile(r"\b(a|an|the|of|and|or|not|one|value|date|age|year|row)\b")


def said_by_the_core() -> list[str]:
    """Every sentence of what was expected that the core gives for a cell or a row."""
    cells = [
        *({field: "heart attack"} for field in VOCABULARIES),
        {"sex": "male, female"},
        {"age": "430"},
        {"age": "1985"},
        {"age": "25-20"},
        {"age": "see notes"},
        {"date_of_death": "2012-02-30"},
        {"date_of_death": "2012-13"},
        {"date_of_death": "32/13/2012"},
        {"date_of_death": "7/2/12"},
        {"date_of_death": "1700"},
        {"date_of_death": "yesterday"},
    ]
    out = [text for cell in cells for _, text in normalise(cell)[1]]
    out += [
        text
        for cell in ({"date_of_death": "07/02/2012"},)
        for _, text in normalise(cell, date_order="YMD")[1]
    ]
    out.append(ONLY_REPORTER)
    return out


CORE = said_by_the_core()


def test_the_core_gives_a_sentence_of_each_form():
    forms = {
        next(i for i, (p, _) in enumerate(SENTENCES) if p.match(s))
        for s in CORE
        if any(p.match(s) for p, _ in SENTENCES)
    }
    assert len(forms) >= 12, CORE
    assert len(CORE) >= len(VOCABULARIES) + 10


@pytest.mark.parametrize("english", CORE)
def test_each_is_said_in_arabic_from_its_figures_and_in_english_as_written(english):
    with translation.override("ar"):
        arabic = str(expected(english))
    assert arabic != english and ARABIC.search(arabic), english
    plain = re.sub(r"<code[^>]*>.*?</code>|\[values\.[a-z_]+\]|[A-Z][a-z]{2} 2012", "", arabic)
    assert not ENGLISH_WORD.search(plain), arabic
    for figure in re.findall(r"\d{3,}", english):  # the figures are kept
        assert figure in arabic, (english, arabic)
    with translation.override("en"):
        assert expected(english) == english


def test_a_cell_cut_and_a_row_naming_nobody_are_said_too(tmp_path):
    """The reader's sentence for a cell cut to the limit, and the row plan's for a row with text
    only in columns not used, each with its columns as written."""
    (cut,) = ReadLimits().cut(2, {"ملاحظات": "x" * 40_000}).issues
    listed = tmp_path / "list.csv"
    listed.write_text("الاسم,العمر,لون\nمحمد,30,\n,,أحمر\n", encoding="utf-8")
    with open_source(listed) as source:
        problems = [p.expected for record in source.records() for p in record.problems]
    (nobody,) = problems
    with translation.override("ar"):
        for english, column in ((cut, "ملاحظات"), (nobody, "العمر")):
            arabic = str(expected(english))
            assert ARABIC.search(arabic) and not ENGLISH_WORD.search(arabic), arabic
            assert column in arabic and re.sub(r"\D", "", english)[:5] in re.sub(r"\D", "", arabic)


@given(st.text(max_size=60))
def test_a_sentence_the_page_does_not_know_stays_as_the_core_wrote_it(text):
    if any(p.match(text) for p, _ in SENTENCES):
        return
    with translation.override("ar"):
        assert expected(text) == text
