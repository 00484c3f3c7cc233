"""DESIGN §2 steps 2–9 as one story, over HTTP, on SQLite and PostgreSQL: a buyer orders Telkomsel pulsa
(S10) for a phone number, underpays, pays the rest (and a little more), waits out the cooldown, and gets
the serial number on WhatsApp. Then a second story: the provider fails, Banyu retries, it fails again, and
Banyu delivers by hand (mark-delivered)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx

from core.orders.states import Status
from core.timeutil import now_ms
from plugins.providers_vipreseller.sandbox_data import fake_serial
from tests.conftest import Fakes
from tests.helpers import drain_recorded, end_cooldown

ADMIN = {"Authorization": "Bearer test-admin-token"}
BUYER = "81234567890"
OWNER = "81200000001"


def texts_to(fakes: Fakes, number: str) -> list[str]:
    return [m["message"] for m in fakes.whatsapp.sent if m["target"].endswith(number)]


async def run(store: Any, *kinds: str) -> int:
    return await drain_recorded(store, store.jobs, kinds)


async def test_flow_life_seed_story_pulsa(store: Any, client: httpx.AsyncClient, fakes: Fakes) -> None:
    # 2. The buyer picks Telkomsel pulsa: a phone number, no nickname check.
    cats = {c["slug"]: c for c in (await client.get("/api/catalog")).json()["categories"]}
    assert cats["telkomsel"]["kind"] == "pulsa"
    detail = (await client.get("/api/catalog/telkomsel")).json()
    assert [f["name"] for f in detail["fields"]] == ["phone"] and detail["nickname_check"] is False
    s10 = next(p for p in detail["products"] if p["code"] == "S10")
    assert s10["price_idr"] == 12_000  # 10.830 + 5 % = 11.371,50 -> rounded up to whole Rp 1.000 units

    # 3. The order is stored, awaiting payment; Banyu is told.
    r = await client.post("/api/orders", json={"product": "S10", "phone": "+62 812-9876-5432",
                                               "whatsapp": "0812-3456-7890"})
    assert r.status_code == 201, r.text
    created = r.json()
    code = created["code"]
    assert re.fullmatch(r"MADD-[0-9A-HJKMNP-TV-Z]{6}", code)
    assert created["status"] == "awaiting_payment" and created["amount_due_idr"] == 12_000
    await run(store, "send_message")
    assert any(code in t for t in texts_to(fakes, OWNER))
    assert any(code in t for t in texts_to(fakes, BUYER))

    # 4. The invoice shows the total and the "Bayar" link: quantity and code prefilled.
    assert created["pay_url"].startswith("https://trakteer.id/maddstore/tip?quantity=12&")
    assert f"supporter_message={code}" in created["pay_url"]
    page = await client.get(f"/pesanan/{code}")
    assert page.status_code == 200 and "Rp 12.000" in page.text and "trakteer.id/maddstore/tip" in page.text

    # 5–6. Trakteer's webhook: 5 units first (underpaid: the shortfall and a pay-the-rest link) …
    await fakes.trakteer.deliver(5, message=code, name="Budi")
    view = (await client.get(f"/api/orders/{code}")).json()
    assert (view["status"], view["payment_state"], view["amount_paid_idr"]) == ("underpaid", "partial", 5_000)
    await run(store, "send_message")
    underpaid_msg = next(t for t in texts_to(fakes, BUYER) if "Rp 7.000" in t)
    assert "quantity=7" in underpaid_msg and code in underpaid_msg

    # … then 8 units: paid, Rp 1.000 over (recorded for Banyu); 7. the cooldown starts, the buyer is told.
    await fakes.trakteer.deliver(8, message=f"sisa {code}", name="Budi")
    view = (await client.get(f"/api/orders/{code}")).json()
    assert (view["status"], view["payment_state"], view["amount_paid_idr"]) == ("paid", "over", 13_000)
    order = await store.orders.get(code)
    assert order["fulfil_at"] - order["updated_at"] == 420_000
    await run(store, "send_message")
    assert any("akan dikirim" in t and code in t for t in texts_to(fakes, BUYER))
    queued = store.jobs.of("fulfil")
    assert len(queued) == 1 and 419 < queued[0][1] <= 420
    store.jobs.calls.clear()
    assert await store.fulfilment.fulfil_due(order["id"]) is None  # a task run early re-queues itself …
    assert store.jobs.of("fulfil") and fakes.vip.calls_of("prepaid", "order") == []  # … and buys nothing

    # 8. The cooldown ends: claimed and placed, the phone number in the provider's 08… form.
    await end_cooldown(store, order["id"])
    store.jobs.fulfil(order["id"], 0)
    await run(store, "fulfil")
    calls = fakes.vip.calls_of("prepaid", "order")
    assert len(calls) == 1
    assert (calls[0]["service"], calls[0]["data_no"]) == ("S10", "081298765432")
    assert calls[0]["sign"] == hashlib.md5(b"test-vip-idtest-vip-key").hexdigest()
    order = await store.orders.get(code)
    assert order["status"] == Status.PROCESSING and order["provider_ref"] == fakes.vip.orders[0]["trxid"]

    # 9. The status poll finds it done; the buyer gets the serial number.
    await run(store, "poll")
    order = await store.orders.get(code)
    serial = fake_serial(order["provider_ref"])
    assert order["status"] == Status.SUCCESS and order["provider_note"] == serial
    assert order["provider_cost_idr"] == 10_830
    await run(store, "send_message")
    delivered = [t for t in texts_to(fakes, BUYER) if "berhasil dikirim" in t]
    assert len(delivered) == 1 and code in delivered[0]
    assert f"SN / catatan: {serial.removeprefix('SN: ')}" in delivered[0]  # the number, without a doubled label
    assert len(fakes.vip.calls_of("prepaid", "order")) == 1

    admin = (await client.get(f"/api/admin/orders/{code}", headers=ADMIN)).json()
    assert [(e["actor"], e["from_status"], e["to_status"]) for e in admin["timeline"] if e["to_status"]] == [
        ("buyer", None, "awaiting_payment"), ("webhook", "awaiting_payment", "underpaid"),
        ("webhook", "underpaid", "paid"), ("system", "paid", "processing"), ("provider", "processing", "success")]
    assert admin["refund_owed_idr"] == 0


async def test_flow_life_failed_retry_then_delivered_by_hand(store: Any, client: httpx.AsyncClient,
                                                            fakes: Fakes) -> None:
    r = await client.post("/api/orders", json={"product": "ML86-S24", "user_id": "12345678", "zone_id": "9999",
                                               "whatsapp": "0812-3456-7890"})
    code = r.json()["code"]
    await fakes.trakteer.deliver(24, message=code)
    order = await store.orders.get(code)
    await end_cooldown(store, order["id"])
    store.jobs.fulfil(order["id"], 0)
    await run(store, "fulfil", "poll")  # waiting -> processing -> error (the zone is wrong)
    order = await store.orders.get(code)
    assert order["status"] == Status.FAILED and order["refund_owed_idr"] == 24_000
    assert "Zone" in order["provider_note"]
    await run(store, "send_message")
    assert any("gagal" in t.lower() and code in t for t in texts_to(fakes, BUYER))
    assert any(code in t and "Refund" in t for t in texts_to(fakes, OWNER))

    # Banyu retries: due at once (no second cooldown), bought again — and it fails again (by callback).
    r = await client.post(f"/api/admin/orders/{code}/retry", headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "paid" and r.json()["refund_owed_idr"] == 0
    assert abs((await store.orders.get(code))["fulfil_at"] - now_ms()) < 5_000
    fakes.vip.auto_advance = False
    await run(store, "fulfil")
    second = await store.orders.get(code)
    assert second["status"] == Status.PROCESSING and second["provider_ref"] == fakes.vip.orders[1]["trxid"]
    fakes.vip.set_status(second["provider_ref"], "error", "Zone tujuan salah.")
    assert set(await fakes.vip.send_callbacks()) == {200}  # (the first trxid's news is old: no change)
    assert (await store.orders.get(code))["status"] == Status.FAILED
    # A press of "send now" on a failed order is refused; it buys nothing.
    assert (await client.post(f"/api/admin/orders/{code}/send-now", headers=ADMIN)).status_code == 409

    # Banyu buys it by hand on the provider's site and marks it delivered with the serial number.
    r = await client.post(f"/api/admin/orders/{code}/mark-delivered", json={"note": "Dibeli manual, SN 77-88"},
                          headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "success"
    assert r.json()["refund_owed_idr"] == 0
    await run(store, "send_message")
    delivered = [t for t in texts_to(fakes, BUYER) if "berhasil dikirim" in t]
    assert len(delivered) == 1 and "SN 77-88" in delivered[0]
    assert len(fakes.vip.calls_of("game-feature", "order")) == 2

    admin = (await client.get(f"/api/admin/orders/{code}", headers=ADMIN)).json()
    assert [(e["from_status"], e["to_status"]) for e in admin["timeline"] if e["to_status"]] == [
        (None, "awaiting_payment"), ("awaiting_payment", "paid"), ("paid", "processing"), ("processing", "failed"),
        ("failed", "paid"), ("paid", "processing"), ("processing", "failed"), ("failed", "success")]
    assert [e["actor"] for e in admin["timeline"] if e["to_status"] in ("success",)] == ["admin-api"]
