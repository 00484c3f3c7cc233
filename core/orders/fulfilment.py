"""Fulfilment: claim a paid order exactly once, place it with the provider, settle what is unknown.

The claim is one conditional statement (`paid` -> `processing` WHERE status = 'paid'), so the cooldown task,
the sweep, "send now" and retries can race: exactly one wins and calls the provider. A placement whose result
is unknown (timeout, 5xx, garbage, or a crash before the reply was stored) stays `processing` with no
provider reference and is settled through the provider's status lookup, never re-ordered blindly; a claim
with no reply at all is left to its worker for `claim_grace_ms` (its call may still be in flight).

Flags on a `paid` order: `needs_deposit` / `needs_attention` stop every automatic claim until Banyu acts
(or, for the deposit, the balance watchdog sees a top-up); `retry_later` (provider unreachable, nothing
sent) is claimed again by itself. On `processing`: `unsettled` (unknown reply), `poll_expired`.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_

from core.db import write_transaction
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

SETTLE_AFTER_MS = 60_000  # an unknown reply is looked up this long after it came (the provider lists it)
SETTLE_TURN_MS = 30_000  # a settle running this recently for the order means another one is deciding it
RETRY_LATER_MS = 60_000  # the provider was unreachable (nothing sent): the next automatic try
DEFAULT_PROVIDER_TIMEOUT_SECONDS = 40
POLL_MAX_DELAY_SECONDS = 300
POLL_EXPIRED_REASON = "status belum final setelah batas waktu"


class Fulfilment:
    def __init__(self, store: Store) -> None:
        self.store = store
        # A claimed order without a stored reply may still have a live worker waiting on the provider; only
        # after that worker's call must have ended (connect + read timeouts, and margin) may the status
        # lookup decide "not placed". The provider's own timeout setting bounds it.
        try:
            timeout = float(store.settings.plugin(store.provider.name).get("timeout_seconds")
                            or DEFAULT_PROVIDER_TIMEOUT_SECONDS)
        except (TypeError, ValueError):
            timeout = DEFAULT_PROVIDER_TIMEOUT_SECONDS
        self.claim_grace_ms = int((2 * timeout + 5) * 1000)

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
        if order is None or order["status"] != Status.PAID or order["fulfil_at"] is None:
            return None
        if order["flag"] not in (None, repo.AUTO_RETRY_FLAG):
            return None  # needs_deposit / needs_attention: Banyu (or the balance watchdog) decides
        if order["fulfil_at"] > now_ms() + 1000:
            self.schedule(order)  # released / rescheduled later: come back when due
            return None
        if await self._balance_short(order):
            return None
        extra = and_(T.c.fulfil_at.is_not(None), T.c.fulfil_at <= now_ms() + 1000, repo.claimable_flag())
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
                                              repo.claimable_flag())
        if after:
            await repo.add_event(self.store.db, order["id"], "system", None, None,
                                 f"saldo provider kurang ({balance} < {order['cost_estimate_idr']})")
            await self.store.alert_owner("needs_deposit", {"code": order["code"], "balance_idr": balance,
                                                           "cost_idr": order["cost_estimate_idr"]},
                                         key=f"needs_deposit:{order['code']}")
        return True

    async def release_deposit_flags(self, balance: int) -> list[int]:
        """Orders held for the deposit that `balance` now covers are due again (scheduled at once)."""
        store = self.store
        released = await repo.release_deposit_flags(store.db, balance, schedule=not store.settings.is_manual)
        for order in released:
            await repo.add_event(store.db, order["id"], "system", None, None, f"saldo provider cukup lagi ({balance})")
            self.schedule(order, delay=0)
        return [o["id"] for o in released]

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
            known_references=await repo.known_provider_refs(self.store.db, order_id=order["id"]))

    async def apply_placement(self, order: dict[str, Any], p: OrderPlacement) -> dict[str, Any]:
        store = self.store
        oid = order["id"]
        if p.balance_idr is not None:
            previous = await store.kv_int("provider_balance_idr")
            await store.kv_set("provider_balance_idr", str(p.balance_idr))
            if previous is not None and p.balance_idr > previous:
                # A top-up seen in an order reply: orders held for the deposit must not wait for the watchdog.
                await self.release_deposit_flags(p.balance_idr)
        if p.outcome == PlacementOutcome.ACCEPTED and p.reference:
            async with write_transaction(store.db) as conn:
                after = await repo.conditional_update(conn, oid, [Status.PROCESSING], {
                    "provider_ref": p.reference, "provider_status": p.status.value, "provider_reply": p.raw[:4000],
                    "provider_cost_idr": p.cost_idr, "provider_note": p.note or None, "flag": None},
                    T.c.provider_ref.is_(None))
                current = after or await repo.get(conn, oid)
                if after is not None:
                    await repo.add_event(conn, oid, "provider", None, None, repo.ACCEPTED_PREFIX + p.reference)
                elif current is not None and current["provider_ref"] != p.reference:
                    # Bought, yet the order moved on meanwhile (Banyu marked it delivered by hand…): the
                    # timeline keeps the reference so Banyu sees that provider order too.
                    await repo.add_event(conn, oid, "provider", None, None,
                                         f"{repo.ACCEPTED_PREFIX}{p.reference} (setelah status pesanan berubah)")
            if current is None or current["provider_ref"] != p.reference:
                log.warning("provider accepted %s for %s, which no longer waits for it", p.reference, order["code"])
                return current or order
            after = current  # stored now, or by an earlier settle of the same reply: the rest is forward-only
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
            if flag == repo.AUTO_RETRY_FLAG:
                # Nothing reached the provider: try again by itself (the flag shows Banyu why it waits).
                fulfil_at = now_ms() + RETRY_LATER_MS
            # Only while no provider order is known for it: a concurrent settle may have adopted one.
            result = await repo.transition(
                store.db, oid, to=Status.PAID, trigger="refused", actor="provider", from_statuses=[Status.PROCESSING],
                reason=f"ditolak provider sebelum dibeli: {p.reason}"[:500],
                values={"flag": flag, "fulfil_at": fulfil_at, "provider_reply": p.raw[:4000] or p.reason,
                        "claimed_at": None}, extra=T.c.provider_ref.is_(None))
            if result is None:
                return await repo.get(store.db, oid) or order
            after, old = result
            await store.emit("order_status_changed", order=after, old=old, new=Status.PAID, reason="refused")
            if flag == "needs_deposit":
                await self._refresh_balance()
            if flag == repo.AUTO_RETRY_FLAG:
                self.schedule(after)
            else:
                await store.alert_owner(str(flag), {"code": after["code"], "reason": p.reason},
                                        key=f"{flag}:{after['code']}:{after['updated_at']}")
            return after
        if p.outcome == PlacementOutcome.FAILED:
            return await self._fail(order, p.reason, p.raw)
        # UNKNOWN: keep processing, remember the reply, settle later through the status lookup.
        after = await repo.conditional_update(store.db, oid, [Status.PROCESSING],
                                              {"flag": "unsettled", "provider_reply": (p.raw or p.reason)[:4000]})
        if after is None:
            return await repo.get(store.db, oid) or order
        await repo.add_event(store.db, oid, "provider", None, None, f"hasil tidak pasti: {p.reason}"[:500])
        store.jobs.settle(oid, SETTLE_AFTER_MS / 1000)
        return after

    async def _refresh_balance(self) -> None:
        """After "balance too low" the stored balance is stale; the watchdog releases the order when a later
        reading is higher than this one (a top-up), so a price the estimate missed cannot loop the claim."""
        try:
            balance = await self.store.provider.fetch_balance()
        except Exception:
            log.exception("provider balance lookup failed")
            return
        if balance is not None:
            await self.store.kv_set("provider_balance_idr", str(balance))

    async def _fail(self, order: dict[str, Any], reason: str, raw: str = "") -> dict[str, Any]:
        store = self.store
        result = await repo.transition(
            store.db, order["id"], to=Status.FAILED, trigger="provider", actor="provider",
            from_statuses=[Status.PROCESSING], reason=f"gagal: {reason}"[:500],
            values={"provider_status": ProviderStatus.FAILED.value, "provider_note": reason[:2000] or None,
                    "refund_owed_idr": repo.unrefunded_paid(), "flag": None,
                    **({"provider_reply": raw[:4000]} if raw else {})})
        if result is None:
            return await repo.get(store.db, order["id"]) or order
        after, old = result
        await store.emit("order_status_changed", order=after, old=old, new=Status.FAILED, reason=reason)
        return after

    # ---- settle unknown results -----------------------------------------------------------------

    async def settle(self, order_id: int) -> dict[str, Any] | None:
        """Decide an unknown placement through the provider's status lookup (never by ordering again)."""
        store = self.store
        order = await repo.get(store.db, order_id)
        if order is None or order["status"] != Status.PROCESSING or order["provider_ref"]:
            return order
        wait_ms = self._claim_wait_ms(order, sweeping=False)
        if wait_ms > 0:
            # No reply recorded and the claim is recent: its worker may still be waiting on the provider,
            # and "not found" now could be a call in flight. Look again once that call must have ended.
            store.jobs.settle(order_id, wait_ms / 1000)
            return order
        if await repo.take_settle_turn(store.db, order_id, now_ms(), SETTLE_TURN_MS) is None:
            return await repo.get(store.db, order_id)  # another settle is deciding (or just decided) it
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

    def _claim_wait_ms(self, order: dict[str, Any], sweeping: bool) -> int:
        """How long a claim without a stored reference must still be left alone. A settle job may look as
        soon as the call has ended (an unknown reply is recorded: flag `unsettled`); the sweep waits the whole
        grace either way, which also gives the provider time to list an order its slow reply was about."""
        if order["claimed_at"] is None or (order["flag"] == "unsettled" and not sweeping):
            return 0
        return max(0, int(order["claimed_at"]) + self.claim_grace_ms - now_ms())

    async def sweep_unsettled(self) -> int:
        """Processing orders with no provider reference (unknown result, or a worker that died mid-call):
        settle those whose call must have ended; come back for the others when theirs must have."""
        settled = 0
        for row in await repo.unsettled(self.store.db):
            wait_ms = self._claim_wait_ms(row, sweeping=True)
            if wait_ms > 0:
                self.store.jobs.settle(row["id"], wait_ms / 1000)
                continue
            await self.settle(row["id"])
            settled += 1
        return settled

    # ---- status: callbacks and polls -----------------------------------------------------------

    async def apply_status(self, update: StatusUpdate, source: str) -> dict[str, Any] | None:
        """Forward-only: only a `processing` order moves, so duplicate or late updates change nothing."""
        store = self.store
        order = await repo.get_by_provider_ref(store.db, update.reference)
        if order is None:
            return None
        if update.status == ProviderStatus.SUCCESS and order["status"] == Status.FAILED:
            return await self._late_success(order, update, source)
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

    async def _late_success(self, order: dict[str, Any], update: StatusUpdate, source: str) -> dict[str, Any]:
        """The provider says success after it had said error: the state stays (forward-only) but Banyu must
        know before refunding an item that may have been delivered after all."""
        store = self.store
        after = await repo.conditional_update(store.db, order["id"], [Status.FAILED], {"flag": "late_success"},
                                              T.c.flag.is_distinct_from("late_success"))
        if after is None:
            return order
        reason = f"provider melaporkan SUKSES setelah gagal ({source}); cek sebelum refund"
        await repo.add_event(store.db, order["id"], "provider", None, None, f"{reason}: {update.note}"[:500])
        await store.alert_owner("needs_attention", {"code": order["code"], "reason": reason},
                                key=f"late_success:{order['code']}:{update.reference}")
        return after

    async def _apply_pending_callbacks(self, reference: str) -> None:
        await self.store.callbacks.apply_pending(reference)

    def poll_delay(self, polls_done: int) -> float:
        """Back-off between status polls: 15 s, 30 s, 60 s … capped at 5 minutes (status_poll_seconds = 15)."""
        base = self.store.settings.status_poll_seconds
        return float(min(base * (2 ** min(max(polls_done - 1, 0), 5)), POLL_MAX_DELAY_SECONDS))

    async def poll(self, order_id: int) -> dict[str, Any] | None:
        store = self.store
        order = await repo.get(store.db, order_id)
        if order is None or order["status"] != Status.PROCESSING or not order["provider_ref"]:
            return order
        now = now_ms()
        if now - (order["claimed_at"] or order["created_at"]) > store.settings.status_poll_max_age_seconds * 1000:
            # Stop asking: the provider's callback can still settle it; Banyu is told once.
            expired = await repo.conditional_update(store.db, order_id, [Status.PROCESSING], {"flag": "poll_expired"},
                                                    or_(T.c.flag.is_(None), T.c.flag != "poll_expired"))
            if expired:
                await repo.add_event(store.db, order_id, "system", None, None, POLL_EXPIRED_REASON)
                await store.alert_owner("needs_attention", {"code": order["code"], "reason": POLL_EXPIRED_REASON},
                                        key=f"poll_expired:{order['code']}")
            return expired or order
        slot = await repo.record_poll(store.db, order_id, now)
        if slot is None:
            return order
        try:
            update = await store.provider.fetch_status(order["provider_ref"], order["section"])
        except Exception:
            log.exception("status poll failed for %s", order["code"])
            update = None
        after = await self.apply_status(update, "status poll") if update else None
        if after is None or after["status"] == Status.PROCESSING:
            store.jobs.poll(order_id, self.poll_delay(slot["poll_count"]))
        return after or slot

    async def sweep_processing(self) -> int:
        """Poll the orders whose poll chain was lost (a flushed queue, a worker that died): overdue by more
        than a minute past their back-off. The others' chains are alive and polled by their jobs."""
        now = now_ms()
        polled = 0
        for row in await repo.polling(self.store.db):
            if row["flag"] == "poll_expired":
                continue
            last = row["last_polled_at"] or row["claimed_at"] or row["updated_at"]
            if now - last > self.poll_delay(row["poll_count"]) * 1000 + 60_000:
                await self.poll(row["id"])
                polled += 1
        return polled
