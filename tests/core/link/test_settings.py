"""Link settings: validated in one place, saved and read back without loss."""

from __future__ import annotations

import json

import pytest

from everyname.core.link import InvalidLinkSettings, LinkSettings
from everyname.core.link.settings import BlockingSettings


def test_defaults_round_trip_through_json():
    settings = LinkSettings()
    again = LinkSettings.from_dict(json.loads(json.dumps(settings.to_dict())))
    assert again == settings


def test_changed_settings_round_trip():
    settings = LinkSettings(
        threshold=0.95, seed=7, blocking=BlockingSettings(rules=(("family_key",),))
    )
    assert LinkSettings.from_dict(settings.to_dict()) == settings


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidLinkSettings) as err:
        LinkSettings(threshold=1.5, same_source_threshold=0.0, review_floor=0.0)
    message = str(err.value)
    assert "threshold" in message and "same_source_threshold" in message
    assert "review_floor" in message


def test_unknown_saved_keys_are_refused():
    with pytest.raises(InvalidLinkSettings, match="colour"):
        LinkSettings.from_dict({"colour": "red"})


def test_empty_blocking_is_refused():
    with pytest.raises(InvalidLinkSettings, match="blocking"):
        LinkSettings(blocking=BlockingSettings(rules=()))
