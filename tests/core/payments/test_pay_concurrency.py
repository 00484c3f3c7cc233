"""Races: the same payment delivered 100 times at once is recorded once; different payments for one order
delivered at once all count (no lost update). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from core.payments import repo as pay_repo
from tests.core.payments.conftest import count, event_rows, new_order, payment_rows
from tests.helpers import tip


async def test_hundred_concurrent_deliveries_of_one_payment_record_it_once(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    body = tip(order["code"], 24000, tx="tx-storm")
    replies = await asyncio.gather(*[post_tip(body) for _ in range(100)])
    assert {r.status_code for r in replies} == {200}
    statuses = sorted(r.json()["status"] for r in replies)
    assert statuses.count("matched") == 1 and statuses.count("duplicate") == 99
    assert await count(store, pay_repo.payment_events) == 1
    assert [p["external_id"] for p in await payment_rows(store)] == ["tx-storm"]
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 24000
    moves = [e for e in await store.orders.timeline(order["id"]) if e["to_status"] == "paid"]
    assert len(moves) == 1
    assert len(store.jobs.of("fulfil")) == 1  # fulfilment scheduled once


async def test_concurrent_different_payments_for_one_order_all_count(store: Any, post_tip: Any) -> None:
    order = await new_order(store)  # Rp 24.000
    bodies = [tip(None, 2000, message=f"{order['code']} cicilan {i}", tx=f"tx-part-{i}") for i in range(20)]
    replies = await asyncio.gather(*[post_tip(b) for b in bodies])
    assert {r.status_code for r in replies} == {200}
    assert {r.json()["status"] for r in replies} == {"matched"}
    got = await store.orders.get(order["code"])
    assert got["amount_paid_idr"] == 40000  # 20 x 2.000: no update lost
    assert got["status"] == "paid"
    assert len(await payment_rows(store)) == 20 and len(await event_rows(store)) == 20
    moves = [(e["from_status"], e["to_status"]) for e in await store.orders.timeline(order["id"]) if e["to_status"]]
    assert moves == [(None, "awaiting_payment"), ("awaiting_payment", "underpaid"), ("underpaid", "paid")]


async def test_concurrent_duplicates_of_several_payments(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    bodies = [tip(order["code"], 6000, tx=f"tx-{i}") for i in range(4)]
    replies = await asyncio.gather(*[post_tip(bodies[i % 4]) for i in range(40)])
    assert {r.status_code for r in replies} == {200}
    got = await store.orders.get(order["code"])
    assert got["amount_paid_idr"] == 24000 and got["status"] == "paid"
    assert await count(store, pay_repo.payments) == 4
