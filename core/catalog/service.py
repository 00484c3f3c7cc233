"""Catalog sync and queries, Banyu's price overrides, and the sync's progress for the admin.

Progress lives in kv `catalog_sync_progress` (JSON: state, done, total, started_at, finished_at, error, and
the counts once finished; times in epoch ms) and the last good sync's time in kv `catalog_synced_at`.
A provider failure keeps the old catalog untouched and records the error there.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.catalog import repo
from core.catalog.pricing import override_rules, validate_override
from core.catalog.sync import Pricing, Progress, apply_plan, category_keys, dedupe, plan_reprice, plan_sync
from core.db import dialect_name, write_transaction
from core.errors import invalid
from core.interfaces import CatalogItem, CategoryRules, InputField
from core.textsafe import is_safe
from core.timeutil import now_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

PROGRESS_KEY = "catalog_sync_progress"
SYNCED_AT_KEY = "catalog_synced_at"
STALE_RUN_MS = 15 * 60 * 1000  # a "running" sync older than this died with its worker


def _plausible_key(key: object) -> bool:
    """A slug / product code a lookup can safely send to the database (else it is simply not found)."""
    return isinstance(key, str) and 0 < len(key) <= 120 and is_safe(key)


class CatalogSyncError(RuntimeError):
    """The provider's catalog could not be read; the store keeps selling from the previous one."""


@dataclass(frozen=True)
class SyncResult:
    total: int
    inserted: int
    updated: int
    unchanged: int
    removed: int
    newly_below_floor: tuple[str, ...]
    below_floor: int = 0  # listed items currently hidden by the margin floor

    @property
    def written(self) -> int:
        return self.inserted + self.updated + self.removed


@dataclass(frozen=True)
class RepriceResult:
    changed: int
    unchanged: int
    newly_below_floor: tuple[str, ...]


def rules_to_json(rules: CategoryRules) -> str:
    return json.dumps([{"name": f.name, "label": f.label, "required": f.required,
                        **({"choices": list(f.choices)} if f.choices else {}),
                        **({"placeholder": f.placeholder} if f.placeholder else {}),
                        **({"choice_labels": list(f.choice_labels)} if f.choice_labels else {})}
                       for f in rules.fields])


def rules_from_row(row: dict[str, Any]) -> CategoryRules:
    fields = tuple(InputField(name=f["name"], label=f["label"], required=bool(f.get("required", True)),
                              choices=tuple(f.get("choices") or ()), placeholder=f.get("placeholder", ""),
                              choice_labels=tuple(f.get("choice_labels") or ()))
                   for f in json.loads(row["fields_json"]))
    return CategoryRules(fields=fields, nickname_code=row.get("nickname_code"))


class CatalogService:
    def __init__(self, store: Store) -> None:
        self.store = store
        # What buyers see, per process, valid while kv `catalog_version` is unchanged: a big brand's page
        # otherwise reads 1,000+ rows per request. The lists and dicts returned are shared: never mutate them.
        self._seen_version: str | None = None
        self._products: dict[str, list[dict[str, Any]]] = {}
        self._categories: list[dict[str, Any]] | None = None
        self._category: dict[str, dict[str, Any] | None] = {}

    # ---- sync -------------------------------------------------------------------------------------

    async def sync(self, progress: Progress | None = None) -> SyncResult:
        """Fetch the provider's list and write what changed. Raises CatalogSyncError (old catalog kept)."""
        store = self.store
        state: dict[str, Any] = {"state": "running", "done": 0, "total": 0, "started_at": now_ms(),
                                 "finished_at": None, "error": None}
        await self._save_progress(state)
        try:
            items = await store.provider.fetch_catalog()
            if not items:
                raise CatalogSyncError("the provider listed no products")
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("catalog sync failed, keeping the current catalog: %s", error)
            await self._save_progress({**state, "state": "failed", "finished_at": now_ms(), "error": error})
            if isinstance(exc, CatalogSyncError):
                raise
            raise CatalogSyncError(error) from exc
        try:
            result = await self._write(items, state, progress)
        except Exception as exc:
            await self._save_progress({**state, "state": "failed", "finished_at": now_ms(),
                                       "error": f"{type(exc).__name__}: {exc}"[:500]})
            raise
        return result

    async def _write(self, items: list[CatalogItem], state: dict[str, Any], progress: Progress | None
                     ) -> SyncResult:
        store = self.store
        by_code = dedupe(items)
        total = len(by_code)
        state["total"] = total
        await self._save_progress(state)
        keys = category_keys(by_code.values())
        now = now_ms()
        pricing = Pricing.of(store.settings, override_rules(await repo.list_overrides(store.db)),
                             store.gateway.unit_price_idr)
        plan = plan_sync(by_code, keys, await repo.fingerprints(store.db), pricing, now, progress)
        cats = await repo.category_map(store.db)
        cat_writes = self._category_writes(by_code.values(), keys, cats, now)
        if plan.rows or plan.removed or cat_writes:
            async with write_transaction(store.db) as conn:
                await apply_plan(conn, dialect_name(store.db), plan, now)
                for values, exists in cat_writes:
                    await repo.upsert_category(conn, values, exists)
                await repo.touch(conn)
        if progress:
            progress(total, total)
        below = await repo.below_floor_count(store.db)
        result = SyncResult(total=total, inserted=plan.inserted, updated=plan.updated, unchanged=plan.unchanged,
                            removed=len(plan.removed),
                            newly_below_floor=tuple(p["code"] for p in plan.newly_below_floor),
                            below_floor=below)
        finished = now_ms()
        await self._save_progress({**state, "state": "done", "done": total, "finished_at": finished,
                                   "inserted": result.inserted, "updated": result.updated,
                                   "removed": result.removed, "below_floor": result.below_floor})
        await store.kv_set(SYNCED_AT_KEY, str(finished))
        if plan.newly_below_floor:
            await self._alert_floor(plan.newly_below_floor, now)
        log.info("catalog sync: %s", result)
        return result

    def _category_writes(self, items: Any, keys: dict[tuple[str, str], tuple[str, str]],
                         cats: dict[str, dict[str, Any]], now: int) -> list[tuple[dict[str, Any], bool]]:
        by_slug: dict[str, list[CatalogItem]] = defaultdict(list)
        for item in items:
            by_slug[keys[(item.brand, item.kind)][0]].append(item)
        writes = []
        for (brand, kind), (slug, name) in keys.items():
            rules = self.store.provider.category_rules(brand, kind)
            group = by_slug[slug]
            values = {"slug": slug, "name": name, "kind": kind, "section": group[0].section,
                      "fields_json": rules_to_json(rules), "nickname_code": rules.nickname_code,
                      "product_count": len(group), "available_count": sum(1 for i in group if i.is_available)}
            old = cats.get(slug)
            if old and all(old.get(k) == v for k, v in values.items()):
                continue
            writes.append(({**values, "updated_at": now, **({} if old else {"is_enabled": True})}, bool(old)))
        return writes

    async def _alert_floor(self, items: list[dict[str, Any]], now: int) -> None:
        """One alert per sync (or re-price), however many items fell under the floor."""
        first = items[0]
        context: dict[str, Any] = {"count": len(items), "codes": ", ".join(p["code"] for p in items[:10])}
        if len(items) == 1:
            context.update(product_code=first["code"], product_name=first["name"], cost_idr=first["cost_idr"],
                           price_idr=first["price_idr"])
        else:
            context["product_name"] = f"{len(items)} produk"
        await self.store.alert_owner("price_floor", context, key=f"price_floor:{now}")

    # ---- progress (the admin's "sync now") ------------------------------------------------------

    async def _save_progress(self, state: dict[str, Any]) -> None:
        await self.store.kv_set(PROGRESS_KEY, json.dumps(state))

    async def sync_progress(self) -> dict[str, Any] | None:
        raw = await self.store.kv_get(PROGRESS_KEY)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    async def request_sync(self) -> dict[str, Any]:
        """Banyu's "sync now": queue a sync unless one is already queued or running. Returns the progress."""
        current = await self.sync_progress()
        if current and current.get("state") in ("queued", "running") and \
                now_ms() - int(current.get("started_at") or 0) < STALE_RUN_MS:
            return current
        state = {"state": "queued", "done": 0, "total": 0, "started_at": now_ms(), "finished_at": None,
                 "error": None}
        await self._save_progress(state)
        self.store.jobs.sync_catalog()
        return state

    # ---- Banyu's price overrides ----------------------------------------------------------------

    async def overrides(self) -> list[dict[str, Any]]:
        """Every override: id, product, brand, kind ('' = any), percent_bp, fixed_idr, note, times."""
        return await repo.list_overrides(self.store.db)

    async def set_override(self, *, product: str | None = None, brand: str | None = None,
                           kind: str | None = None, percent: Any = 0, fixed_idr: Any = 0,
                           note: str = "") -> dict[str, Any]:
        """Create or replace the override for this selector and re-price the store at once.

        Returns the saved override plus `repriced` (products whose price changed) and `below_floor`
        (codes the new markup pushed under the margin floor). Bad input raises a 422 ApiError.
        """
        values = validate_override(product, brand, kind, percent, fixed_idr, note)
        if values["product"] and await self.product(values["product"]) is None:
            raise invalid("unknown_product", "product")
        override_id = await repo.save_override(self.store.db, values, now_ms())
        log.info("price override %s saved: %s", override_id, values)
        result = await self.reprice()
        saved = await repo.get_override(self.store.db, override_id) or {}
        return {**saved, "repriced": result.changed, "below_floor": list(result.newly_below_floor)}

    async def delete_override(self, override_id: int) -> bool:
        """Remove an override (False when there is none with this id) and re-price at once."""
        if not await repo.delete_override(self.store.db, int(override_id)):
            return False
        log.info("price override %s deleted", override_id)
        await self.reprice()
        return True

    async def reprice(self) -> RepriceResult:
        """Apply the current rules and overrides to the stored products now (no provider call)."""
        store = self.store
        now = now_ms()
        pricing = Pricing.of(store.settings, override_rules(await repo.list_overrides(store.db)),
                             store.gateway.unit_price_idr)
        plan = plan_reprice(await repo.priced_products(store.db), pricing, now)
        if plan.rows:
            async with write_transaction(store.db) as conn:
                await apply_plan(conn, dialect_name(store.db), plan, now)
        if plan.newly_below_floor:
            await self._alert_floor(plan.newly_below_floor, now)
        return RepriceResult(changed=len(plan.rows), unchanged=plan.unchanged,
                             newly_below_floor=tuple(p["code"] for p in plan.newly_below_floor))

    # ---- queries ----------------------------------------------------------------------------------

    async def _fresh(self) -> None:
        current = await repo.version(self.store.db)
        if current != self._seen_version or current is None:
            self._products.clear()
            self._category.clear()
            self._categories = None
            self._seen_version = current

    async def public_categories(self) -> list[dict[str, Any]]:
        """Enabled categories with at least one product buyers can see, with live counts."""
        await self._fresh()
        if self._categories is None:
            cats = await repo.list_categories(self.store.db)
            counts = await repo.public_counts(self.store.db)
            out = []
            for c in cats:
                listed, available = counts.get(c["slug"], (0, 0))
                if listed:
                    out.append({**c, "product_count": listed, "available_count": available})
            self._categories = out
        return list(self._categories)

    async def category(self, slug: str) -> dict[str, Any] | None:
        if not _plausible_key(slug):
            return None
        await self._fresh()
        return await self._category_row(slug)

    async def _category_row(self, slug: str) -> dict[str, Any] | None:
        if slug not in self._category:
            if len(self._category) > 5000:  # slugs come from URLs: keep unknown ones from piling up
                self._category.clear()
            self._category[slug] = await repo.get_category(self.store.db, slug)
        return self._category[slug]

    async def view(self, slug: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """(category, its public products) for a buyer's page, with one freshness check; (None, []) when the
        category is unknown or disabled."""
        if not _plausible_key(slug):
            return None, []
        await self._fresh()
        category = await self._category_row(slug)
        if category is None or not category["is_enabled"]:
            return None, []
        return category, await self._product_rows(slug)

    async def products(self, slug: str) -> list[dict[str, Any]]:
        """The category's products buyers may see (login-only and dropped ones left out)."""
        await self._fresh()
        return await self._product_rows(slug)

    async def _product_rows(self, slug: str) -> list[dict[str, Any]]:
        cached = self._products.get(slug)
        if cached is None:
            cached = self._products[slug] = await repo.category_products(self.store.db, slug)
        return list(cached)

    async def product(self, code: str) -> dict[str, Any] | None:
        if not _plausible_key(code):
            return None
        return await repo.get_product(self.store.db, code)

    async def is_empty(self) -> bool:
        return await repo.product_count(self.store.db) == 0
