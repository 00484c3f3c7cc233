"""The catalog sync and the re-price: compute every product's row, write only what changed.

A product row carries a fingerprint of everything the sync derives (category, name, group, cost, price,
availability, floor…). An unchanged provider list gives unchanged fingerprints, so a second sync writes
nothing; a changed row is rewritten in a bulk upsert, and every cost / price change is logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.catalog import repo
from core.catalog.grouping import group_of, slugify
from core.catalog.pricing import is_below_floor, pick_rule, sell_price
from core.interfaces import CatalogItem
from core.settings import MarkupRule, Settings

log = logging.getLogger(__name__)

KIND_SUFFIX = {"data": "Data", "emoney": "E-Money", "pln": "PLN", "voucher": "Voucher",
               "streaming": "Streaming", "pulsa": "Pulsa", "game": "Game"}

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Pricing:
    """Everything a sell price depends on besides the product itself."""

    rules: tuple[MarkupRule, ...]
    unit_idr: int
    fee_bp: int
    floor_idr: int

    @classmethod
    def of(cls, settings: Settings, overrides: tuple[MarkupRule, ...], unit_idr: int) -> Pricing:
        return cls(rules=settings.markup_rules + overrides, unit_idr=unit_idr,
                   fee_bp=settings.payment_fee_estimate_bp, floor_idr=settings.margin_floor_idr)

    def price(self, *, code: str, cost_idr: int, category_name: str, category_slug: str,
              kind: str) -> tuple[int, bool]:
        """(sell price, below the margin floor?)"""
        rule = pick_rule(self.rules, code=code, category_name=category_name, category_slug=category_slug,
                         kind=kind)
        price = sell_price(cost_idr, rule, self.unit_idr)
        return price, is_below_floor(price, cost_idr, self.fee_bp, self.floor_idr)


def product_values(*, category_slug: str, name: str, section: str, kind: str, cost_idr: int, price_idr: int,
                   is_available: bool, is_login: bool, is_below_floor: bool, note: str) -> dict[str, Any]:
    """The derived columns of a product, typed the same way whether they come from the provider or the DB."""
    return {"category_slug": category_slug, "name": name, "section": section, "kind": kind,
            "group_name": group_of(name, kind), "sort_key": int(cost_idr), "cost_idr": int(cost_idr),
            "price_idr": int(price_idr), "is_available": bool(is_available), "is_login": bool(is_login),
            "is_below_floor": bool(is_below_floor), "note": note or ""}


def fingerprint(values: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()


def category_keys(items: Iterable[CatalogItem]) -> dict[tuple[str, str], tuple[str, str]]:
    """(brand, kind) -> (slug, display name). A brand selling several kinds gets one category per kind:
    the main kind keeps the brand's own name ("Telkomsel"), the others get a suffix ("Telkomsel Data")."""
    kinds_by_brand: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        kinds_by_brand[item.brand][item.kind] += 1
    out: dict[tuple[str, str], tuple[str, str]] = {}
    used: dict[str, tuple[str, str]] = {}
    for brand, kinds in sorted(kinds_by_brand.items()):
        main_kind = "pulsa" if "pulsa" in kinds else kinds.most_common(1)[0][0]
        for kind in sorted(kinds):
            name = brand if kind == main_kind else f"{brand} {KIND_SUFFIX.get(kind, kind.title())}"
            slug = slugify(name)
            n = 1
            while slug in used and used[slug] != (brand, kind):  # two brand spellings, one slug
                n += 1
                name = f"{brand} ({n})" if kind == main_kind else f"{brand} {KIND_SUFFIX.get(kind, kind)} ({n})"
                slug = slugify(name)
            used[slug] = (brand, kind)
            out[(brand, kind)] = (slug, name)
    return out


@dataclass
class Plan:
    """What a sync (or a re-price) will write."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # inserts and changes, full rows
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    price_log: list[dict[str, Any]] = field(default_factory=list)
    newly_below_floor: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, values: dict[str, Any], old: Mapping[str, Any] | None, now: int,
            is_enabled: bool = True) -> None:
        fp = fingerprint(values)
        if old is not None and old["fingerprint"] == fp:
            self.unchanged += 1
            return
        self.rows.append({"code": code, **values, "is_enabled": is_enabled, "fingerprint": fp, "updated_at": now})
        if old is None:
            self.inserted += 1
            return
        self.updated += 1
        if old["cost_idr"] != values["cost_idr"] or old["price_idr"] != values["price_idr"]:
            self.price_log.append({"product_code": code, "old_cost_idr": old["cost_idr"],
                                   "new_cost_idr": values["cost_idr"], "old_price_idr": old["price_idr"],
                                   "new_price_idr": values["price_idr"], "at": now})
            log.info("price of %s: cost %s -> %s, price %s -> %s", code, old["cost_idr"], values["cost_idr"],
                     old["price_idr"], values["price_idr"])
        if values["is_below_floor"] and not old["is_below_floor"]:
            self.newly_below_floor.append({"code": code, **values})


def dedupe(items: Iterable[CatalogItem]) -> dict[str, CatalogItem]:
    """One item per code, the last seen wins (DESIGN §6 product identity); duplicates are logged."""
    by_code: dict[str, CatalogItem] = {}
    for item in items:
        previous = by_code.pop(item.code, None)
        if previous is not None:
            log.warning("provider lists product %s twice (%r, then %r); keeping the last one", item.code,
                        previous.name, item.name)
        by_code[item.code] = item
    return by_code


def plan_sync(by_code: Mapping[str, CatalogItem], keys: Mapping[tuple[str, str], tuple[str, str]],
              existing: Mapping[str, Mapping[str, Any]], pricing: Pricing, now: int,
              progress: Progress | None = None) -> Plan:
    plan = Plan()
    total = len(by_code)
    for n, item in enumerate(by_code.values()):
        slug, cat_name = keys[(item.brand, item.kind)]
        price, low = pricing.price(code=item.code, cost_idr=item.cost_idr, category_name=cat_name,
                                   category_slug=slug, kind=item.kind)
        values = product_values(category_slug=slug, name=item.name, section=item.section, kind=item.kind,
                                cost_idr=item.cost_idr, price_idr=price, is_available=item.is_available,
                                is_login=item.is_login_product, is_below_floor=low, note=item.note)
        plan.add(item.code, values, existing.get(item.code), now)
        if progress and n % 500 == 0:
            progress(n, total)
    plan.removed = [c for c, old in existing.items() if c not in by_code and old["fingerprint"] != repo.REMOVED]
    return plan


def plan_reprice(rows: Iterable[Mapping[str, Any]], pricing: Pricing, now: int) -> Plan:
    """New prices for stored products (after Banyu changed an override), from their last known cost."""
    plan = Plan()
    for row in rows:
        price, low = pricing.price(code=row["code"], cost_idr=int(row["cost_idr"]),
                                   category_name=row["category_name"], category_slug=row["category_slug"],
                                   kind=row["kind"])
        if price == row["price_idr"] and low == bool(row["is_below_floor"]):
            plan.unchanged += 1
            continue
        values = product_values(category_slug=row["category_slug"], name=row["name"], section=row["section"],
                                kind=row["kind"], cost_idr=row["cost_idr"], price_idr=price,
                                is_available=row["is_available"], is_login=row["is_login"],
                                is_below_floor=low, note=row["note"])
        plan.add(row["code"], values, row, now, is_enabled=bool(row["is_enabled"]))
    return plan


async def apply_plan(conn: Any, dialect: str, plan: Plan, now: int) -> None:
    await repo.upsert_products(conn, dialect, plan.rows)
    await repo.log_price_changes(conn, dialect, plan.price_log)
    # Products the provider dropped are kept out of sale, not deleted (orders refer to them).
    await repo.mark_removed(conn, plan.removed, now)
    await repo.touch(conn)
