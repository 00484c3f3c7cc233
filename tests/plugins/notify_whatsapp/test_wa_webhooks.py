"""The webhook routes, in a tiny Starlette app with a fake store recording what they ask of the core."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette

from plugins.notify_whatsapp.factory import WhatsAppConfig
from plugins.notify_whatsapp.routes import build_routes
from plugins.notify_whatsapp.webhooks import cloud_signature

CONFIG = WhatsAppConfig(cloud_app_secret="app-secret", cloud_verify_token="verify-me")
STATUS = {"id": "1", "status": "sent"}


def client_for(store, config: WhatsAppConfig = CONFIG) -> httpx.AsyncClient:
    app = Starlette(routes=build_routes(config))
    app.state.store = store
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://store")


def incoming(text: str, **extra: str) -> dict[str, str]:
    return {"device": "6285700000000", "sender": "6281234567890", "message": text, "name": "Budi", **extra}


# -- Fonnte ---------------------------------------------------------------------------------------------

async def test_fonnte_status_update_is_passed_on_idempotently(fake_store, wa_fixture_bytes):
    body = wa_fixture_bytes("fonnte-status-webhook.json")
    async with client_for(fake_store) as c:
        for _ in range(2):  # Fonnte repeats deliveries: each answer is 200, the core dedupes forward-only
            response = await c.post("/webhooks/whatsapp/fonnte", content=body,
                                    headers={"content-type": "application/json"})
            assert (response.status_code, response.json()["ok"]) == (200, True)
    once = [("whatsapp", "80367170", "sent"), ("whatsapp", "80367170", "delivered")]
    assert fake_store.outbox.deliveries == once + once


async def test_fonnte_form_encoded_status_is_understood(fake_store):
    async with client_for(fake_store) as c:
        response = await c.post("/webhooks/whatsapp/fonnte", data={"id": "42", "status": "failed"})
    assert response.status_code == 200
    assert fake_store.outbox.deliveries == [("whatsapp", "42", "failed")]


async def test_fonnte_incoming_code_question_enqueues_one_status_reply(fake_store):
    async with client_for(fake_store) as c:
        for _ in range(2):
            response = await c.post("/webhooks/whatsapp/fonnte", json=incoming("status madd-7kq2xd dong kak"))
            assert response.status_code == 200
    [sent] = fake_store.outbox.enqueued
    assert (sent["kind"], sent["recipient"], sent["template"]) == (
        "order_status", "6281234567890", "notify_whatsapp/order_status.txt")
    assert sent["key"].startswith("MADD-7KQ2XD:order_status:6281234567890:awaiting_payment:")
    assert sent["order_id"] == 7 and sent["context"]["code"] == "MADD-7KQ2XD"


async def test_fonnte_status_changes_allow_a_new_reply(fake_store):
    async with client_for(fake_store) as c:
        await c.post("/webhooks/whatsapp/fonnte", json=incoming("MADD-7KQ2XD"))
        fake_store.order["status"] = "success"
        await c.post("/webhooks/whatsapp/fonnte", json=incoming("MADD-7KQ2XD"))
    assert [e["context"]["status"] for e in fake_store.outbox.enqueued] == ["awaiting_payment", "success"]


@pytest.mark.parametrize("payload", [
    incoming("halo kak, ada diamond murah?"),  # no code
    incoming("MADD-ZZZZZZ"),  # unknown order
    incoming("MADD-7KQ2XD", member="6281200000000"),  # group message
    incoming("MADD-7KQ2XD", sender="0215551234"),  # not a mobile number
])
async def test_fonnte_incoming_without_answer(fake_store, payload):
    async with client_for(fake_store) as c:
        response = await c.post("/webhooks/whatsapp/fonnte", json=payload)
    assert response.status_code == 200
    assert fake_store.outbox.enqueued == [] and fake_store.outbox.deliveries == []


async def test_fonnte_garbage_and_store_failures_still_get_200(fake_store):
    fake_store.outbox.fail_delivery = True
    async with client_for(fake_store) as c:
        assert (await c.post("/webhooks/whatsapp/fonnte", content=b"\xff\xfe not json")).status_code == 200
        assert (await c.post("/webhooks/whatsapp/fonnte", json=STATUS)).status_code == 200
        assert (await c.post("/webhooks/whatsapp/fonnte", content=b"")).status_code == 200


async def test_fonnte_secret_when_configured(fake_store):
    config = WhatsAppConfig(fonnte_webhook_secret="s3cret")
    async with client_for(fake_store, config) as c:
        assert (await c.post("/webhooks/whatsapp/fonnte", json=STATUS)).status_code == 401
        assert (await c.post("/webhooks/whatsapp/fonnte?secret=wrong", json=STATUS)).status_code == 401
        assert fake_store.outbox.deliveries == []
        assert (await c.post("/webhooks/whatsapp/fonnte?secret=s3cret", json=STATUS)).status_code == 200
    assert fake_store.outbox.deliveries == [("whatsapp", "1", "sent")]


# -- Cloud API ------------------------------------------------------------------------------------------

async def test_cloud_handshake_echoes_challenge(fake_store):
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    async with client_for(fake_store) as c:
        response = await c.get("/webhooks/whatsapp/cloud", params=params)
    assert (response.status_code, response.text) == (200, "1158201444")
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(("config", "params"), [
    (CONFIG, {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}),
    (CONFIG, {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"}),
    (CONFIG, {"hub.challenge": "1"}),
    (WhatsAppConfig(), {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}),
])
async def test_cloud_handshake_refused(fake_store, config, params):
    async with client_for(fake_store, config) as c:
        response = await c.get("/webhooks/whatsapp/cloud", params=params)
    assert response.status_code == 403
    assert response.text == "forbidden"


async def test_cloud_status_with_valid_signature(fake_store, wa_fixture_bytes):
    body = wa_fixture_bytes("cloud-status-webhook.json")
    async with client_for(fake_store) as c:
        response = await c.post("/webhooks/whatsapp/cloud", content=body,
                                headers={"X-Hub-Signature-256": cloud_signature("app-secret", body)})
    assert response.status_code == 200
    assert fake_store.outbox.deliveries == [
        ("whatsapp", "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ1RTk1QjA4QkY2QTc0MUY2NwA=", "delivered")]


@pytest.mark.parametrize("signature", [
    None,
    "sha256=" + "0" * 64,
    "sha256=",
    "garbage",
])
async def test_cloud_missing_or_wrong_signature_is_401(fake_store, wa_fixture_bytes, signature):
    body = wa_fixture_bytes("cloud-status-webhook.json")
    headers = {} if signature is None else {"X-Hub-Signature-256": signature}
    async with client_for(fake_store) as c:
        response = await c.post("/webhooks/whatsapp/cloud", content=body, headers=headers)
    assert response.status_code == 401
    assert fake_store.outbox.deliveries == []


async def test_cloud_signature_of_other_secret_or_other_body_is_401(fake_store, wa_fixture_bytes):
    body = wa_fixture_bytes("cloud-status-webhook.json")
    tampered = body.replace(b"delivered", b"read")
    async with client_for(fake_store) as c:
        other_secret = await c.post("/webhooks/whatsapp/cloud", content=body,
                                    headers={"X-Hub-Signature-256": cloud_signature("other", body)})
        other_body = await c.post("/webhooks/whatsapp/cloud", content=tampered,
                                  headers={"X-Hub-Signature-256": cloud_signature("app-secret", body)})
    assert (other_secret.status_code, other_body.status_code) == (401, 401)
    assert fake_store.outbox.deliveries == []


async def test_cloud_without_app_secret_refuses_everything(fake_store, wa_fixture_bytes):
    body = wa_fixture_bytes("cloud-status-webhook.json")
    async with client_for(fake_store, WhatsAppConfig()) as c:
        response = await c.post("/webhooks/whatsapp/cloud", content=body,
                                headers={"X-Hub-Signature-256": cloud_signature("", body)})
    assert response.status_code == 401


async def test_cloud_incoming_text_with_code_is_answered_once_per_message(fake_store):
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp", "messages": [{
            "from": "6281234567890", "id": "wamid.IN1", "timestamp": "1763625010", "type": "text",
            "text": {"body": "cek MADD-7KQ2XD"}}]}}]}]}).encode()
    async with client_for(fake_store) as c:
        for _ in range(2):
            response = await c.post("/webhooks/whatsapp/cloud", content=body,
                                    headers={"X-Hub-Signature-256": cloud_signature("app-secret", body)})
            assert response.status_code == 200
    assert [(e["kind"], e["key"]) for e in fake_store.outbox.enqueued] == [
        ("order_status", "MADD-7KQ2XD:order_status:wamid.IN1")]


async def test_cloud_unreadable_but_signed_body_is_200(fake_store):
    body = b"not json"
    async with client_for(fake_store) as c:
        response = await c.post("/webhooks/whatsapp/cloud", content=body,
                                headers={"X-Hub-Signature-256": cloud_signature("app-secret", body)})
    assert response.status_code == 200


async def test_fonnte_code_question_from_another_number_is_not_answered(fake_store):
    """The code travels in the payment message: only the buyer's own number gets the order's status."""
    async with client_for(fake_store) as c:
        response = await c.post("/webhooks/whatsapp/fonnte", json=incoming("MADD-7KQ2XD", sender="6281298765432"))
    assert response.status_code == 200
    assert fake_store.outbox.enqueued == []
