"""Small value parsers shared by the webhook parser and the API client.

Trakteer sends money as JSON numbers, numeric strings or strings with cents ("6483.00"), and times either
as ISO 8601 with an offset (webhook) or as naive Jakarta wall-clock time (public API).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

# Jakarta has had no daylight saving since 1964: a fixed offset avoids depending on tzdata.
JAKARTA = timezone(timedelta(hours=7), "WIB")


MAX_AMOUNT_IDR = 10**12  # no single tip is a trillion Rupiah: a bigger number is garbage, not money
_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")


def _plausible(amount: int) -> int:
    if abs(amount) >= MAX_AMOUNT_IDR:
        raise ValueError(f"implausible amount: {amount}")
    return amount


def whole_idr(value: object) -> int:
    """An integer Rupiah from an int, a numeric string or a whole float; ValueError otherwise.

    Fractions are refused rather than rounded: a price of 24000.5 means we misread the field.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return _plausible(value)
    if isinstance(value, str) and _THOUSANDS.fullmatch(value.strip()):
        # "24.000" is Rp 24.000 written the Indonesian way, or 24 with decimals: too ambiguous to credit.
        raise ValueError(f"ambiguous amount: {value!r}")
    if isinstance(value, float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"not a whole Rupiah amount: {value!r}")
        return _plausible(int(number))
    raise ValueError(f"not an amount: {value!r}")


def optional_idr(value: object) -> int | None:
    """Like `whole_idr`, but None for a missing or unreadable value."""
    try:
        return whole_idr(value)
    except ValueError:
        return None


def parse_time(value: object, *, naive_zone: timezone = JAKARTA) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (`T` or space separated); naive times are `naive_zone`."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_zone)
    return parsed.astimezone(UTC)
