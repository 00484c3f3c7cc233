"""core.phone against every row of the phone table in apis/whatsapp.md, plus the edge cases."""

from __future__ import annotations

import pytest

from core.phone import NormalisedPhone, PhoneError, local_form, mask, normalise


@pytest.mark.parametrize("raw", [
    "0812-3456-7890",
    "+62 812-3456-7890",
    "62 812 3456 7890",
    "812 3456 7890",
    "+62 0812 3456 7890",
    "620812-3456-7890",
    "0062 812 3456 7890",
    "(0812) 3456.7890",
])
def test_documented_inputs_become_canonical(raw):
    assert normalise(raw) == NormalisedPhone("6281234567890", False)


@pytest.mark.parametrize(("raw", "reason"), [
    ("0877887", "too_short"),
    ("021-555-1234", "not_mobile"),
    ("", "empty"),
    ("   ", "empty"),
    ("abc", "empty"),
    ("nomor saya: -", "empty"),
    ("0812-3456-7890-1234", "too_long"),
    ("+1 415 555 0100", "not_mobile"),
])
def test_rejections_carry_a_reason(raw, reason):
    with pytest.raises(PhoneError) as caught:
        normalise(raw)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)


def test_letters_around_digits_are_ignored():
    assert normalise("WA: 0812 3456 7890 (Budi)").canonical == "6281234567890"


@pytest.mark.parametrize("raw", ["626281234567890", "+62 62 812-3456-7890"])
def test_doubled_country_code_is_repaired_with_a_flag(raw):
    assert normalise(raw) == NormalisedPhone("6281234567890", True)


def test_shortest_and_longest_national_numbers():
    assert normalise("0812345678").canonical == "62812345678"  # 9-digit national number
    assert normalise("0812345678901").canonical == "62812345678901"  # 12 digits
    with pytest.raises(PhoneError, match="too_short"):
        normalise("081234567")  # 8 digits


def test_mask_and_local_form():
    assert mask("6281234567890") == "0812****7890"
    assert mask("") == "" and mask(None) == ""
    assert "3456" not in mask("6281234567890")
    assert local_form("6281234567890") == "081234567890"
