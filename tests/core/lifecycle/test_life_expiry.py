"""Expiry (DESIGN §3): unpaid and underpaid orders past `expires_at` expire (the buyer is told; money already
paid shows as refund owed); a payment arriving later is recorded on the expired order, flagged for Banyu,
and never changes its status. A payment racing the expiry sweep ends in one consistent state."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from core.orders.states import Status
from core.queue import run_sweep
from core.timeutil import now_ms
from tests.conftest import Fakes
from tests.core.lifecycle.life_helpers import (
    ML_DUE,
    events,
    moves,
    new_order,
    owner_messages,
    pay,
    record_alerts,
    reload,
    set_columns,
)
from tests.helpers import drain_recorded, tip, webhook_headers


async def test_life_expire_due_expires_only_overdue_unpaid(store: Any, fakes: Fakes) -> None:
    unpaid, underpaid, fresh, paid = [await new_order(store) for _ in range(4)]
    await pay(store, underpaid["code"], 10_000)
    await pay(store, paid["code"], ML_DUE)
    for o in (unpaid, underpaid, paid):
        await set_columns(store, o["id"], expires_at=now_ms() - 1)
    assert await store.orders.expire_due() == 2
    assert await store.orders.expire_due() == 0  # idempotent

    a, b = await reload(store, unpaid), await reload(store, underpaid)
    assert (a["status"], a["refund_owed_idr"]) == (Status.EXPIRED, 0)
    assert (b["status"], b["refund_owed_idr"], b["amount_paid_idr"]) == (Status.EXPIRED, 10_000, 10_000)
    assert (await reload(store, fresh))["status"] == Status.AWAITING_PAYMENT
    assert (await reload(store, paid))["status"] == Status.PAID  # paid orders never expire
    last = (await events(store, underpaid["id"]))[-1]
    assert (last["actor"], last["from_status"], last["to_status"]) == ("system", "underpaid", "expired")
    assert last["reason"]

    expired_msgs = await owner_messages(store, "expired")  # the buyer's "expired" messages, queued
    assert sorted(m["order_id"] for m in expired_msgs) == sorted([unpaid["id"], underpaid["id"]])
    assert all(m["recipient"].endswith("81234567890") for m in expired_msgs)
    assert {m["id"] for m in expired_msgs} <= {i for i, _ in store.jobs.of("send_message")}
    await drain_recorded(store, store.jobs)
    texts = [m["message"] for m in fakes.whatsapp.sent]
    assert any(unpaid["code"] in t and "kedaluwarsa" in t.lower() for t in texts), texts


async def test_life_the_sweep_expires_too(store: Any, fakes: Fakes) -> None:
    order = await new_order(store)
    await set_columns(store, order["id"], expires_at=now_ms() - 1)
    out = await run_sweep(store)
    assert out["expire"] == 1 and (await reload(store, order))["status"] == Status.EXPIRED


async def test_life_payment_on_expired_order_is_recorded_not_moved(store: Any, client: httpx.AsyncClient,
                                                                   fakes: Fakes) -> None:
    order = await new_order(store)
    await pay(store, order["code"], 5_000)
    await set_columns(store, order["id"], expires_at=now_ms() - 1)
    await store.orders.expire_due()
    alerts = record_alerts(store)

    r = await client.post("/webhooks/trakteer", json=tip(order["code"], ML_DUE), headers=webhook_headers(
        "test-webhook-token"))
    assert r.status_code == 200
    after = await reload(store, order)
    assert after["status"] == Status.EXPIRED
    assert after["amount_paid_idr"] == 5_000 + ML_DUE and after["flag"] == "late_payment"
    assert after["refund_owed_idr"] == 5_000 + ML_DUE and after["fulfil_at"] is None
    view = (await client.get(f"/api/orders/{order['code']}")).json()
    assert view["status"] == "expired" and view["payment_state"] == "over"
    assert [a[0] for a in alerts] == ["unmatched_payment"]
    assert await moves(store, order["id"]) == [(None, "awaiting_payment"), ("awaiting_payment", "underpaid"),
                                               ("underpaid", "expired")]
    assert await store.fulfilment.fulfil_due(order["id"]) is None and fakes.vip.orders == []


async def test_life_payment_racing_expiry_is_consistent(store: Any, fakes: Fakes) -> None:
    orders = [await new_order(store) for _ in range(6)]
    for o in orders:
        await pay(store, o["code"], 4_000)
        await set_columns(store, o["id"], expires_at=now_ms() - 1)
    await asyncio.gather(store.orders.expire_due(), *[pay(store, o["code"], ML_DUE - 4_000) for o in orders],
                         store.orders.expire_due())
    for o in orders:
        after = await reload(store, o)
        assert after["amount_paid_idr"] == ML_DUE
        if after["status"] == Status.PAID:
            assert after["refund_owed_idr"] == 0 and after["fulfil_at"] is not None and after["flag"] is None
        else:
            # Expired first: the later payment is on it, all of it owed back, flagged for Banyu.
            assert after["status"] == Status.EXPIRED
            assert after["refund_owed_idr"] == ML_DUE and after["flag"] == "late_payment"
        assert [m for m in await moves(store, o["id"]) if m[1] in ("paid", "expired")] in (
            [("underpaid", "paid")], [("underpaid", "expired")])
