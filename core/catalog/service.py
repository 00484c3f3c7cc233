"""Catalog sync and queries. Sync writes only what changed and logs every price change."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.catalog import repo
from core.catalog.grouping import group_of, slugify
from core.catalog.pricing import is_below_floor, pick_rule, sell_price
from core.db import write_transaction
from core.interfaces import CatalogItem, CategoryRules, InputField
from core.timeutil import now_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

KIND_SUFFIX = {"data": "Data", "emoney": "E-Money", "pln": "PLN", "voucher": "Voucher",
               "streaming": "Streaming", "pulsa": "Pulsa", "game": "Game"}


@dataclass(frozen=True)
class SyncResult:
    total: int
    inserted: int
    updated: int
    unchanged: int
    removed: int
    newly_below_floor: tuple[str, ...]

    @property
    def written(self) -> int:
        return self.inserted + self.updated + self.removed


def rules_to_json(rules: CategoryRules) -> str:
    return json.dumps([{"name": f.name, "label": f.label, "required": f.required,
                        **({"choices": list(f.choices)} if f.choices else {}),
                        **({"placeholder": f.placeholder} if f.placeholder else {})} for f in rules.fields])


def rules_from_row(row: dict[str, Any]) -> CategoryRules:
    fields = tuple(InputField(name=f["name"], label=f["label"], required=bool(f.get("required", True)),
                              choices=tuple(f.get("choices") or ()), placeholder=f.get("placeholder", ""))
                   for f in json.loads(row["fields_json"]))
    return CategoryRules(fields=fields, nickname_code=row.get("nickname_code"))


def _category_keys(items: list[CatalogItem]) -> dict[tuple[str, str], tuple[str, str]]:
    """(brand, kind) -> (slug, display name). A brand selling several kinds gets one category per kind."""
    kinds_by_brand: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        kinds_by_brand[item.brand][item.kind] += 1
    out: dict[tuple[str, str], tuple[str, str]] = {}
    used: dict[str, tuple[str, str]] = {}
    for brand, kinds in sorted(kinds_by_brand.items()):
        main_kind = "pulsa" if "pulsa" in kinds else kinds.most_common(1)[0][0]
        for kind in kinds:
            name = brand if kind == main_kind else f"{brand} {KIND_SUFFIX.get(kind, kind.title())}"
            slug = slugify(name)
            if slug in used and used[slug] != (brand, kind):
                name = f"{name} {KIND_SUFFIX.get(kind, kind.title())}"
                slug = slugify(name)
            used[slug] = (brand, kind)
            out[(brand, kind)] = (slug, name)
    return out


class CatalogService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def sync(self, progress: Any = None) -> SyncResult:
        store = self.store
        provider = store.provider
        items = await provider.fetch_catalog()
        unit = store.gateway.unit_price_idr
        s = store.settings
        by_code: dict[str, CatalogItem] = {}
        for item in items:
            if item.code in by_code:
                log.warning("provider lists product %s twice; keeping the last one", item.code)
            by_code[item.code] = item
        keys = _category_keys(list(by_code.values()))
        now = now_ms()
        existing = await repo.fingerprints(store.db)
        inserts, changes, price_log, newly_low = [], [], [], []
        cat_items: dict[str, list[CatalogItem]] = defaultdict(list)
        for n, item in enumerate(by_code.values()):
            slug, _ = keys[(item.brand, item.kind)]
            cat_items[slug].append(item)
            rule = pick_rule(s.markup_rules, code=item.code, brand=item.brand, kind=item.kind)
            price = sell_price(item.cost_idr, rule, unit)
            low = is_below_floor(price, item.cost_idr, s.payment_fee_estimate_bp, s.margin_floor_idr)
            values = {
                "category_slug": slug, "name": item.name, "section": item.section, "kind": item.kind,
                "group_name": group_of(item.name, item.kind), "sort_key": item.cost_idr,
                "cost_idr": item.cost_idr, "price_idr": price, "is_available": item.is_available,
                "is_login": item.is_login_product, "is_below_floor": low, "note": item.note,
            }
            fp = hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()
            old = existing.get(item.code)
            if old is None:
                inserts.append({"code": item.code, **values, "fingerprint": fp, "is_enabled": True,
                                "updated_at": now})
            elif old["fingerprint"] != fp:
                changes.append((item.code, {**values, "fingerprint": fp, "updated_at": now}))
                if old["cost_idr"] != item.cost_idr or old["price_idr"] != price:
                    price_log.append({"product_code": item.code, "old_cost_idr": old["cost_idr"],
                                      "new_cost_idr": item.cost_idr, "old_price_idr": old["price_idr"],
                                      "new_price_idr": price, "at": now})
                    log.info("price of %s: cost %s -> %s, price %s -> %s", item.code, old["cost_idr"],
                             item.cost_idr, old["price_idr"], price)
                if low and not old["is_below_floor"]:
                    newly_low.append(item.code)
            if progress and n % 500 == 0:
                progress(n, len(by_code))
        removed = [c for c in existing if c not in by_code and existing[c]["fingerprint"] != "removed"]
        cats = await repo.category_map(store.db)
        async with write_transaction(store.db) as conn:
            await repo.insert_products(conn, inserts)
            for code, values in changes:
                await repo.update_product(conn, code, values)
            await repo.log_price_changes(conn, price_log)
            # Products the provider dropped are kept out of sale, not deleted (orders refer to them).
            for code in removed:
                await repo.update_product(conn, code, {"is_available": False, "fingerprint": "removed"})
            for (brand, kind), (slug, name) in keys.items():
                rules = provider.category_rules(brand, kind)
                group = cat_items[slug]
                values = {"slug": slug, "name": name, "kind": kind, "section": group[0].section,
                          "fields_json": rules_to_json(rules), "nickname_code": rules.nickname_code,
                          "product_count": len(group),
                          "available_count": sum(1 for i in group if i.is_available)}
                old_cat = cats.get(slug)
                if old_cat and all(old_cat.get(k) == v for k, v in values.items()):
                    continue
                await repo.upsert_category(conn, {**values, "updated_at": now, "is_enabled": True}
                                           if not old_cat else {**values, "updated_at": now}, bool(old_cat))
        if progress:
            progress(len(by_code), len(by_code))
        result = SyncResult(total=len(by_code), inserted=len(inserts), updated=len(changes),
                            unchanged=len(by_code) - len(inserts) - len(changes),
                            removed=len(removed),
                            newly_below_floor=tuple(newly_low))
        if newly_low:
            await store.alert_owner("price_floor", {"count": len(newly_low), "codes": ", ".join(newly_low[:10])},
                                    key=f"price_floor:{now}")
        log.info("catalog sync: %s", result)
        return result

    async def public_categories(self) -> list[dict[str, Any]]:
        cats = await repo.list_categories(self.store.db)
        counts = await repo.public_counts(self.store.db)
        out = []
        for c in cats:
            listed, available = counts.get(c["slug"], (0, 0))
            if listed:
                out.append({**c, "product_count": listed, "available_count": available})
        return out

    async def category(self, slug: str) -> dict[str, Any] | None:
        return await repo.get_category(self.store.db, slug)

    async def products(self, slug: str) -> list[dict[str, Any]]:
        return await repo.category_products(self.store.db, slug)

    async def product(self, code: str) -> dict[str, Any] | None:
        return await repo.get_product(self.store.db, code)

    async def is_empty(self) -> bool:
        return await repo.product_count(self.store.db) == 0
