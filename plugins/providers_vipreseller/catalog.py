"""Turn the provider's `services` rows into CatalogItems (tier price, kind, login flag, junk skipped)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from core.interfaces import CatalogItem
from plugins.providers_vipreseller.rules import KindTable

log = logging.getLogger(__name__)

TIERS = ("basic", "premium", "special")
_LOGIN = re.compile(r"vilog|joki|login", re.IGNORECASE)


def tier_for(level: object) -> str:
    """The account level decides the price column; an unknown level falls back to `basic` (the dearest)."""
    text = str(level or "").strip().lower()
    return text if text in TIERS else "basic"


def to_idr(value: object) -> int | None:
    """Whole Rupiah from an int or a numeric string ("6483.00"); None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return int(amount.to_integral_value())


def price_for(price: object, tier: str) -> int | None:
    """`price` is `{basic, premium, special}` or (some clones) a flat number."""
    if isinstance(price, dict):
        value = price.get(tier)
        if value in (None, ""):
            value = price.get("basic")
        return to_idr(value)
    return to_idr(price)


def is_login_product(name: str, brand: str = "") -> bool:
    # The brand counts too: every item of "Free Fire Vilog" needs a login, even "100 Diamonds".
    return bool(_LOGIN.search(name) or _LOGIN.search(brand))


def parse_services(rows: Iterable[Any], section: str, tier: str, kinds: KindTable) -> list[CatalogItem]:
    """Items of one `services` reply; rows without a code, name or price are skipped (logged)."""
    items: list[CatalogItem] = []
    skipped = 0
    for row in rows:
        if not isinstance(row, dict):
            skipped += 1
            continue
        code = str(row.get("code") or "").strip()
        name = str(row.get("name") or "").strip()
        brand = str(row.get("game" if section == "game" else "brand") or "").strip()
        cost = price_for(row.get("price"), tier)
        if not code or not name or cost is None or cost < 0:
            skipped += 1
            continue
        if section == "game":
            kind = kinds.game_kind_for(brand)
        else:
            kind = kinds.kind_for(brand, str(row.get("type") or ""))
        items.append(CatalogItem(
            code=code, name=name, brand=brand, kind=kind, section=section, cost_idr=cost,
            is_available=str(row.get("status") or "").strip().lower() == "available",
            note=str(row.get("note") or "").strip(),
            is_login_product=is_login_product(name, brand),
        ))
    if skipped:
        log.info("vipreseller %s services: skipped %d junk rows", section, skipped)
    return items


