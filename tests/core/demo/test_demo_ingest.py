"""The demo lists import as they are: every header recognised, every row valid, nothing lost."""

from __future__ import annotations

from collections import Counter

import pytest

from everyname.core.demo import DemoManifest, generate_demo
from everyname.core.ingest import open_source


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return generate_demo(tmp_path_factory.mktemp("demo_ingest"))


def test_every_demo_file_opens_and_parses_without_problems(demo: DemoManifest) -> None:
    for item in demo.files:
        with open_source(item.path, item.mapping) as source:
            records = list(source.records())
            assert source.columns_unused == [], item.path.name
            assert source.format == item.format
        problems = [str(p) for r in records for p in r.problems]
        assert problems == [], item.path.name
        assert len(records) == item.records
        assert all(r.normalised["source_record_id"] for r in records)


def test_demo_values_normalise_to_the_vocabularies(demo: DemoManifest) -> None:
    """Most values are recognised; the unknowns are the ones the lists leave open."""
    counts: dict[str, Counter[str]] = {f: Counter() for f in ("sex", "cause", "age_group")}
    precision: Counter[str] = Counter()
    for item in demo.files:
        with open_source(item.path, item.mapping) as source:
            for record in source.records():
                for field, counter in counts.items():
                    counter[record.normalised[field]] += 1
                precision[record.normalised["date_of_death_precision"]] += 1
    total = demo.records
    assert counts["sex"]["unknown"] < 0.1 * total
    assert counts["sex"]["female"] > 0.08 * total
    assert counts["cause"]["shelling"] > 0.4 * total
    assert counts["age_group"]["child"] > 0.08 * total
    assert precision["day"] > 0.8 * total and precision["month"] >= 5
