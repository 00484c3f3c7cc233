"""Provider callbacks: stored first, applied to the order whose reference they name, or kept for later."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select, update

from core.db import row_dict
from core.interfaces import ProviderStatus, StatusUpdate
from core.tables import orders
from core.tables import provider_callbacks as T
from core.textsafe import clean_text
from core.timeutil import now_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

MAX_AMOUNT_IDR = 10**12  # no top-up costs a trillion Rupiah: a bigger number is garbage, not a price


class Callbacks:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def receive(self, updates: list[StatusUpdate], body: bytes) -> dict[str, Any]:
        store = self.store
        applied = kept = 0
        for u in updates:
            cost = u.cost_idr if u.cost_idr is not None and 0 <= u.cost_idr < MAX_AMOUNT_IDR else None
            u = replace(u, reference=clean_text(u.reference)[:80], note=clean_text(u.note or "")[:2000],
                        cost_idr=cost)
            row_id = await store.db.execute(insert(T).values(
                provider=store.provider.name, reference=u.reference, status=u.status.value, note=u.note,
                cost_idr=u.cost_idr, body=clean_text(body.decode("utf-8", "replace"))[:8000],
                received_at=now_ms()))
            try:
                order = await store.fulfilment.apply_status(u, source="callback")
            except Exception:  # stored already: the sweep applies it later; the provider still gets a 2xx
                log.exception("applying callback %s for %s failed; kept for the sweep", row_id, u.reference)
                kept += 1
                continue
            if order is None:
                kept += 1
                log.info("callback for unknown reference %s kept for later", u.reference)
            else:
                applied += 1
                await store.db.execute(update(T).where(T.c.id == row_id).values(applied_at=now_ms()))
        return {"applied": applied, "kept": kept}

    async def apply_pending(self, reference: str) -> int:
        """Apply the callbacks that arrived before the order reply stored `reference`; each is marked applied
        only once it has been (a failure leaves it for `apply_kept`)."""
        rows = [row_dict(r) for r in await self.store.db.fetch_all(select(T).where(and_(
            T.c.reference == reference, T.c.applied_at.is_(None))).order_by(T.c.id))]
        for r in rows:
            update_ = StatusUpdate(reference=r["reference"], status=ProviderStatus(r["status"]), note=r["note"],
                                   cost_idr=r["cost_idr"])
            await self.store.fulfilment.apply_status(update_, source="callback")
            await self.store.db.execute(update(T).where(T.c.id == r["id"]).values(applied_at=now_ms()))
        return len(rows)

    async def apply_kept(self, limit: int = 100) -> int:
        """Stored callbacks not yet applied whose reference an order carries now (applying failed, or the
        process died between storing the order reply and taking its pending callbacks). Forward-only, so
        applying one twice changes nothing."""
        store = self.store
        rows = [row_dict(r) for r in await store.db.fetch_all(
            select(T).select_from(T.join(orders, orders.c.provider_ref == T.c.reference))
            .where(T.c.applied_at.is_(None)).order_by(T.c.id).limit(limit))]
        for r in rows:
            await store.fulfilment.apply_status(StatusUpdate(
                reference=r["reference"], status=ProviderStatus(r["status"]), note=r["note"],
                cost_idr=r["cost_idr"]), source="callback")
            await store.db.execute(update(T).where(T.c.id == r["id"]).values(applied_at=now_ms()))
        return len(rows)
