"""Payments: store every gateway delivery once, match it to an order by code, keep the ledger.

Webhook path: verify -> store the raw event (`INSERT … ON CONFLICT DO NOTHING RETURNING`, keyed by the
gateway's id, so a repeat delivery is a no-op) -> apply. Applying inserts the payment row once (unique on
gateway + external id) and recomputes the order's paid sum in the same transaction, under the order's row
lock, so concurrent deliveries of different payments for one order add up correctly. A failure while
applying leaves the stored event unprocessed for `reprocess_events()` (the sweep) and never reaches the
gateway as a 5xx.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.db import write_transaction
from core.interfaces import DeliveryKind, PaymentNotice, WebhookDelivery
from core.money import format_idr, percent_of
from core.orders import codes
from core.orders import repo as orders_repo
from core.orders.states import CLOSED, OPEN_FOR_PAYMENT, Status, sources
from core.payments import repo
from core.payments.inbox import Inbox
from core.textsafe import clean_text
from core.timeutil import now_ms, to_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

RECONCILE_WINDOW = timedelta(minutes=5)
REPROCESS_MIN_AGE_MS = 30_000  # leave an in-flight webhook alone
MAX_STORED_BODY = 256 * 1024
RECONCILE_FAILURES_KEY = "payments:reconcile_failures"
RECONCILE_FAILURES_ALERT = 3


def clean(text: str) -> str:
    """No NUL (PostgreSQL text cannot hold it) and no lone surrogate (an emoji cut by truncation)."""
    return clean_text(text)


class PaymentService(Inbox):
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- webhook --------------------------------------------------------------------------------

    async def ingest_webhook(self, body: bytes, delivery: WebhookDelivery) -> dict[str, Any]:
        """Store the delivery once, then apply it. After the event is stored nothing raises."""
        store = self.store
        gateway = store.gateway.name
        notice = delivery.notice
        ext = (notice.external_id if notice else delivery.external_id) or \
            "sha256:" + hashlib.sha256(body).hexdigest()
        text = clean(body[:MAX_STORED_BODY].decode("utf-8", "replace"))  # kept as received, for Banyu
        event_id = await repo.insert_event(store.db, gateway=gateway, external_id=clean(ext)[:120],
                                           kind=delivery.kind.value, body=text)
        if event_id is None:
            await self._keep_if_conflicting(gateway, clean(ext)[:120], text)
            return {"status": "duplicate"}
        try:
            if delivery.kind != DeliveryKind.PAYMENT or notice is None:
                await repo.mark_event(store.db, event_id, error=delivery.reason or None)
                log.info("%s delivery %s stored as %s (%s)", gateway, ext, delivery.kind.value, delivery.reason)
                return {"status": delivery.kind.value}
            outcome = await self.apply_notice(notice, source="webhook")
            await repo.mark_event(store.db, event_id)
            return {"status": outcome}
        except Exception as exc:  # stored: the sweep applies it later; the gateway must see a 2xx
            log.exception("applying %s delivery %s failed; left for the sweep", gateway, ext)
            try:
                await repo.mark_event(store.db, event_id, error=f"{type(exc).__name__}: {exc}"[:500],
                                      processed=False)
            except Exception:
                log.exception("could not record the failure of %s delivery %s", gateway, ext)
            return {"status": "stored"}

    async def _keep_if_conflicting(self, gateway: str, ext: str, text: str) -> None:
        """A repeat is a no-op; a repeat whose body differs (same id, other amount) is kept for Banyu to see."""
        first = await repo.event_body(self.store.db, gateway, ext)
        if first is None or first == text:
            log.info("duplicate %s delivery %s ignored", gateway, ext)
            return
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        await repo.insert_event(self.store.db, gateway=gateway, external_id=f"conflict:{digest}:{ext}"[:120],
                                kind="unparseable", body=text)
        log.warning("%s delivery %s repeated with a different body; kept for review, not credited", gateway, ext)

    async def reprocess_events(self, min_age_ms: int = REPROCESS_MIN_AGE_MS) -> int:
        """Apply stored payment deliveries whose processing failed earlier (crash, database hiccup).

        Idempotent: a payment already recorded comes back "duplicate". Returns how many events were settled.
        """
        store = self.store
        done = 0
        for event in await repo.unprocessed_events(store.db, older_than=now_ms() - min_age_ms):
            try:
                delivery = store.gateway.parse_webhook(event["body"].encode("utf-8"))
                if delivery.kind == DeliveryKind.PAYMENT and delivery.notice:
                    outcome = await self.apply_notice(delivery.notice, source="webhook")
                    log.info("reprocessed %s delivery %s: %s", store.gateway.name, event["external_id"], outcome)
                await repo.mark_event(store.db, event["id"])
                done += 1
            except Exception as exc:
                log.exception("reprocessing delivery %s failed again", event["external_id"])
                await repo.mark_event(store.db, event["id"], error=f"{type(exc).__name__}: {exc}"[:500],
                                      processed=False)
        return done

    # ---- the ledger -----------------------------------------------------------------------------

    def fee_of(self, notice: PaymentNotice) -> tuple[int, bool]:
        """`price − net_amount` when the gateway says; else the configured estimate (rounded up)."""
        if notice.net_amount_idr is not None:
            if notice.net_amount_idr > notice.amount_idr:
                log.warning("payment %s: net %s above price %s", notice.external_id, notice.net_amount_idr,
                            notice.amount_idr)
            return max(notice.amount_idr - notice.net_amount_idr, 0), False
        return percent_of(notice.amount_idr, self.store.settings.payment_fee_estimate_bp), True

    async def find_order(self, message: str) -> dict[str, Any] | None:
        """The first order whose code appears in the message (a mistyped first code must not hide a second)."""
        for code in codes.find_codes(message):
            order = await orders_repo.get_by_code(self.store.db, code)
            if order is not None:
                return order
        return None

    async def apply_notice(self, notice: PaymentNotice, source: str, order_code: str | None = None) -> str:
        """Record one payment (idempotent) and move its order.

        Returns "matched", "unmatched" or "duplicate" (this id, or this payment seen by the other channel,
        is already recorded).
        """
        store = self.store
        gateway = store.gateway.name
        notice = dataclasses.replace(notice, external_id=clean(notice.external_id), message=clean(notice.message),
                                     payer_name=clean(notice.payer_name), alt_ids=tuple(map(clean, notice.alt_ids)))
        if await repo.any_known_id(store.db, gateway, [notice.external_id, *notice.alt_ids]):
            return "duplicate"
        if notice.amount_idr <= 0:
            log.warning("payment %s with non-positive amount %s kept unmatched", notice.external_id,
                        notice.amount_idr)
        fee, estimated = self.fee_of(notice)
        base = {
            "gateway": gateway, "external_id": notice.external_id[:120],
            "alt_id": (notice.alt_ids[0][:120] if notice.alt_ids else None),
            "amount_idr": notice.amount_idr, "net_amount_idr": notice.net_amount_idr, "fee_idr": fee,
            "is_fee_estimated": estimated, "quantity": notice.quantity,
            "payer_name": notice.payer_name[:200], "message": notice.message[:2000], "source": source,
            "paid_at": to_ms(notice.paid_at), "recorded_at": now_ms(), "note": "",
        }
        if order_code:
            order = await orders_repo.get_by_code(store.db, order_code)
        else:
            order = await self.find_order(notice.message)
        if order is None or notice.amount_idr <= 0:
            async with write_transaction(store.db) as conn:
                if await self._pair_with_twin(conn, base, None):
                    return "duplicate"
                payment = await repo.insert_payment(conn, {**base, "order_id": None, "state": "unmatched"})
            if payment is None:
                return "duplicate"
            log.info("unmatched payment %s (%s) from %s", notice.external_id, format_idr(notice.amount_idr), source)
            await store.emit("payment_unmatched", payment=payment)
            return "unmatched"
        outcome, _ = await self.apply_to_order(order["id"], base, actor=source)
        return outcome

    async def _pair_with_twin(self, conn: Any, base: dict[str, Any], order_id: int | None) -> bool:
        """DESIGN §11: a payment whose id is unknown but which the other channel already recorded (same
        amount within ±5 minutes) is the same payment: remember this id on it instead of counting twice."""
        twin = await repo.unpaired_twin(
            conn, base["gateway"], source=base["source"], order_id=order_id, message=base["message"],
            amount_idr=base["amount_idr"], at_ms=base["paid_at"],
            window_ms=int(RECONCILE_WINDOW.total_seconds() * 1000))
        if twin is None or not await repo.set_alt_id(conn, twin, base["external_id"]):
            return False
        log.info("payment %s (%s) is payment #%s seen through another channel; not counted again",
                 base["external_id"], base["source"], twin)
        return True

    async def apply_to_order(self, order_id: int, base: dict[str, Any], actor: str,
                             payment_id: int | None = None) -> tuple[str, dict[str, Any] | None]:
        """Insert the payment (or assign the unmatched `payment_id`) on the order and move the order.

        Returns (outcome, order after): outcome "matched", "duplicate" or "not_assignable".
        """
        store = self.store
        transition = None
        async with write_transaction(store.db) as conn:
            order = await orders_repo.get_for_update(conn, store.db, order_id)
            assert order is not None
            if payment_id is None:
                if await self._pair_with_twin(conn, base, order_id):
                    return "duplicate", None
                payment = await repo.insert_payment(conn, {**base, "order_id": order_id, "state": "matched"})
                if payment is None:
                    return "duplicate", None
            else:
                payment = await repo.assign_payment(conn, payment_id, order_id)
                if payment is None:
                    return "not_assignable", None
                await orders_repo.add_event(conn, order_id, actor, None, None,
                                            f"pembayaran #{payment_id} ({format_idr(payment['amount_idr'])}) "
                                            f"ditautkan manual")
            paid = await repo.sum_for_order(conn, order_id)
            now = now_ms()
            values: dict[str, Any] = {"amount_paid_idr": paid, "updated_at": now}
            status, due = order["status"], order["amount_due_idr"]
            amount = format_idr(payment["amount_idr"])
            note = None
            if status == Status.FAILED:
                values["refund_owed_idr"] = max(paid - order["refund_made_idr"], 0)
            if status in CLOSED:
                values["refund_owed_idr"] = max(paid - order["refund_made_idr"], 0)
                values["flag"] = "late_payment"
                note = f"pembayaran {amount} masuk pada pesanan {status}: dicatat, status tetap, perlu refund"
            elif status in OPEN_FOR_PAYMENT and paid >= due:
                values["fulfil_at"] = None if store.settings.is_manual else \
                    now + store.settings.cooldown_seconds * 1000
                over = f", kelebihan bayar {format_idr(paid - due)}" if paid > due else ""
                transition = (Status.PAID, f"lunas: {format_idr(paid)} dari {format_idr(due)}{over}")
            elif status == Status.AWAITING_PAYMENT:
                transition = (Status.UNDERPAID, f"kurang bayar: {format_idr(paid)} dari {format_idr(due)}")
            elif status == Status.UNDERPAID:
                note = f"pembayaran {amount} masuk, masih kurang {format_idr(due - paid)}"
            else:
                note = f"pembayaran {amount} masuk pada pesanan {status}: kelebihan bayar {format_idr(paid - due)}"
            if transition:
                to, reason = transition
                moved = await orders_repo.transition(store.db, order_id, to=to, trigger="payment", actor=actor,
                                                     from_statuses=sources(to, "payment"),
                                                     reason=reason, values=values, conn=conn)
                assert moved is not None  # the row is locked and its status was checked above
                after, old = moved
            else:
                await orders_repo.add_event(conn, order_id, actor, None, None, note or "")
                after = await orders_repo.conditional_update(conn, order_id, [status], values) or order
                old = status
        await store.emit("payment_recorded", order=after, payment=payment)
        if transition:
            await store.emit("order_status_changed", order=after, old=old, new=transition[0], reason=transition[1])
            if transition[0] == Status.PAID:
                store.fulfilment.schedule(after)
        elif status in CLOSED:
            await store.alert_owner("unmatched_payment", {"code": after["code"], "amount_idr": payment["amount_idr"],
                                                          "payer_name": payment["payer_name"],
                                                          "message": payment["message"],
                                                          "reason": f"pesanan {after['code']} sudah {status}"},
                                    key=f"late_payment:{payment['id']}")
        return "matched", after

    # ---- reconciliation -------------------------------------------------------------------------

    async def reconcile(self) -> int | None:
        """Record payments the gateway lists that no webhook brought (DESIGN §11).

        None when reconciliation is not configured or the gateway could not be read (logged; after a few
        failures in a row Banyu is told once a day). Otherwise how many payments were added.
        """
        store = self.store
        try:
            notices = await store.gateway.fetch_recent_payments()
        except Exception as exc:
            await self._reconcile_failed(exc)
            return None
        if notices is None:
            return None
        if await store.kv_int(RECONCILE_FAILURES_KEY):
            await store.kv_set(RECONCILE_FAILURES_KEY, "0")
        added = 0
        for notice in reversed(notices):  # oldest first: an underpayment is recorded before the rest
            try:
                outcome = await self.apply_notice(notice, source="reconcile")
            except Exception:
                log.exception("reconciliation could not record %s", notice.external_id)
                continue
            if outcome != "duplicate":
                added += 1
                log.warning("reconciliation recorded payment %s (%s, %s) that no webhook brought",
                            notice.external_id, format_idr(notice.amount_idr), outcome)
        return added

    async def _reconcile_failed(self, exc: Exception) -> None:
        store = self.store
        try:
            failures = (await store.kv_int(RECONCILE_FAILURES_KEY) or 0) + 1
            await store.kv_set(RECONCILE_FAILURES_KEY, str(failures))
        except Exception:
            failures = 0
        log.warning("reconciliation: %s could not be read (%d in a row): %s", store.gateway.name, failures, exc)
        if failures >= RECONCILE_FAILURES_ALERT:
            day = now_ms() // 86_400_000
            await store.alert_owner("gateway_disconnected", {
                "gateway": store.gateway.name,
                "reason": f"rekonsiliasi pembayaran gagal {failures}x berturut-turut ({type(exc).__name__})"},
                key=f"reconcile_failing:{day}")
