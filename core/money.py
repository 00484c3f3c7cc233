"""Integer Rupiah arithmetic. No floats: percentages are basis points (1 % = 100 bp)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def parse_percent_bp(value: object) -> int:
    """`"5"` -> 500, `"0.7"` -> 70, `5.7` is refused as a float (write it as a string in YAML)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"percentages must be written as strings or integers, not {value!r}")
    try:
        bp = Decimal(str(value).strip().rstrip("%")) * 100
    except InvalidOperation as exc:
        raise ValueError(f"not a percentage: {value!r}") from exc
    if bp != bp.to_integral_value():
        raise ValueError(f"percentage {value!r} is finer than 0.01 %")
    return int(bp)


def percent_of(amount_idr: int, bp: int, *, round_up: bool = True) -> int:
    """`bp` basis points of `amount_idr`, rounded up (costs) or down (shares) to a whole Rupiah."""
    num = amount_idr * bp
    q, r = divmod(num, 10_000)
    return q + (1 if round_up and r else 0)


def round_up_to_unit(amount_idr: int, unit_idr: int) -> int:
    """Round up to a whole multiple of the payment unit (e.g. Rp 1.000 Trakteer units)."""
    if unit_idr <= 0:
        raise ValueError("unit must be positive")
    return -(-amount_idr // unit_idr) * unit_idr


def units_for(amount_idr: int, unit_idr: int) -> int:
    """How many whole units pay at least `amount_idr`."""
    return -(-amount_idr // unit_idr)


def format_idr(amount_idr: int | None) -> str:
    """`24000` -> `Rp 24.000`; negative amounts keep their sign: `-Rp 2.000`."""
    if amount_idr is None:
        return "-"
    sign = "-" if amount_idr < 0 else ""
    return f"{sign}Rp {abs(int(amount_idr)):,}".replace(",", ".")
