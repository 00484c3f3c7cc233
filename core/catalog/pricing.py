"""Sell prices: provider cost + markup rule, rounded UP to a whole payment unit; the margin floor."""

from __future__ import annotations

from core.money import percent_of, round_up_to_unit
from core.settings import MarkupRule


def pick_rule(rules: tuple[MarkupRule, ...], *, code: str, brand: str, kind: str) -> MarkupRule:
    """The most specific rule that matches (product > brand > kind > the default, which is rules[0])."""
    best = rules[0]
    brand_l = brand.lower()
    for rule in rules[1:]:
        if rule.product and rule.product != code:
            continue
        if rule.brand and rule.brand.lower() not in brand_l:
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
    return price_idr < cost_idr + percent_of(price_idr, fee_bp) + floor_idr
