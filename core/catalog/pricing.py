"""Sell prices: provider cost + markup rule, rounded UP to a whole payment unit; the margin floor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.errors import invalid
from core.interfaces import KINDS
from core.money import parse_percent_bp, percent_of, round_up_to_unit
from core.settings import MarkupRule

MAX_PERCENT_BP = 100_000  # 1000 %: anything above is a typo
MAX_FIXED_IDR = 10_000_000


def override_rules(rows: Iterable[Mapping[str, Any]]) -> tuple[MarkupRule, ...]:
    """Banyu's overrides (rows of `price_overrides`) as markup rules."""
    return tuple(MarkupRule(percent_bp=int(r["percent_bp"]), fixed_idr=int(r["fixed_idr"]), kind=r["kind"] or "",
                            brand=r["brand"] or "", product=r["product"] or "") for r in rows)


def brand_matches(pattern: str, category_name: str, category_slug: str) -> bool:
    """A brand selector is a case-insensitive part of the category name (the provider's brand), or its slug."""
    low = pattern.strip().lower()
    return bool(low) and (low in category_name.lower() or low == category_slug)


def pick_rule(rules: tuple[MarkupRule, ...], *, code: str, category_name: str, category_slug: str,
              kind: str) -> MarkupRule:
    """The most specific matching rule (product > brand > kind > the default, which is rules[0]).

    On equal specificity the later rule wins, so Banyu's overrides (appended after the settings rules) beat
    `pricing.rules` from settings.yaml.
    """
    best = rules[0]
    for rule in rules[1:]:
        if rule.product and rule.product != code:
            continue
        if rule.brand and not brand_matches(rule.brand, category_name, category_slug):
            continue
        if rule.kind and rule.kind != kind:
            continue
        if rule.specificity >= best.specificity:
            best = rule
    return best


def sell_price(cost_idr: int, rule: MarkupRule, unit_idr: int) -> int:
    return round_up_to_unit(cost_idr + percent_of(cost_idr, rule.percent_bp) + rule.fixed_idr, unit_idr)


def is_below_floor(price_idr: int, cost_idr: int, fee_bp: int, floor_idr: int) -> bool:
    """True when selling at `price_idr` would not cover cost + the estimated payment fee + the floor."""
    if price_idr <= 0 or cost_idr <= 0:  # a free or negative listing is a provider glitch, never a sale
        return True
    return price_idr < cost_idr + percent_of(price_idr, fee_bp) + floor_idr


def validate_override(product: str | None, brand: str | None, kind: str | None, percent: Any, fixed_idr: Any,
                      note: str) -> dict[str, Any]:
    """Banyu's override input → a `price_overrides` row (selectors '' = any); a 422 ApiError names the field."""
    product, brand, kind = (product or "").strip(), (brand or "").strip(), (kind or "").strip().lower()
    if not (product or brand or kind):
        raise invalid("invalid_field", "product", label="Produk, brand atau jenis")
    if kind and kind not in KINDS:
        raise invalid("invalid_choice", "kind", label="Jenis")
    try:
        percent_bp = parse_percent_bp(percent if percent not in (None, "") else 0)
    except ValueError:
        raise invalid("invalid_field", "percent", label="Persen markup") from None
    if not 0 <= percent_bp <= MAX_PERCENT_BP:
        raise invalid("invalid_field", "percent", label="Persen markup")
    try:
        if isinstance(fixed_idr, bool | float):
            raise ValueError
        fixed = int(str(fixed_idr if fixed_idr not in (None, "") else 0).strip())
    except ValueError:
        raise invalid("invalid_field", "fixed_idr", label="Markup tetap (Rp)") from None
    if not 0 <= fixed <= MAX_FIXED_IDR:
        raise invalid("invalid_field", "fixed_idr", label="Markup tetap (Rp)")
    return {"product": product[:80], "brand": brand[:200], "kind": kind, "percent_bp": percent_bp,
            "fixed_idr": fixed, "note": (note or "").strip()[:500]}
