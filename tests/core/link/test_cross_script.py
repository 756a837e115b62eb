"""Names written in Arabic and in Latin meet through the names API's forms."""

from __future__ import annotations

import pandas as pd

from everyname.core.link import LinkSettings, link_records
from everyname.core.link.names import link_input, with_name_forms


def test_forms_bring_an_arabic_name_and_its_romanisation_together():
    frame = with_name_forms(
        pd.DataFrame(
            {
                "full_name": ["محمد عبد الرحمن الخالدي", "Mohammed Abdulrahman al-Khalidi"],
            }
        )
    )
    assert frame.loc[0, "given_key"] == frame.loc[1, "given_key"]
    assert frame.loc[0, "family_key"] == frame.loc[1, "family_key"]
    assert not pd.isna(frame.loc[0, "given_ar"]) and pd.isna(frame.loc[1, "given_ar"])


def test_placeholder_names_never_link():
    records = link_input(
        pd.DataFrame(
            {
                "record_id": ["a1", "b1"],
                "source": ["a", "b"],
                "full_name": ["مجهول", "مجهول"],
                "sex": ["male", "male"],
            }
        )
    )
    assert records["is_placeholder"].all()
    assert records["given_key"].isna().all()


def test_place_keys_agree_across_scripts():
    frame = link_input(pd.DataFrame({"full_name": ["x"], "governorate": ["ريف دمشق"]}))
    other = link_input(pd.DataFrame({"full_name": ["x"], "governorate": ["Rif Dimashq"]}))
    assert frame.loc[0, "governorate"] == other.loc[0, "governorate"]


def test_blocking_brings_the_two_scripts_together_and_only_the_same_names():
    arabic = ["محمد احمد حسن النجار", "فاطمة علي محمود الخطيب", "خالد يوسف عمر الشامي"]
    latin = ["Mohammed Ahmad Hassan al-Najjar", "Fatima Ali Mahmoud al-Khatib", "Omar Said"]
    rows = []
    for i, (ar, la) in enumerate(zip(arabic, latin, strict=True)):
        day = f"2012-02-{4 + i:02d}"
        rows.append({"record_id": f"a{i}", "source": "a", "full_name": ar, "date_of_death": day})
        rows.append({"record_id": f"b{i}", "source": "b", "full_name": la, "date_of_death": day})
    filler = [
        {
            "record_id": f"f{i}",
            "source": "c",
            "full_name": f"Name{i} Father{i % 7} Grand{i % 5} Family{i % 11}",
            "date_of_death": f"2012-03-{1 + i % 28:02d}",
        }
        for i in range(200)
    ]
    records = link_input(pd.DataFrame(rows + filler))
    # a tiny floor returns every compared pair, so we see exactly what blocking compared
    result = link_records(records, LinkSettings(review_floor=1e-12))
    compared = {
        tuple(sorted(p))
        for p in result.pairs[["record_id_l", "record_id_r"]].itertuples(index=False)
        if not (p[0].startswith("f") or p[1].startswith("f"))
    }
    assert compared == {("a0", "b0"), ("a1", "b1")}  # Omar Said is not Khalid al-Shami
