"""Payments: store every gateway delivery once, match it to an order by code, keep the ledger.

Webhook path: verify -> store the raw event (`INSERT … ON CONFLICT DO NOTHING RETURNING`, keyed by the
gateway's id, so a repeat delivery is a no-op) -> apply. Applying inserts the payment row once (unique on
gateway + external id) and recomputes the order's paid sum in the same transaction, under the order's row
lock, so concurrent deliveries of different payments for one order add up correctly.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.db import write_transaction
from core.errors import ApiError, conflict, invalid
from core.interfaces import DeliveryKind, PaymentNotice, WebhookDelivery
from core.money import percent_of
from core.orders import codes
from core.orders import repo as orders_repo
from core.orders.states import CLOSED, OPEN_FOR_PAYMENT, Status
from core.payments import repo
from core.timeutil import now_ms, to_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

RECONCILE_WINDOW = timedelta(minutes=5)


class PaymentService:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- webhook --------------------------------------------------------------------------------

    async def ingest_webhook(self, body: bytes, delivery: WebhookDelivery) -> dict[str, Any]:
        """Store the delivery once and apply it. Never raises for a bad body: the caller answers 2xx."""
        store = self.store
        gateway = store.gateway.name
        notice = delivery.notice
        ext = (notice.external_id if notice else delivery.external_id) or \
            "sha256:" + hashlib.sha256(body).hexdigest()
        event_id = await repo.insert_event(store.db, gateway=gateway, external_id=ext[:120],
                                           kind=delivery.kind.value, body=body.decode("utf-8", "replace"))
        if event_id is None:
            log.info("duplicate %s delivery %s ignored", gateway, ext)
            return {"status": "duplicate"}
        if delivery.kind != DeliveryKind.PAYMENT or notice is None:
            await repo.mark_event(store.db, event_id, error=delivery.reason or None)
            log.info("%s delivery %s stored as %s", gateway, ext, delivery.kind.value)
            return {"status": delivery.kind.value}
        try:
            outcome = await self.apply_notice(notice, source="webhook")
            await repo.mark_event(store.db, event_id)
            return {"status": outcome}
        except Exception as exc:  # kept unprocessed; the sweep retries it
            log.exception("applying %s payment %s failed", gateway, ext)
            await repo.mark_event(store.db, event_id, error=str(exc)[:500], processed=False)
            return {"status": "stored"}

    async def reprocess_events(self) -> int:
        """Apply stored payment deliveries whose processing failed earlier (crash, database hiccup)."""
        store = self.store
        count = 0
        for event in await repo.unprocessed_events(store.db, older_than=now_ms() - 30_000):
            delivery = store.gateway.parse_webhook(event["body"].encode("utf-8"))
            if delivery.kind == DeliveryKind.PAYMENT and delivery.notice:
                await self.apply_notice(delivery.notice, source="webhook")
            await repo.mark_event(store.db, event["id"])
            count += 1
        return count

    # ---- the ledger -----------------------------------------------------------------------------

    def fee_of(self, notice: PaymentNotice) -> tuple[int, bool]:
        if notice.net_amount_idr is not None:
            return notice.amount_idr - notice.net_amount_idr, False
        return percent_of(notice.amount_idr, self.store.settings.payment_fee_estimate_bp), True

    async def apply_notice(self, notice: PaymentNotice, source: str, order_code: str | None = None) -> str:
        """Record one payment (idempotent) and move its order. Returns what happened."""
        store = self.store
        if notice.amount_idr <= 0:
            log.warning("payment %s with non-positive amount %s kept unmatched", notice.external_id,
                        notice.amount_idr)
        unit = store.gateway.unit_price_idr
        if notice.quantity is not None and notice.quantity * unit != notice.amount_idr:
            log.warning("payment %s: price %s != quantity %s x unit %s; trusting price", notice.external_id,
                        notice.amount_idr, notice.quantity, unit)
        code = order_code or next(iter(codes.find_codes(notice.message)), None)
        fee, estimated = self.fee_of(notice)
        base = {
            "gateway": store.gateway.name, "external_id": notice.external_id[:120],
            "alt_id": (notice.alt_ids[0][:120] if notice.alt_ids else None),
            "amount_idr": notice.amount_idr, "net_amount_idr": notice.net_amount_idr, "fee_idr": fee,
            "is_fee_estimated": estimated, "quantity": notice.quantity, "payer_name": notice.payer_name[:200],
            "message": notice.message[:2000], "source": source, "paid_at": to_ms(notice.paid_at),
            "recorded_at": now_ms(), "note": "",
        }
        order = await orders_repo.get_by_code(store.db, code) if code else None
        if order is None or notice.amount_idr <= 0:
            payment = await repo.insert_payment(store.db, {**base, "order_id": None, "state": "unmatched"})
            if payment is None:
                return "duplicate"
            log.info("unmatched payment %s (code %s)", notice.external_id, code)
            await store.emit("payment_unmatched", payment=payment)
            return "unmatched"
        return await self._apply_to_order(order["id"], base, actor=source)

    async def _apply_to_order(self, order_id: int, base: dict[str, Any], actor: str,
                              payment_id: int | None = None) -> str:
        store = self.store
        transition = None
        async with write_transaction(store.db) as conn:
            order = await orders_repo.get_for_update(conn, store.db, order_id)
            assert order is not None
            if payment_id is None:
                payment = await repo.insert_payment(conn, {**base, "order_id": order_id, "state": "matched"})
                if payment is None:
                    return "duplicate"
            else:
                payment = await repo.assign_payment(conn, payment_id, order_id)
                if payment is None:
                    return "not_assignable"
            paid = await repo.sum_for_order(conn, order_id)
            now = now_ms()
            values: dict[str, Any] = {"amount_paid_idr": paid, "updated_at": now}
            status = order["status"]
            due = order["amount_due_idr"]
            if status in CLOSED:
                values["refund_owed_idr"] = max(paid - order["refund_made_idr"], 0)
                await orders_repo.add_event(conn, order_id, actor, None, None,
                                            f"pembayaran {payment['amount_idr']} masuk pada pesanan {status}")
                values["flag"] = "late_payment"
            elif status in OPEN_FOR_PAYMENT and paid >= due:
                if store.settings.is_manual:
                    values["fulfil_at"] = None
                else:
                    values["fulfil_at"] = now + store.settings.cooldown_seconds * 1000
                transition = (Status.PAID, "lunas")
            elif status == Status.AWAITING_PAYMENT and paid < due:
                transition = (Status.UNDERPAID, f"kurang bayar: {paid} dari {due}")
            elif status not in OPEN_FOR_PAYMENT:
                await orders_repo.add_event(conn, order_id, actor, None, None,
                                            f"kelebihan bayar {payment['amount_idr']}")
            if transition:
                to, reason = transition
                moved = await orders_repo.transition(store.db, order_id, to=to, trigger="payment", actor=actor,
                                                     from_statuses=[s.value for s in OPEN_FOR_PAYMENT],
                                                     reason=reason, values=values, conn=conn)
                assert moved is not None
                after, old = moved
            else:
                after = await orders_repo.conditional_update(conn, order_id, [status], values) or order
                old = status
        await store.emit("payment_recorded", order=after, payment=payment)
        if transition:
            await store.emit("order_status_changed", order=after, old=old, new=transition[0], reason=transition[1])
            if transition[0] == Status.PAID:
                store.fulfilment.schedule(after)
        elif status in CLOSED:
            await store.alert_owner("unmatched_payment", {"code": after["code"], "amount_idr": payment["amount_idr"],
                                                          "reason": f"pesanan {status}"},
                                    key=f"late_payment:{payment['id']}")
        return "matched"

    # ---- reconciliation -------------------------------------------------------------------------

    async def reconcile(self) -> int | None:
        """Record payments the gateway lists that no webhook brought (DESIGN §11). None = not configured."""
        store = self.store
        notices = await store.gateway.fetch_recent_payments()
        if notices is None:
            return None
        added = 0
        for n in notices:
            ids = [n.external_id, *n.alt_ids]
            if await repo.any_known_id(store.db, store.gateway.name, ids):
                continue
            code = next(iter(codes.find_codes(n.message)), None)
            order = await orders_repo.get_by_code(store.db, code) if code else None
            if order is not None:
                window = int(RECONCILE_WINDOW.total_seconds() * 1000)
                if await repo.similar_payment(store.db, order["id"], n.amount_idr, to_ms(n.paid_at), window):
                    continue
            result = await self.apply_notice(n, source="reconcile")
            if result != "duplicate":
                added += 1
                log.info("reconciliation recorded payment %s (%s)", n.external_id, result)
        return added

    # ---- Banyu's inbox --------------------------------------------------------------------------

    async def assign(self, payment_id: int, order_code: str, actor: str) -> str:
        store = self.store
        payment = await repo.get_payment(store.db, payment_id)
        if payment is None:
            raise ApiError(404, "payment_not_found")
        if payment["state"] != "unmatched":
            raise conflict("payment_not_unmatched")
        canonical = codes.normalise(order_code or "")
        order = await orders_repo.get_by_code(store.db, canonical) if canonical else None
        if order is None:
            raise invalid("order_not_found", "order_code")
        return await self._apply_to_order(order["id"], {}, actor=actor, payment_id=payment_id)

    async def mark(self, payment_id: int, state: str, actor: str, note: str = "") -> None:
        if state not in ("refunded", "ignored"):
            raise invalid("invalid_field", "state", label="state")
        if not await repo.set_state(self.store.db, payment_id, state, f"{actor}: {note}"[:500]):
            raise conflict("payment_not_unmatched")
