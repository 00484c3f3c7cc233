"""Fulfilment: claim a paid order exactly once, place it with the provider, settle what is unknown.

The claim is one conditional statement (`paid` -> `processing` WHERE status = 'paid'), so the cooldown task,
the sweep, "send now" and retries can race: exactly one wins and calls the provider. A placement whose result
is unknown (timeout, 5xx, garbage, or a crash before the reply was stored) stays `processing` with no
provider reference and is settled through the provider's status lookup, never re-ordered blindly.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_

from core.db import row_dict, write_transaction
from core.errors import conflict
from core.interfaces import (
    OrderPlacement,
    PlacementOutcome,
    ProviderOrderRequest,
    ProviderStatus,
    StatusUpdate,
)
from core.orders import repo
from core.orders.states import Status
from core.tables import orders as T
from core.timeutil import from_ms, now_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

SETTLE_AFTER_MS = 60_000  # a claimed order with no stored reply after this long is treated as unknown
RETRY_LATER_MS = 60_000


class Fulfilment:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- scheduling ---------------------------------------------------------------------------

    def schedule(self, order: dict[str, Any], delay: float | None = None) -> None:
        """Queue the fulfil task for when the order is due (the due time itself lives in the database)."""
        if order["status"] != Status.PAID or order["fulfil_at"] is None:
            return
        if delay is None:
            delay = max(0.0, (order["fulfil_at"] - now_ms()) / 1000)
        self.store.jobs.fulfil(order["id"], delay)

    async def fulfil_due(self, order_id: int) -> dict[str, Any] | None:
        """Body of the cooldown task: claim and place the order if it is still paid and due."""
        store = self.store
        if store.settings.is_manual:
            return None
        order = await repo.get(store.db, order_id)
        if order is None or order["status"] != Status.PAID or order["flag"] or order["fulfil_at"] is None:
            return None
        if order["fulfil_at"] > now_ms() + 1000:
            self.schedule(order)  # released / rescheduled later: come back when due
            return None
        if await self._balance_short(order):
            return None
        extra = and_(T.c.fulfil_at.is_not(None), T.c.fulfil_at <= now_ms() + 1000, T.c.flag.is_(None))
        return await self._claim_and_place(order_id, "claim", "system", extra)

    async def send_now(self, order_id: int, actor: str, trigger: str = "send-now") -> dict[str, Any]:
        """Banyu's "Kirim sekarang" / manual-mode confirm: claim now, whatever the cooldown says."""
        result = await self._claim_and_place(order_id, trigger, actor, None)
        if result is None:
            raise conflict()
        return result

    async def sweep_due(self) -> int:
        ids = await repo.due_for_fulfilment(self.store.db, now_ms())
        done = 0
        for order_id in ids:
            if await self.fulfil_due(order_id):
                done += 1
        return done

    # ---- claim + place ------------------------------------------------------------------------

    async def _balance_short(self, order: dict[str, Any]) -> bool:
        balance = await self.store.kv_int("provider_balance_idr")
        if balance is None or balance >= order["cost_estimate_idr"]:
            return False
        after = await repo.conditional_update(self.store.db, order["id"], [Status.PAID], {"flag": "needs_deposit"},
                                              T.c.flag.is_(None))
        if after:
            await repo.add_event(self.store.db, order["id"], "system", None, None,
                                 f"saldo provider kurang ({balance} < {order['cost_estimate_idr']})")
            await self.store.alert_owner("needs_deposit", {"code": order["code"], "balance_idr": balance,
                                                           "cost_idr": order["cost_estimate_idr"]},
                                         key=f"needs_deposit:{order['code']}")
        return True

    async def _claim_and_place(self, order_id: int, trigger: str, actor: str, extra: Any) -> dict[str, Any] | None:
        store = self.store
        now = now_ms()
        claimed = await repo.transition(
            store.db, order_id, to=Status.PROCESSING, trigger=trigger, actor=actor, from_statuses=[Status.PAID],
            reason={"claim": "cooldown selesai", "send-now": "kirim sekarang", "confirm": "dikonfirmasi admin"}
            .get(trigger, trigger),
            values={"claimed_at": now, "fulfil_at": None, "flag": None, "provider_ref": None,
                    "provider_reply": None, "provider_status": None, "poll_count": 0, "last_polled_at": None},
            extra=extra)
        if claimed is None:
            return None
        order, old = claimed
        await store.emit("order_status_changed", order=order, old=old, new=Status.PROCESSING, reason=trigger)
        request = await self._request(order)
        try:
            placement = await store.provider.place_order(request)
        except Exception as exc:  # a provider plugin bug must not lose the order: treat as unknown
            log.exception("provider place_order raised for %s", order["code"])
            placement = OrderPlacement(outcome=PlacementOutcome.UNKNOWN, reason=f"error: {exc.__class__.__name__}")
        return await self.apply_placement(order, placement)

    async def _request(self, order: dict[str, Any]) -> ProviderOrderRequest:
        claimed = from_ms(order["claimed_at"]) or from_ms(now_ms())
        assert claimed is not None
        return ProviderOrderRequest(
            order_code=order["code"], product_code=order["product_code"], section=order["section"],
            target=json.loads(order["target_json"]), claimed_at=claimed,
            expected_cost_idr=order["cost_estimate_idr"],
            known_references=await repo.known_provider_refs(self.store.db))

    async def apply_placement(self, order: dict[str, Any], p: OrderPlacement) -> dict[str, Any]:
        store = self.store
        oid = order["id"]
        if p.balance_idr is not None:
            await store.kv_set("provider_balance_idr", str(p.balance_idr))
        if p.outcome == PlacementOutcome.ACCEPTED and p.reference:
            async with write_transaction(store.db) as conn:
                after = await repo.conditional_update(conn, oid, [Status.PROCESSING], {
                    "provider_ref": p.reference, "provider_status": p.status.value, "provider_reply": p.raw[:4000],
                    "provider_cost_idr": p.cost_idr, "provider_note": p.note or None, "flag": None})
                if after:
                    await repo.add_event(conn, oid, "provider", None, None, f"diterima provider: {p.reference}")
            if after is None:
                return await repo.get(store.db, oid) or order
            await self._apply_pending_callbacks(p.reference)
            if p.status != ProviderStatus.PENDING:
                await self.apply_status(StatusUpdate(reference=p.reference, status=p.status, note=p.note,
                                                     cost_idr=p.cost_idr), source="order reply")
            else:
                store.jobs.poll(oid, store.settings.status_poll_seconds)
            return await repo.get(store.db, oid) or after
        if p.outcome in (PlacementOutcome.REFUSED, PlacementOutcome.NOT_PLACED):
            flag: str | None = p.flag or "needs_attention"
            fulfil_at = None
            if flag == "retry_later":
                flag, fulfil_at = None, now_ms() + RETRY_LATER_MS
            result = await repo.transition(
                store.db, oid, to=Status.PAID, trigger="refused", actor="provider", from_statuses=[Status.PROCESSING],
                reason=f"ditolak provider sebelum dibeli: {p.reason}"[:500],
                values={"flag": flag, "fulfil_at": fulfil_at, "provider_reply": p.raw[:4000] or p.reason,
                        "claimed_at": None})
            if result is None:
                return await repo.get(store.db, oid) or order
            after, old = result
            await store.emit("order_status_changed", order=after, old=old, new=Status.PAID, reason="refused")
            if flag:
                await store.alert_owner(flag, {"code": after["code"], "reason": p.reason},
                                        key=f"{flag}:{after['code']}:{after['updated_at']}")
            else:
                self.schedule(after)
            return after
        if p.outcome == PlacementOutcome.FAILED:
            return await self._fail(order, p.reason, p.raw)
        # UNKNOWN: keep processing, remember the reply, settle later through the status lookup.
        after = await repo.conditional_update(store.db, oid, [Status.PROCESSING],
                                              {"flag": "unsettled", "provider_reply": (p.raw or p.reason)[:4000]})
        await repo.add_event(store.db, oid, "provider", None, None, f"hasil tidak pasti: {p.reason}"[:500])
        store.jobs.settle(oid, SETTLE_AFTER_MS / 1000)
        return after or order

    async def _fail(self, order: dict[str, Any], reason: str, raw: str = "") -> dict[str, Any]:
        store = self.store
        result = await repo.transition(
            store.db, order["id"], to=Status.FAILED, trigger="provider", actor="provider",
            from_statuses=[Status.PROCESSING], reason=f"gagal: {reason}"[:500],
            values={"provider_status": ProviderStatus.FAILED.value, "provider_note": reason[:2000] or None,
                    "refund_owed_idr": order["amount_paid_idr"], "flag": None,
                    **({"provider_reply": raw[:4000]} if raw else {})})
        if result is None:
            return await repo.get(store.db, order["id"]) or order
        after, old = result
        await store.emit("order_status_changed", order=after, old=old, new=Status.FAILED, reason=reason)
        return after

    # ---- settle unknown results -----------------------------------------------------------------

    async def settle(self, order_id: int) -> dict[str, Any] | None:
        store = self.store
        order = await repo.get(store.db, order_id)
        if order is None or order["status"] != Status.PROCESSING or order["provider_ref"]:
            return order
        request = await self._request(order)
        try:
            p = await store.provider.settle(request)
        except Exception:
            log.exception("provider settle raised for %s", order["code"])
            p = OrderPlacement(outcome=PlacementOutcome.UNKNOWN, reason="settle error")
        if p.outcome == PlacementOutcome.UNKNOWN:
            store.jobs.settle(order_id, SETTLE_AFTER_MS / 1000)
            return order
        if p.outcome == PlacementOutcome.NOT_PLACED:
            # The provider has no such order: nothing was bought. Banyu decides on the re-send.
            p = OrderPlacement(outcome=PlacementOutcome.NOT_PLACED, flag="needs_attention",
                               reason=p.reason or "tidak ditemukan di provider setelah hasil tidak pasti", raw=p.raw)
        return await self.apply_placement(order, p)

    async def sweep_unsettled(self) -> int:
        """Processing orders with no provider reference for a while (unknown result or a crash mid-call)."""
        rows = await self.store.db.fetch_all(
            T.select().with_only_columns(T.c.id).where(and_(
                T.c.status == Status.PROCESSING, T.c.provider_ref.is_(None),
                or_(T.c.claimed_at.is_(None), T.c.claimed_at < now_ms() - SETTLE_AFTER_MS))).limit(100))
        for row in rows:
            await self.settle(int(row_dict(row)["id"]))
        return len(rows)

    # ---- status: callbacks and polls -----------------------------------------------------------

    async def apply_status(self, update: StatusUpdate, source: str) -> dict[str, Any] | None:
        """Forward-only: only a `processing` order moves, so duplicate or late updates change nothing."""
        store = self.store
        order = await repo.get_by_provider_ref(store.db, update.reference)
        if order is None:
            return None
        if update.status == ProviderStatus.PENDING or order["status"] != Status.PROCESSING:
            if update.status == ProviderStatus.PENDING and update.raw_status:
                await repo.conditional_update(store.db, order["id"], [Status.PROCESSING],
                                              {"provider_status": update.raw_status[:30]})
            return order
        if update.status == ProviderStatus.SUCCESS:
            result = await repo.transition(
                store.db, order["id"], to=Status.SUCCESS, trigger="provider", actor="provider",
                from_statuses=[Status.PROCESSING], reason=f"sukses ({source})",
                values={"provider_status": "success", "provider_note": update.note or None, "flag": None,
                        **({"provider_cost_idr": update.cost_idr} if update.cost_idr is not None else {})})
            if result:
                await store.emit("order_status_changed", order=result[0], old=result[1], new=Status.SUCCESS,
                                 reason=source)
                return result[0]
            return await repo.get(store.db, order["id"])
        return await self._fail(order, update.note or "gagal di provider")

    async def _apply_pending_callbacks(self, reference: str) -> None:
        for cb in await store_callbacks(self.store, reference):
            await self.apply_status(cb, source="callback")

    async def poll(self, order_id: int) -> dict[str, Any] | None:
        store = self.store
        order = await repo.get(store.db, order_id)
        if order is None or order["status"] != Status.PROCESSING or not order["provider_ref"]:
            return order
        age_ms = now_ms() - (order["claimed_at"] or order["created_at"])
        if age_ms > store.settings.status_poll_max_age_seconds * 1000:
            if order["flag"] != "poll_expired":
                await repo.conditional_update(store.db, order_id, [Status.PROCESSING], {"flag": "poll_expired"})
                await store.alert_owner("provider_failure", {"code": order["code"],
                                                             "reason": "status belum final setelah batas waktu"},
                                        key=f"poll_expired:{order['code']}")
            return order
        try:
            update = await store.provider.fetch_status(order["provider_ref"], order["section"])
        except Exception:
            log.exception("status poll failed for %s", order["code"])
            update = None
        await repo.conditional_update(store.db, order_id, [Status.PROCESSING],
                                      {"poll_count": order["poll_count"] + 1, "last_polled_at": now_ms()})
        after = await self.apply_status(update, "status poll") if update else None
        if after is None or after["status"] == Status.PROCESSING:
            # back off: 15 s, 30 s, 60 s … capped at 5 minutes
            delay = min(store.settings.status_poll_seconds * (2 ** min(order["poll_count"], 5)), 300)
            store.jobs.poll(order_id, delay)
        return after

    async def sweep_processing(self) -> int:
        ids = await repo.ids_by_status(self.store.db, [Status.PROCESSING])
        for order_id in ids:
            await self.poll(order_id)
        return len(ids)


async def store_callbacks(store: Store, reference: str) -> list[StatusUpdate]:
    """Callbacks that arrived before the order reply stored this reference (kept, applied now)."""
    return await store.callbacks.take_pending(reference)
