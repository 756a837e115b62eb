"""Derive ``romanisation.tsv`` from Tech For Palestine's dictionary of Gazan name romanisations.

Run from the repository root with the shared data beside it:

    .venv/bin/python src/everyname/core/data/names/derive_romanisation.py \
        ../shared/data/linkage/arabic_translit/tfp_gaza_dict_ar_en.csv

Rule: each Arabic entry is normalised like ``normalise_arabic`` does, without its repair of
garbled words (which looks words up in this very table); entries of several words are
kept only when the Latin side has as many words (then aligned word by word). An entry is kept
only when the consonant skeleton (``name_key``) of the Arabic and of the Latin agree: this drops
the dictionary's few slips (an "ابو X" romanised without "Abu", a compound given only its
second half) and keeps its curated vowels. The first agreeing romanisation of a normalised word
wins. Nothing is invented: every Latin value is TFP's.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from everyname.core.names.arabic import arabic_words, has_arabic
from everyname.core.names.keys import name_key

HEADER = """\
# Normalised Arabic name word -> its usual romanisation (as written by the source, before
# normalise_latin). Used by everyname.core.names.romanise before its letter rules.
# Provenance: Tech For Palestine, palestine-datasets, scripts/data/common/killed-in-gaza/data/
# dict_ar_en.csv at 9ea6456f4437dac6f04e22eaab85b0ec88601179, public-domain dedication.
# Derived by derive_romanisation.py beside this file (normalised, filtered: Arabic and Latin
# consonant skeletons agree). {kept} of {total} entries kept.
# arabic\tlatin
"""


def derive(source: Path) -> tuple[dict[str, str], int]:
    table: dict[str, str] = {}
    total = 0
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 2 or not has_arabic(row[0]):
                continue
            total += 1
            words = arabic_words(row[0])
            latin = row[1].strip().strip("()").strip()
            latin_words = latin.split()
            if len(words) > 1:
                if len(words) != len(latin_words):
                    continue
                pairs = list(zip(words, latin_words, strict=True))
            else:
                pairs = [(words[0], latin)] if words else []
            for arabic, roman in pairs:
                if arabic in ("ابو", "عبد"):
                    continue
                if arabic not in table and name_key(arabic) == name_key(roman):
                    table[arabic] = roman.lower()
    return table, total


def main(argv: list[str]) -> None:
    source = Path(argv[1])
    table, total = derive(source)
    out = Path(__file__).with_name("romanisation.tsv")
    with out.open("w", encoding="utf-8") as handle:
        handle.write(HEADER.format(kept=len(table), total=total))
        for arabic in sorted(table):
            handle.write(f"{arabic}\t{table[arabic]}\n")
    print(f"wrote {len(table)} words to {out}")


if __name__ == "__main__":
    main(sys.argv)
