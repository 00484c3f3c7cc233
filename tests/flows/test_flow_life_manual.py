"""Manual mode end to end over HTTP: the buyer pays, nothing is scheduled or bought by the worker's tasks;
Banyu confirms from the admin API and the order goes out once."""

from __future__ import annotations

from typing import Any

from core.orders.states import Status
from core.queue import run_sweep
from tests.conftest import Fakes, client_for
from tests.helpers import drain_recorded

ADMIN = {"Authorization": "Bearer test-admin-token"}


async def test_flow_life_manual_mode(make_store: Any, fakes: Fakes) -> None:
    store = await make_store(fulfilment_mode="manual")
    async with client_for(store) as client:
        fakes.trakteer.webhook_transport = client._transport
        r = await client.post("/api/orders", json={"product": "FF70", "user_id": "55501234",
                                                   "whatsapp": "0812-3456-7890"})
        assert r.status_code == 201, r.text
        code = r.json()["code"]
        await fakes.trakteer.deliver(r.json()["amount_due_idr"] // 1000, message=code)
        view = (await client.get(f"/api/orders/{code}")).json()
        assert view["status"] == "paid" and view["fulfil_at"] is None

        # The worker's whole periodic round and every queued task: nothing is bought.
        await run_sweep(store)
        await drain_recorded(store, store.jobs, ("send_message", "fulfil", "poll", "settle"))
        assert fakes.vip.calls_of("game-feature", "order") == []
        buyer = [m["message"] for m in fakes.whatsapp.sent if m["target"].endswith("81234567890")]
        assert any(code in t and "sudah kami terima" in t.lower() for t in buyer)
        assert not any("akan dikirim pukul" in t for t in buyer)  # no time promised in manual mode

        r = await client.post(f"/api/admin/orders/{code}/confirm", headers={"Authorization": "Bearer x"})
        assert r.status_code == 401
        r = await client.post(f"/api/admin/orders/{code}/confirm", headers=ADMIN)
        assert r.status_code == 200 and r.json()["status"] == "processing"
        assert (await client.post(f"/api/admin/orders/{code}/confirm", headers=ADMIN)).status_code == 409
        assert (await client.post(f"/api/admin/orders/{code}/send-now", headers=ADMIN)).status_code == 409
        await drain_recorded(store, store.jobs, ("poll",))
        order = await store.orders.get(code)
        assert order["status"] == Status.SUCCESS
        assert len(fakes.vip.calls_of("game-feature", "order")) == 1
        admin = (await client.get(f"/api/admin/orders/{code}", headers=ADMIN)).json()
        claim = [e for e in admin["timeline"] if e["to_status"] == "processing"]
        assert [(e["actor"], e["from_status"]) for e in claim] == [("admin-api", "paid")]
