"""WhatsApp webhooks through the store's app: Fonnte and Cloud delivery statuses (forward-only, idempotent
under the partners' retries, Cloud signed), the Cloud hub.challenge handshake, and buyers asking for their
order's status by WhatsApp (one reply per question)."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.store import RecordingJobs, Store
from plugins.notify_whatsapp.webhooks import cloud_signature
from tests.conftest import client_for, make_settings
from tests.core.notifications.conftest import BUYER, OWNER, Notify

DATA = Path(__file__).resolve().parents[2] / "data" / "whatsapp"
FONNTE = "/webhooks/whatsapp/fonnte"
CLOUD = "/webhooks/whatsapp/cloud"
APP_SECRET, VERIFY_TOKEN = "test-app-secret", "test-verify-token"


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


async def _post(client: httpx.AsyncClient, body: bytes | dict[str, Any], path: str = FONNTE,
                headers: dict[str, str] | None = None) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = await client.post(path, content=content, headers={"content-type": "application/json", **(headers or {})})
    assert r.status_code == 200, r.text


# -- 6. Fonnte delivery statuses ---------------------------------------------------------------------------

async def test_fonnte_status_webhook_moves_delivery_forward_only(notify: Notify, client: httpx.AsyncClient) -> None:
    await notify.order()
    await notify.drain()
    buyer, owner = await notify.rows()
    body = fixture_bytes("fonnte-status-webhook.json")  # id 80367170: the emulator's first message
    assert json.loads(body)["id"] == buyer["message_id"]

    await _post(client, body)  # status "sent", state "delivered"
    assert (await notify.row(buyer["id"]))["delivery_status"] == "delivered"
    await _post(client, {"device": "6285700000000", "id": buyer["message_id"], "status": "sent", "state": "read"})
    read = await notify.row(buyer["id"])
    assert read["delivery_status"] == "read"

    for _ in range(15):  # Fonnte retries a delivery 15 times, once a minute
        await _post(client, body)
    assert await notify.row(buyer["id"]) == read  # not even touched
    assert (await notify.row(owner["id"]))["delivery_status"] == "sent"  # other messages untouched
    await _post(client, {"id": "99999999", "status": "sent", "state": "read"})  # unknown id: 200, ignored


async def test_fonnte_failure_status_shows_up_for_banyu(notify: Notify, client: httpx.AsyncClient) -> None:
    await notify.order()
    await notify.drain()
    _, owner = await notify.rows()
    await _post(client, {"device": "6285700000000", "id": owner["message_id"], "status": "expired"})
    assert [(f["id"], f["delivery_status"]) for f in await notify.store.outbox.failures()] == [
        (owner["id"], "expired")]
    await _post(client, {"id": owner["message_id"], "status": "sent"})  # late and lower: ignored
    assert (await notify.row(owner["id"]))["delivery_status"] == "expired"


# -- 6. Cloud API: signed statuses and the handshake -----------------------------------------------------

@pytest.fixture
async def cloud_store(tmp_path: Path, fakes: Any) -> Any:
    """A store whose WhatsApp backend is the Cloud API, answered by a tiny fake Graph endpoint."""
    base = make_settings(tmp_path)
    plugins = {**base.plugin_config, "whatsapp": {
        "backend": "cloud", "cloud_token": "test-cloud-token", "cloud_phone_number_id": "106540352242922",
        "cloud_app_secret": APP_SECRET, "cloud_verify_token": VERIFY_TOKEN,
        "cloud_base_url": "http://graph.test/v21.0", "send_interval_seconds": 0}}
    settings = dataclasses.replace(base, plugin_config=plugins)
    ids = itertools.count(1)
    seen: list[dict[str, Any]] = []

    def graph(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer test-cloud-token"
        seen.append(json.loads(request.content))
        n = next(ids)
        wamid = "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ1RTk1QjA4QkY2QTc0MUY2NwA=" if n == 1 else f"wamid.T{n}"
        return httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": wamid}]})

    store = Store(settings, transports={**fakes.transports(), "whatsapp": httpx.MockTransport(graph)},
                  jobs=RecordingJobs())
    await store.connect()
    await store.catalog.sync()
    store.graph_requests = seen  # type: ignore[attr-defined]
    try:
        yield store
    finally:
        await store.close()


async def test_cloud_signed_statuses_apply_forward_only(cloud_store: Store, fakes: Any) -> None:
    notify = Notify(cloud_store, fakes.whatsapp)
    await notify.order()
    await notify.drain()
    buyer, _ = await notify.rows()
    assert buyer["message_id"].startswith("wamid.HBgN") and buyer["status"] == "accepted"
    assert cloud_store.graph_requests[0]["to"] == BUYER  # type: ignore[attr-defined]

    delivered = fixture_bytes("cloud-status-webhook.json")
    read = delivered.replace(b'"delivered"', b'"read"')
    async with client_for(cloud_store) as client:
        r = await client.post(CLOUD, content=read, headers={"content-type": "application/json"})
        assert r.status_code == 401  # unsigned
        r = await client.post(CLOUD, content=read, headers={"X-Hub-Signature-256": cloud_signature("nope", read)})
        assert r.status_code == 401  # signed with another secret
        assert (await notify.row(buyer["id"]))["delivery_status"] == "sent"

        await _post(client, read, CLOUD, {"X-Hub-Signature-256": cloud_signature(APP_SECRET, read)})
        assert (await notify.row(buyer["id"]))["delivery_status"] == "read"
        # Meta does not order its statuses: a late "delivered" never undoes "read".
        await _post(client, delivered, CLOUD, {"X-Hub-Signature-256": cloud_signature(APP_SECRET, delivered)})
        assert (await notify.row(buyer["id"]))["delivery_status"] == "read"


async def test_cloud_verification_handshake(cloud_store: Store) -> None:
    async with client_for(cloud_store) as client:
        ok = await client.get(CLOUD, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                             "hub.challenge": "1158201444"})
        assert (ok.status_code, ok.text) == (200, "1158201444")
        wrong = await client.get(CLOUD, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                                "hub.challenge": "1158201444"})
        assert wrong.status_code == 403 and "1158201444" not in wrong.text


# -- 7. "what is my order's status?" by WhatsApp ---------------------------------------------------------

def _incoming(text: str, sender: str = BUYER) -> dict[str, str]:
    return {"device": "6285700000000", "sender": sender, "message": text, "name": "Budi"}


async def test_buyer_asking_by_code_gets_one_status_reply(notify: Notify, client: httpx.AsyncClient) -> None:
    order = await notify.order()
    await notify.drain()
    before = len(notify.emulator.sent)
    spelled = "  " + order["code"].lower().replace("-", "  ") + " "  # "madd  7kq2xd": case and spacing
    question = _incoming(f"Kak, status pesanan{spelled}gimana? 🙏")
    for _ in range(2):  # Fonnte delivers the same incoming message twice
        await _post(client, question)
    await notify.drain()
    [reply] = await notify.rows(kind="order_status")
    assert reply["recipient"] == BUYER
    assert f"📦 Pesanan *{order['code']}*: menunggu pembayaran" in reply["body"]
    assert "💰 Total: Rp 24.000" in reply["body"]
    sent = notify.emulator.sent[before:]
    assert [(m["target"], m["message"]) for m in sent] == [(BUYER, reply["body"])]

    # Once the status changed, the same question is worth a new answer.
    await notify.pay(order["code"], 24_000)
    await _post(client, question)
    await notify.drain()
    replies = await notify.rows(kind="order_status")
    assert len(replies) == 2 and "sudah dibayar, menunggu pengiriman" in replies[1]["body"]


@pytest.mark.parametrize("text", ["MADD-ZZZZZZ", "cek madd zzzzzz dong", "halo kak, ada diamond murah?"])
async def test_unknown_codes_and_chatter_get_no_reply(sqlite_notify: Notify, sqlite_client: httpx.AsyncClient,
                                                      text: str) -> None:
    """Decision: no reply. The store's number is a normal WhatsApp account (Banyu chats on it too), and
    answering every stranger is how an unofficial gateway gets the number banned."""
    await _post(sqlite_client, _incoming(text))
    await _post(sqlite_client, {**_incoming("MADD-ZZZZZZ"), "member": OWNER})  # a group message
    assert await sqlite_notify.rows() == []
    assert sqlite_notify.jobs.of("send_message") == []
