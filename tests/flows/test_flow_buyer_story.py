"""The seed story end to end, in-process: a buyer orders Mobile Legends diamonds, pays through Trakteer,
and receives the item after the cooldown, with WhatsApp messages at each step.

Runs on SQLite and PostgreSQL (the `store` fixture), and with Huey on SQLite storage and on Redis."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest

from core.orders.states import Status
from core.queue import HueyJobs, build_queue
from tests.conftest import REDIS_URL, Fakes, make_settings, need_service
from tests.helpers import drain_huey, end_cooldown


async def _story(store: Any, client: Any, fakes: Fakes, run_queued: Any) -> None:
    r = await client.get("/api/catalog")
    assert r.status_code == 200
    slugs = {c["slug"]: c for c in r.json()["categories"]}
    assert slugs["mobile-legends-bang-bang"]["kind"] == "game"

    r = await client.get("/api/catalog/mobile-legends-bang-bang")
    detail = r.json()
    assert [f["name"] for f in detail["fields"]] == ["user_id", "zone_id"]
    assert detail["nickname_check"] is True
    ml86 = next(p for p in detail["products"] if p["code"] == "ML86-S24")
    assert ml86 == {"code": "ML86-S24", "name": "86 Diamonds", "price_idr": 24000, "available": True,
                    "group": "Diamonds"}  # 22.000 + 5 % = 23.100 -> rounded up to whole Rp 1.000 units

    r = await client.post("/api/nickname", json={"category": "mobile-legends-bang-bang", "user_id": "12345678",
                                                 "zone_id": "2001"})
    assert r.status_code == 200 and r.json()["nickname"]

    r = await client.post("/api/orders", json={"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001",
                                               "whatsapp": "0812-3456-7890", "price_idr": 1})
    assert r.status_code == 201, r.text
    created = r.json()
    code = created["code"]
    assert created["status"] == "awaiting_payment" and created["amount_due_idr"] == 24000  # client price ignored
    assert created["pay_url"].startswith("https://trakteer.id/maddstore/tip?quantity=24&")
    assert f"supporter_message={code}" in created["pay_url"]
    assert created["invoice_url"] == f"http://store.test/pesanan/{code}"

    # The buyer pays on Trakteer; Trakteer delivers the webhook to the store.
    await fakes.trakteer.deliver(24, message=code, name="Budi")
    r = await client.get(f"/api/orders/{code}")
    status = r.json()
    assert status["status"] == "paid" and status["payment_state"] == "full"
    assert status["amount_paid_idr"] == 24000 and status["fulfil_at"] is not None
    assert status["whatsapp"] == "0812****7890"

    order = await store.orders.get(code)
    assert order["fulfil_at"] - order["updated_at"] == 420_000  # the 7-minute cooldown
    await run_queued(("send_message",))
    assert fakes.vip.calls_of("game-feature", "order") == []  # nothing bought during the cooldown

    await end_cooldown(store, order["id"])
    await run_queued(("fulfil",))
    order = await store.orders.get(code)
    assert order["status"] == Status.PROCESSING and order["provider_ref"].startswith("VP")

    order_calls = fakes.vip.calls_of("game-feature", "order")
    assert len(order_calls) == 1
    form = order_calls[0]
    assert form["type"] == "order" and form["service"] == "ML86-S24"
    assert form["data_no"] == "12345678" and form["data_zone"] == "2001"
    assert form["key"] == "test-vip-key" and form["sign"] == hashlib.md5(b"test-vip-idtest-vip-key").hexdigest()

    for _ in range(5):
        await run_queued(("poll",))
        order = await store.orders.get(code)
        if order["status"] == Status.SUCCESS:
            break
    assert order["status"] == Status.SUCCESS
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1

    await run_queued(("send_message",))
    to_buyer = [m for m in fakes.whatsapp.sent if m["target"].endswith("81234567890")]
    to_owner = [m for m in fakes.whatsapp.sent if m["target"].endswith("81200000001")]
    texts = "\n".join(m["message"] for m in to_buyer)
    assert code in texts and "Rp 24.000" in texts
    assert len(to_buyer) >= 3  # order received, payment / scheduled, delivered
    assert any(code in m["message"] for m in to_owner)  # Banyu alerted of the new order

    timeline = [(e["from_status"], e["to_status"]) for e in await store.orders.timeline(order["id"])
                if e["to_status"]]
    assert timeline == [(None, "awaiting_payment"), ("awaiting_payment", "paid"), ("paid", "processing"),
                        ("processing", "success")]


async def test_buyer_story_in_process(store: Any, client: Any, fakes: Fakes) -> None:
    from tests.helpers import drain_recorded

    async def run_queued(kinds: tuple[str, ...]) -> None:
        await drain_recorded(store, store.jobs, kinds)

    await _story(store, client, fakes, run_queued)


@pytest.mark.parametrize("queue", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_buyer_story_with_real_huey(queue: str, database_url: str, make_store: Any, fakes: Fakes,
                                          tmp_path: Path) -> None:
    from tests.conftest import client_for

    if queue == "redis":
        need_service("Redis", "127.0.0.1", 6379)
        queue_url, name = REDIS_URL, f"madd-test-{uuid.uuid4().hex[:8]}"
    else:
        queue_url, name = f"sqlite:///{tmp_path}/huey.db", "madd"
    settings = make_settings(tmp_path, database_url=database_url, queue_url=queue_url, queue_name=name)
    q = build_queue(settings)
    store = await make_store(settings, jobs=HueyJobs(q))
    try:
        async with client_for(store) as client:
            fakes.trakteer.webhook_transport = client._transport

            async def run_queued(kinds: tuple[str, ...]) -> None:
                assert await drain_huey(store, q.huey), "the story expects queued work"

            await _story(store, client, fakes, run_queued)
    finally:
        q.huey.flush()
