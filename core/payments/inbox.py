"""Banyu's side of payments: link a stray payment to an order, settle it by hand, and the attention list.

Mixed into `PaymentService` (`store.payments.assign / mark / attention / payments_of`). Everything returned is
plain dicts with ISO 8601 UTC times, ready for the admin JSON API and templates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core.db import write_transaction
from core.errors import ApiError, conflict, invalid
from core.money import format_idr
from core.orders import codes
from core.orders import repo as orders_repo
from core.orders.states import CLOSED
from core.payments import repo
from core.timeutil import iso

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

MARKS = ("refunded", "ignored")
CLOSED_VALUES = [s.value for s in CLOSED]


def payment_view(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": p["id"], "state": p["state"], "amount_idr": p["amount_idr"], "net_amount_idr": p["net_amount_idr"],
            "fee_idr": p["fee_idr"], "is_fee_estimated": bool(p["is_fee_estimated"]), "quantity": p["quantity"],
            "payer_name": p["payer_name"], "message": p["message"], "source": p["source"],
            "external_id": p["external_id"], "paid_at": iso(p["paid_at"]), "recorded_at": iso(p["recorded_at"]),
            "note": p["note"]}


def _order_view(row: Mapping[str, Any]) -> dict[str, Any]:
    paid, due, made = row["o_paid"], row["o_due"], row["o_refund_made"]
    return {"code": row["o_code"], "status": row["o_status"], "amount_due_idr": due, "amount_paid_idr": paid,
            "overpaid_idr": max(paid - due - made, 0), "refund_owed_idr": row["o_refund_owed"],
            "refund_made_idr": made, "flag": row["o_flag"]}


class Inbox:
    store: Store

    async def apply_to_order(self, order_id: int, base: dict[str, Any], actor: str,
                             payment_id: int | None = None) -> tuple[str, dict[str, Any] | None]:
        raise NotImplementedError  # PaymentService

    async def assign(self, payment_id: int, order_code: str, actor: str) -> str:
        """Apply an unmatched payment to the order `order_code` (any spelling); returns "matched".

        404 unknown payment, 422 unknown order, 409 when the payment is not (or no longer) unmatched.
        """
        store = self.store
        payment = await repo.get_payment(store.db, payment_id)
        if payment is None:
            raise ApiError(404, "payment_not_found", "Pembayaran tidak ditemukan.")
        if payment["state"] != "unmatched":
            raise conflict("payment_not_unmatched", "Pembayaran ini sudah ditautkan atau diselesaikan.")
        if payment["amount_idr"] <= 0:
            raise conflict("payment_not_positive", "Pembayaran dengan jumlah nol atau negatif tidak bisa ditautkan.")
        canonical = codes.normalise(order_code or "")
        order = await orders_repo.get_by_code(store.db, canonical) if canonical else None
        if order is None:
            raise invalid("order_not_found", "order_code")
        outcome, after = await self.apply_to_order(order["id"], {}, actor=actor, payment_id=payment_id)
        if after is None:  # someone else assigned or settled it in between
            raise conflict("payment_not_unmatched", "Pembayaran ini sudah ditautkan atau diselesaikan.")
        log.info("payment #%s assigned to %s by %s", payment_id, after["code"], actor)
        return outcome

    async def mark(self, payment_id: int, state: str, actor: str, note: str = "") -> dict[str, Any]:
        """Settle a payment by hand: `refunded` (money sent back) or `ignored` (kept / handled elsewhere).

        Allowed on an unmatched payment, on a payment sitting on an expired / cancelled order, and on a
        payment of an overpaid order. On an order, `refunded` adds to its `refund_made_idr` (the whole payment
        on a closed order, the overpaid part otherwise). Returns the payment after; 409 otherwise.
        """
        if state not in MARKS:
            raise invalid("invalid_field", "state", label="state")
        store = self.store
        payment = await repo.get_payment(store.db, payment_id)
        if payment is None:
            raise ApiError(404, "payment_not_found", "Pembayaran tidak ditemukan.")
        text = f"{state} oleh {actor}" + (f": {note.strip()}" if note and note.strip() else "")
        if payment["state"] == "unmatched":
            after = await repo.set_state(store.db, payment_id, "unmatched", state, text[:500])
            if after is None:
                raise conflict("payment_not_markable", "Pembayaran ini sudah diselesaikan.")
            return payment_view(after)
        if payment["state"] != "matched" or payment["order_id"] is None:
            raise conflict("payment_not_markable", "Pembayaran ini sudah diselesaikan.")
        async with write_transaction(store.db) as conn:
            order = await orders_repo.get_for_update(conn, store.db, payment["order_id"])
            assert order is not None
            closed = order["status"] in CLOSED
            over = order["amount_paid_idr"] - order["amount_due_idr"] - order["refund_made_idr"]
            if not closed and over <= 0:
                raise conflict("payment_not_markable", "Pesanan ini tidak kelebihan bayar dan masih berjalan.")
            after = await repo.set_state(conn, payment_id, "matched", state, text[:500])
            if after is None:
                raise conflict("payment_not_markable", "Pembayaran ini sudah diselesaikan.")
            refund = 0
            if state == "refunded":
                refund = payment["amount_idr"] if closed else min(payment["amount_idr"], over)
            values: dict[str, Any] = {"refund_made_idr": order["refund_made_idr"] + refund,
                                      "refund_owed_idr": max(order["refund_owed_idr"] - refund, 0)}
            if closed and order["flag"] == "late_payment" and not await repo.count_in_state(conn, order["id"],
                                                                                          "matched"):
                values["flag"] = None
            await orders_repo.conditional_update(conn, order["id"], [order["status"]], values)
            if refund:
                await repo.record_refund(conn, order_id=order["id"], payment_id=payment_id, amount_idr=refund,
                                         actor=actor, note=(note or "").strip()[:500])
            await orders_repo.add_event(conn, order["id"], actor, None, None,
                                        f"pembayaran #{payment_id} ({format_idr(payment['amount_idr'])}) "
                                        f"ditandai {state}" + (f", refund {format_idr(refund)}" if refund else "")
                                        + (f": {note.strip()}" if note and note.strip() else ""))
        log.info("payment #%s marked %s by %s", payment_id, state, actor)
        return payment_view(after)

    async def payments_of(self, order_id: int) -> list[dict[str, Any]]:
        """An order's payments, oldest first (its ledger lines)."""
        return [payment_view(p) for p in await repo.for_order(self.store.db, order_id)]

    async def attention(self, limit: int = 100) -> list[dict[str, Any]]:
        """What Banyu must look at, newest first.

        Each item: `{"kind", "at", "payment", "order", "actions"}` where kind is `unmatched_payment`,
        `closed_order_payment` or `overpaid_order`; `payment` is `payment_view()` (for an overpaid order: its
        latest payment, the id to pass to `mark`); `order` is None for unmatched payments.
        """
        db = self.store.db
        items: list[dict[str, Any]] = []
        for p in await repo.unmatched(db, limit):
            items.append({"kind": "unmatched_payment", "at": iso(p["paid_at"]), "payment": payment_view(p),
                          "order": None, "actions": ["assign", "refunded", "ignored"]})
        for row in await repo.on_closed_orders(db, CLOSED_VALUES, limit):
            items.append({"kind": "closed_order_payment", "at": iso(row["paid_at"]), "payment": payment_view(row),
                          "order": _order_view(row), "actions": ["refunded", "ignored"]})
        for row in await repo.overpaid_orders(db, CLOSED_VALUES, limit):
            items.append({"kind": "overpaid_order", "at": iso(row["paid_at"]), "payment": payment_view(row),
                          "order": _order_view(row), "actions": ["refunded", "ignored"]})
        items.sort(key=lambda i: (i["at"] or "", i["payment"]["id"]), reverse=True)
        return items[:limit]
