"""Sealed values: readable back only by the person, and for the button or form, they were written for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.domain.clock import FakeClock
from bot.slack.meetings import blocks
from bot.slack.sealed import SEALED_VALUE_LIFETIME, SealedValues, ValueExpired, ValueRefused

KEY = Fernet.generate_key().decode()
WHO = {"team_id": "T1", "user_id": "U_ALICE"}


def sealer(clock: FakeClock | None = None, keys: list[str] | None = None) -> SealedValues:
    return SealedValues(keys or [KEY], clock or FakeClock())


def test_a_sealed_value_opens_for_its_person_and_button_only() -> None:
    values = sealer()
    sealed = values.seal("123456789", used_by=blocks.CANCEL, **WHO)
    assert "123456789" not in sealed
    assert values.open(sealed, used_by=blocks.CANCEL, **WHO) == "123456789"
    for other in (
        {"team_id": "T1", "user_id": "U_BOB", "used_by": blocks.CANCEL},
        {"team_id": "T2", "user_id": "U_ALICE", "used_by": blocks.CANCEL},
        {"team_id": "T1", "user_id": "U_ALICE", "used_by": blocks.SHARE},
    ):
        with pytest.raises(ValueRefused) as refused:
            values.open(sealed, **other)
        assert not refused.value.expired


@pytest.mark.parametrize("forged", ["123456789", "", "gAAAAA", "{}"])
def test_a_value_the_bot_did_not_seal_is_refused(forged: str) -> None:
    with pytest.raises(ValueRefused):
        sealer().open(forged, used_by=blocks.CANCEL, **WHO)


def test_a_value_sealed_with_another_key_or_for_another_purpose_is_refused() -> None:
    other = sealer(keys=[Fernet.generate_key().decode()]).seal("1", used_by=blocks.CANCEL, **WHO)
    with pytest.raises(ValueRefused):
        sealer().open(other, used_by=blocks.CANCEL, **WHO)


def test_an_old_value_is_refused_as_expired_and_key_rotation_keeps_values_working() -> None:
    clock = FakeClock()
    sealed = sealer(clock).seal("1", used_by=blocks.CANCEL, **WHO)
    rotated = sealer(clock, keys=[Fernet.generate_key().decode(), KEY])
    assert rotated.open(sealed, used_by=blocks.CANCEL, **WHO) == "1"
    clock.advance(SEALED_VALUE_LIFETIME + timedelta(seconds=1))
    with pytest.raises(ValueExpired) as refused:
        sealer(clock).open(sealed, used_by=blocks.CANCEL, **WHO)
    assert refused.value.expired


def test_buttons_seals_the_values_read_back_and_leaves_links_alone() -> None:
    card: list[dict[str, Any]] = [
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": blocks.JOIN, "url": "https://j", "value": "123"},
                {"type": "button", "action_id": blocks.CANCEL, "value": "123"},
            ],
        },
        {"type": "section", "accessory": {"type": "button", "action_id": blocks.EDIT, "value": "123"}},
    ]
    values = sealer()
    sealed = values.buttons(card, **WHO)
    assert card[0]["elements"][1]["value"] == card[1]["accessory"]["value"] == "123"  # originals unchanged
    assert sealed[0]["elements"][0]["value"] == "123"
    assert values.open(sealed[0]["elements"][1]["value"], used_by=blocks.CANCEL, **WHO) == "123"
    assert values.open(sealed[1]["accessory"]["value"], used_by=blocks.EDIT, **WHO) == "123"


def test_a_form_carries_its_metadata_sealed_for_that_form() -> None:
    values = sealer()
    view = {"type": "modal", "callback_id": blocks.EDIT_VIEW, "private_metadata": '{"key":"1"}'}
    sealed = values.view(view, **WHO)
    assert view["private_metadata"] == '{"key":"1"}'
    assert values.open(sealed["private_metadata"], used_by=blocks.EDIT_VIEW, **WHO) == '{"key":"1"}'
    with pytest.raises(ValueRefused):
        values.open(sealed["private_metadata"], used_by=blocks.SCHEDULE_VIEW, **WHO)


def test_a_value_too_long_to_fit_once_sealed_is_a_programming_error() -> None:
    button = {"type": "button", "action_id": blocks.MORE, "value": "x" * 1600}
    card = [{"type": "actions", "elements": [button]}]
    with pytest.raises(ValueError, match="2000"):
        sealer().buttons(card, **WHO)


def test_a_button_value_sealed_before_the_upgrade_still_opens() -> None:
    # Sealed with Fernet by the bot before AES-GCM-SIV, on 2026-12-01 09:00 UTC, with a test key.
    key = "bGVnYWN5IGtleSBmb3IgdGVzdHMgb25seSwgMzIgYnk="
    legacy = (
        "gAAAAABrDoyQngy3bFH6KZeZQnnz0_67N0tq2eZDUUFw9LxbuzO8JaX21muOPRVYhdofkAY2uN_3j3SL_-MKO7t2FnyDdiXpZ2a-"
        "9YAEGKFPblUwnvAq9kzQanAtgpWXo28c_Qkq7TASCo_656VyQ-3bc_AEL1tCUg=="
    )
    values = sealer(FakeClock(datetime(2026, 12, 7, tzinfo=UTC)), keys=[key])
    assert values.open(legacy, used_by=blocks.CANCEL, **WHO) == "123456789"
    with pytest.raises(ValueRefused):
        values.open(legacy, used_by=blocks.SHARE, **WHO)
