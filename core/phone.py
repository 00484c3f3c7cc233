"""Indonesian mobile numbers: one canonical form, `62` + national number starting with 8."""

from __future__ import annotations

import re
from dataclasses import dataclass


class PhoneError(ValueError):
    """A number that is not an Indonesian mobile number; `reason` is a message key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NormalisedPhone:
    canonical: str
    was_repaired: bool = False


_DIGITS = re.compile(r"[^0-9]+")  # ASCII digits only: full-width or Arabic-Indic digits are not kept


def normalise(raw: str) -> NormalisedPhone:
    """Canonicalise a buyer-typed number or raise PhoneError (`empty`, `too_short`, `too_long`, `not_mobile`)."""
    text = (raw or "").strip()
    digits = _DIGITS.sub("", text)
    if not digits:
        raise PhoneError("empty")
    repaired = False
    if digits.startswith("0062"):
        digits = digits[4:]
    elif digits.startswith("6262") and len(digits) > 12:
        digits = digits[4:]
        repaired = True
    elif digits.startswith("62"):
        digits = digits[2:]
    if digits.startswith("0"):
        digits = digits[1:]
    if len(digits) < 9:
        raise PhoneError("too_short")
    if not digits.startswith("8"):
        raise PhoneError("not_mobile")
    if len(digits) > 12:
        raise PhoneError("too_long")
    return NormalisedPhone("62" + digits, repaired)


def mask(canonical: str | None) -> str:
    """`6281234567890` -> `0812****7890` (what public pages and logs show)."""
    if not canonical:
        return ""
    local = "0" + canonical[2:] if canonical.startswith("62") else canonical
    if len(local) <= 8:
        return local[:2] + "****"
    return local[:4] + "****" + local[-4:]


def local_form(canonical: str) -> str:
    """`6281234567890` -> `081234567890`."""
    return "0" + canonical[2:] if canonical.startswith("62") else canonical
