"""Callback verification and parsing, and the emulator delivering callbacks to a receiving app."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.interfaces import ProviderStatus
from plugins.providers_vipreseller.client import VipResellerClient
from plugins.providers_vipreseller.provider import VipResellerProvider

SIGN = hashlib.md5(b"sandbox-idsandbox-key").hexdigest()


def make_provider(api_id: str = "sandbox-id", api_key: str = "sandbox-key",
                  allowed: tuple[str, ...] = ()) -> VipResellerProvider:
    return VipResellerProvider(VipResellerClient("http://vip.test/api", api_id, api_key),
                               callback_allowed_ips=allowed)


def test_right_signature_is_accepted_whatever_the_header_case() -> None:
    provider = make_provider()
    assert provider.verify_callback({"X-Client-Signature": SIGN}, "178.248.73.218")
    assert provider.verify_callback({"x-client-signature": f" {SIGN.upper()} "}, None)


@pytest.mark.parametrize("headers", [{}, {"X-Client-Signature": ""}, {"X-Client-Signature": "0" * 32},
                                     {"X-Signature": SIGN}, {"X-Client-Signature": "é" + SIGN[1:]}])
def test_missing_or_wrong_signature_is_refused(headers: dict[str, str]) -> None:
    assert not make_provider().verify_callback(headers, "178.248.73.218")


@pytest.mark.parametrize(("api_id", "api_key"),
                         [("", ""), ("sandbox-id", ""), ("", "sandbox-key"), ("  ", " ")])
def test_empty_credentials_never_verify(api_id: str, api_key: str) -> None:
    provider = make_provider(api_id, api_key)
    for guess in (hashlib.md5(b"").hexdigest(), hashlib.md5(f"{api_id}{api_key}".encode()).hexdigest()):
        assert not provider.verify_callback({"X-Client-Signature": guess}, "178.248.73.218")


def test_source_ip_allow_list() -> None:
    provider = make_provider(allowed=("178.248.73.218",))
    headers = {"X-Client-Signature": SIGN}
    assert provider.verify_callback(headers, "178.248.73.218")
    assert not provider.verify_callback(headers, "203.0.113.9")
    assert not provider.verify_callback(headers, None)


def test_object_shape(fixture_json) -> None:
    body = json.dumps(fixture_json("callback-object.json")).encode()
    (update,) = make_provider().parse_callback(body)
    assert (update.reference, update.status, update.cost_idr, update.note, update.raw_status) == (
        "VP123456789", ProviderStatus.SUCCESS, 23570, "", "success")
    assert "12345678" in update.raw


def test_array_shape(fixture_json) -> None:
    body = json.dumps(fixture_json("callback-array.json")).encode()
    (update,) = make_provider().parse_callback(body)
    assert (update.reference, update.status, update.note) == (
        "VP123456790", ProviderStatus.SUCCESS, "SN: 0412345678901234567")


def test_many_entries_and_interim_statuses() -> None:
    body = json.dumps({"result": True, "data": [
        {"trxid": "VP1", "status": "processing"},
        {"trxid": "VP2", "status": "error", "note": "Nomor tujuan salah."},
        {"status": "success"}]}).encode()
    updates = make_provider().parse_callback(body)
    assert [(u.reference, u.status) for u in updates] == [("VP1", ProviderStatus.PENDING),
                                                         ("VP2", ProviderStatus.FAILED)]
    assert updates[1].note == "Nomor tujuan salah."


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b"null", b'"VP1"',
                                  b'{"result": false, "data": []}', b'{"data": "VP1"}', b'{"data": null}',
                                  b"\xff\xfe", b'{"data": [1, 2]}'])
def test_garbage_gives_no_updates(body: bytes) -> None:
    assert make_provider().parse_callback(body) == []


async def test_emulator_delivers_signed_callbacks(sandbox, provider, make_request) -> None:
    receiver = make_provider()
    received: list[tuple[bool, list]] = []

    async def webhook(request: Request) -> JSONResponse:
        ok = receiver.verify_callback(request.headers, "178.248.73.218")
        received.append((ok, receiver.parse_callback(await request.body())))
        return JSONResponse({"ok": ok}, status_code=200 if ok else 401)

    app = Starlette(routes=[Route("/webhooks/vipreseller", webhook, methods=["POST"])])
    sandbox.callback_url = "http://shop.test/webhooks/vipreseller"
    sandbox.callback_transport = httpx.ASGITransport(app=app)
    placement = await provider.place_order(make_request("ML86-S24", "game", {"user_id": "1", "zone_id": "2"}))
    sandbox.advance()
    assert await sandbox.send_callbacks() == [200]
    sandbox.advance()
    assert await sandbox.send_callbacks(duplicate=True, shape="array") == [200, 200]
    assert await sandbox.send_callbacks() == []  # nothing new
    assert all(ok for ok, _ in received)
    statuses = [(u.reference, u.raw_status) for _, updates in received for u in updates]
    assert statuses == [(placement.reference, "processing")] + [(placement.reference, "success")] * 2


async def test_emulator_callback_with_a_foreign_secret_is_refused(sandbox, make_request) -> None:
    receiver = make_provider(api_key="another-key")

    async def webhook(request: Request) -> JSONResponse:
        ok = receiver.verify_callback(request.headers, None)
        return JSONResponse({}, status_code=200 if ok else 401)

    sandbox.callback_url = "http://shop.test/hook"
    sandbox.callback_transport = httpx.ASGITransport(app=Starlette(routes=[Route("/hook", webhook,
                                                                                 methods=["POST"])]))
    async with VipResellerClient("http://vip.test/api", "sandbox-id", "sandbox-key",
                                 transport=sandbox.transport()) as client:
        await VipResellerProvider(client).place_order(make_request("FF100-S1", "game", {"user_id": "1"}))
    sandbox.advance()
    assert await sandbox.send_callbacks() == [401]
