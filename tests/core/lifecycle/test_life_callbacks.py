"""Provider callbacks (`POST /webhooks/vipreseller`): signed or 401; stored first; a callback racing ahead of
the order reply is kept and applied when the reply lands; concurrent and repeated deliveries move an order
at most once (one failure, one refund owed — never doubled)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from core.interfaces import ProviderOrderRequest
from core.orders.states import Status
from core.tables import provider_callbacks
from tests.conftest import Fakes
from tests.core.lifecycle.life_helpers import (
    ML_DUE,
    callback_body,
    claim_without_reply,
    moves,
    new_order,
    order_in,
    owner_messages,
    pay,
    reload,
    snapshot,
    vip_headers,
)
from tests.helpers import drain_recorded

URL = "/webhooks/vipreseller"


async def stored_callbacks(store: Any) -> int:
    return int(await store.db.fetch_val(select(func.count()).select_from(provider_callbacks)))


async def test_life_callback_signature_required(store: Any, client: httpx.AsyncClient, fakes: Fakes) -> None:
    order = await order_in(store, Status.PROCESSING, fakes)
    fakes.vip.set_status(order["provider_ref"], "success", "SN-1")
    body = callback_body(fakes, order["provider_ref"])
    before = await snapshot(store, order["id"])
    wrong = hashlib.md5(b"test-vip-idwrong-key").hexdigest()
    for headers in (vip_headers(None), vip_headers(wrong), vip_headers(""), vip_headers("x" * 32)):
        r = await client.post(URL, content=body, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert await stored_callbacks(store) == 0  # refused before anything is stored
    assert await snapshot(store, order["id"]) == before
    r = await client.post(URL, content=body, headers=vip_headers())
    assert r.status_code == 200
    assert (await reload(store, order))["status"] == Status.SUCCESS


async def test_life_callback_before_order_reply_is_kept_then_applied(store: Any, client: httpx.AsyncClient,
                                                                    fakes: Fakes) -> None:
    order = await new_order(store)
    await pay(store, order["code"], ML_DUE)
    await claim_without_reply(store, order["id"], claimed_ago_ms=10)
    # The provider takes the order and finishes it; its callback overtakes the order reply.
    placement = await store.provider.place_order(ProviderOrderRequest(
        order_code=order["code"], product_code="ML86-S24", section="game",
        target={"user_id": "12345678", "zone_id": "2001"}, claimed_at=datetime.now(UTC)))
    trxid = placement.reference
    fakes.vip.set_status(trxid, "success", "SN-EARLY")
    r = await client.post(URL, content=callback_body(fakes, trxid), headers=vip_headers())
    assert r.status_code == 200 and r.json()["kept"] == 1
    waiting = await reload(store, order)
    assert waiting["status"] == Status.PROCESSING and waiting["provider_ref"] is None
    assert await stored_callbacks(store) == 1

    after = await store.fulfilment.apply_placement(waiting, placement)  # the order reply lands
    assert after["status"] == Status.SUCCESS and after["provider_ref"] == trxid
    assert after["provider_note"] == "SN-EARLY"
    # Landing twice (a repeated settle) changes nothing.
    again = await store.fulfilment.apply_placement(waiting, placement)
    assert again["status"] == Status.SUCCESS
    assert await moves(store, order["id"]) == [(None, "awaiting_payment"), ("awaiting_payment", "paid"),
                                               ("paid", "processing"), ("processing", "success")]
    assert len(fakes.vip.orders) == 1


async def test_life_concurrent_error_callbacks_fail_once(store: Any, client: httpx.AsyncClient,
                                                         fakes: Fakes) -> None:
    order = await order_in(store, Status.PROCESSING, fakes)
    fakes.vip.set_status(order["provider_ref"], "error", "Zone tujuan salah.")
    body = callback_body(fakes, order["provider_ref"])
    replies = await asyncio.gather(*[client.post(URL, content=body, headers=vip_headers()) for _ in range(2)])
    assert [r.status_code for r in replies] == [200, 200]
    after = await reload(store, order)
    assert after["status"] == Status.FAILED
    assert after["refund_owed_idr"] == ML_DUE == after["amount_paid_idr"]  # owed once, not doubled
    assert [m for m in await moves(store, order["id"]) if m[1] == "failed"] == [("processing", "failed")]
    await drain_recorded(store, store.jobs)
    assert len(await owner_messages(store, "owner_provider_failure")) == 1
    assert len(await owner_messages(store, "failed")) == 1
    to_buyer = [m for m in fakes.whatsapp.sent if m["target"].endswith("81234567890") and "gagal" in m["message"]]
    assert len(to_buyer) == 1 and order["code"] in to_buyer[0]["message"]


async def test_life_callback_replays_change_nothing(store: Any, client: httpx.AsyncClient, fakes: Fakes) -> None:
    order = await order_in(store, Status.PROCESSING, fakes)
    trxid = order["provider_ref"]
    fakes.vip.callback_url = "http://store.test/webhooks/vipreseller"
    fakes.vip.callback_transport = client._transport
    fakes.vip.set_status(trxid, "processing")
    assert await fakes.vip.send_callbacks() == [200]
    pending = await reload(store, order)
    assert pending["status"] == Status.PROCESSING and pending["provider_status"] == "processing"

    fakes.vip.set_status(trxid, "success", "SN-42")
    assert await fakes.vip.send_callbacks(duplicate=True, shape="array") == [200, 200]
    done = await reload(store, order)
    assert done["status"] == Status.SUCCESS and done["provider_note"] == "SN-42"
    before = await snapshot(store, order["id"])

    # Replays, a late contradicting word, an unknown trxid, garbage: 2xx, and the order stays as it is.
    replay = callback_body(fakes, trxid)
    late_error = json.dumps({"data": {**json.loads(replay)["data"], "status": "error", "note": "x"}})
    unknown = json.dumps({"data": {**json.loads(replay)["data"], "trxid": "VP999999999"}})
    for body in (replay, replay, late_error, unknown, "not json", "{}"):
        r = await client.post(URL, content=body, headers=vip_headers())
        assert r.status_code == 200, body
    assert await snapshot(store, order["id"]) == before
    assert len(fakes.vip.orders) == 1


async def test_life_callback_that_failed_to_apply_is_applied_by_the_sweep(store: Any, client: httpx.AsyncClient,
                                                                          fakes: Fakes) -> None:
    from core.queue import run_sweep

    order = await order_in(store, Status.PROCESSING, fakes)
    fakes.vip.set_status(order["provider_ref"], "success", "SN-LATE")
    real = store.fulfilment.apply_status

    async def database_hiccup(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    store.fulfilment.apply_status = database_hiccup
    r = await client.post(URL, content=callback_body(fakes, order["provider_ref"]), headers=vip_headers())
    store.fulfilment.apply_status = real
    assert r.status_code == 200 and r.json()["kept"] == 1  # stored; the provider sees no 5xx
    assert (await reload(store, order))["status"] == Status.PROCESSING
    fakes.vip.auto_advance = False  # only the stored callback can settle it
    fakes.vip.set_status(order["provider_ref"], "processing")
    out = await run_sweep(store)
    assert out["callbacks"] == 1
    after = await reload(store, order)
    assert after["status"] == Status.SUCCESS and after["provider_note"] == "SN-LATE"
    assert (await run_sweep(store))["callbacks"] == 0
