"""Idempotency keys through the real store: an event delivered twice records one message; a new payment, or
a new failure of a retried order, is a new message."""

from __future__ import annotations

from typing import Any

from tests.core.notifications.conftest import BUYER, OWNER, Notify


async def test_order_created_twice_records_one_message_each(notify: Notify) -> None:
    order = await notify.order()
    await notify.store.emit("order_created", order=order)
    await notify.store.emit("order_created", order=await notify.store.orders.get(order["code"]))
    rows = await notify.rows()
    assert [(r["kind"], r["recipient"], r["key"]) for r in rows] == [
        ("order_received", BUYER, f"{order['code']}:order_received:1"),
        ("owner_new_order", OWNER, f"{order['code']}:owner_new_order:1")]
    assert len(notify.jobs.of("send_message")) == 2  # the repeats queued nothing
    await notify.drain()
    await notify.assert_each_delivered_once()


async def test_each_payment_gets_its_own_underpaid_message_once(notify: Notify) -> None:
    order = await notify.order()
    assert await notify.pay(order["code"], 10_000, external_id="tx-1") == "matched"
    assert await notify.pay(order["code"], 10_000, external_id="tx-1") == "duplicate"  # the webhook again
    after = await notify.store.orders.get(order["code"])
    [payment] = [p for p in await _payments(notify, order["id"])]
    await notify.store.emit("payment_recorded", order=after, payment=payment)  # the event again
    underpaid = await notify.rows(kind="underpaid")
    assert [r["key"] for r in underpaid] == [f"{order['code']}:underpaid:{payment['id']}"]
    assert "Masih kurang: Rp 14.000" in underpaid[0]["body"]

    assert await notify.pay(order["code"], 5_000, external_id="tx-2") == "matched"  # a new payment
    underpaid = await notify.rows(kind="underpaid")
    assert len(underpaid) == 2 and underpaid[0]["key"] != underpaid[1]["key"]
    assert "Masih kurang: Rp 9.000" in underpaid[1]["body"]
    assert len(await notify.rows(kind="owner_payment")) == 2
    await notify.drain()
    await notify.assert_each_delivered_once()


async def test_status_change_events_repeat_safely(notify: Notify) -> None:
    order = await notify.order()
    done = {**order, "status": "success", "provider_note": "SN 0042"}
    for _ in range(3):
        await notify.store.emit("order_status_changed", order=done, old="processing", new="success", reason="")
    assert [r["key"] for r in await notify.rows(kind="delivered")] == [f"{order['code']}:delivered:1"]
    # A retried order that fails twice tells the buyer twice: the transition time is in the key.
    for at in (1_000, 1_000, 2_000):
        failed = {**order, "status": "failed", "updated_at": at, "amount_paid_idr": 24_000}
        await notify.store.emit("order_status_changed", order=failed, old="processing", new="failed", reason="x")
    assert len(await notify.rows(kind="failed")) == 2
    assert len(await notify.rows(kind="owner_provider_failure")) == 2


async def test_two_late_payments_on_one_closed_order_alert_banyu_twice(notify: Notify) -> None:
    """The core's alert key (`late_payment:<payment id>`) tells two alerts of one order apart."""
    order = await notify.order()
    await notify.store.orders.act(order["code"], "cancel", "banyu", {"reason": "test"})
    await notify.pay(order["code"], 24_000, external_id="tx-late-1")
    await notify.pay(order["code"], 24_000, external_id="tx-late-2")
    alerts = await notify.rows(kind="owner_unmatched_payment")
    assert len(alerts) == 2
    assert all(order["code"] in a["body"] and "Rp 24.000" in a["body"] for a in alerts)


async def _payments(notify: Notify, order_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from core.tables import payments

    rows = await notify.store.db.fetch_all(select(payments).where(payments.c.order_id == order_id))
    return [dict(r._mapping) for r in rows]
