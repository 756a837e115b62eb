"""The public names API answers the issue's own examples (one person, three spellings)."""

from everyname.core.names import name_forms, name_key, name_similarity, romanise, split_name


def test_one_person_three_spellings_share_keys() -> None:
    spellings = [
        "محمد عبد الرحمن الخالدي",
        "Mohammed Abdulrahman al-Khalidi",
        "Muhammad Abd al-Rahman Khaldi",
    ]
    keys = {
        tuple(name_forms({"full_name": s})[f"{p}_key"] for p in ("given", "father", "family"))
        for s in spellings
    }
    assert keys == {("MHMD", "BDLRHMN", "KLD")}


def test_split_keeps_explicit_parts() -> None:
    parts = split_name("Ahmad Saleh Awad", family="Abu Rikab")
    assert parts.family == "Abu Rikab"
    assert parts.given == "Ahmad"


def test_arabic_and_latin_compare_in_one_space() -> None:
    assert romanise("محمد") == romanise("Mohammed")
    assert name_key("يوسف") == name_key("Youssef")
    assert name_similarity("Unidentified 3", "Unidentified 3") == 0.0


def test_stored_forms_are_refreshed_only_when_older_than_the_rules():
    from everyname.core.names import NAME_FORMS_VERSION, refreshed_name_forms

    current = name_forms({"full_name": "Yousef Abd Hassan Safa"})
    assert current["name_forms_version"] == NAME_FORMS_VERSION
    assert refreshed_name_forms(current | {"full_name": "Yousef Abd Hassan Safa"}) is None
    older = {"full_name": "Yousef Abd Hassan Safa", "father_key": "BDSN", "name_forms_version": 1}
    assert refreshed_name_forms(older)["father_key"] == "BD"
    assert refreshed_name_forms({"full_name": None}) is None
