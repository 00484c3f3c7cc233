"""FonnteBackend: every outcome row of apis/whatsapp.md, through the emulator and the recorded replies."""

from __future__ import annotations

import json

import httpx
import pytest

from core.interfaces import OutgoingMessage, SendOutcome
from plugins.notify_whatsapp.backends import FonnteBackend
from plugins.notify_whatsapp.sandbox import FonnteSandbox

BASE = "https://api.fonnte.test"
MSG = OutgoingMessage(recipient="6281234567890", text="Pesanan MADD-7KQ2XD sudah kami terima 🎉",
                      template="order_received")


def emulated(token: str = "sandbox-token") -> tuple[FonnteSandbox, FonnteBackend]:
    sandbox = FonnteSandbox()
    return sandbox, FonnteBackend(token, BASE, transport=sandbox.transport())


def replying(status_code: int, body: object, seen: list[httpx.Request] | None = None) -> FonnteBackend:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status_code, content=content)
    return FonnteBackend("secret-device-token", BASE, transport=httpx.MockTransport(handler))


def raising(exc_type: type[httpx.TransportError]) -> FonnteBackend:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)
    return FonnteBackend("secret-device-token", BASE, transport=httpx.MockTransport(handler))


async def test_accepted_through_emulator_keeps_message_id_and_sends_raw_token_form():
    sandbox, backend = emulated()
    result = await backend.send(MSG)
    assert result.outcome is SendOutcome.ACCEPTED
    assert result.message_id == "80367170"
    call = sandbox.requests[0]
    assert call["authorization"] == "sandbox-token"  # raw, no "Bearer"
    assert (call["target"], call["countryCode"]) == ("6281234567890", "62")
    assert sandbox.sent[0]["message"] == MSG.text  # emoji survive the form encoding


async def test_request_is_form_post_to_send_with_raw_authorization():
    seen: list[httpx.Request] = []
    backend = replying(200, {"status": True, "id": ["1"]}, seen)
    await backend.send(MSG)
    request = seen[0]
    assert request.method == "POST" and str(request.url) == f"{BASE}/send"
    assert request.headers["authorization"] == "secret-device-token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {"target": "6281234567890", "message": MSG.text, "countryCode": "62"}


@pytest.mark.parametrize(("fixture", "outcome", "message_id", "error"), [
    ("fonnte-send-ok.json", SendOutcome.ACCEPTED, "80367170", ""),
    ("fonnte-send-invalid-token.json", SendOutcome.FAILED, None, "invalid token"),
    ("fonnte-send-bad-target.json", SendOutcome.FAILED, None, "target input invalid"),
    ("fonnte-send-disconnected.json", SendOutcome.RETRY, None, "disconnected device"),
])
async def test_recorded_replies(wa_fixture, fixture, outcome, message_id, error):
    result = await replying(200, wa_fixture(fixture)).send(MSG)
    assert (result.outcome, result.message_id, result.error) == (outcome, message_id, error)


async def test_invalid_token_from_emulator_is_failed():
    sandbox, backend = emulated(token="wrong-token")
    result = await backend.send(MSG)
    assert (result.outcome, result.error) == (SendOutcome.FAILED, "invalid token")
    assert sandbox.sent == []


async def test_token_invalid_wording_is_failed_too():
    result = await replying(200, {"status": False, "reason": "token invalid"}).send(MSG)
    assert result.outcome is SendOutcome.FAILED


@pytest.mark.parametrize("recipient", ["62812abc", "62"])
async def test_malformed_target_is_failed(recipient):
    sandbox, backend = emulated()
    result = await backend.send(OutgoingMessage(recipient=recipient, text="x"))
    assert (result.outcome, result.error) == (SendOutcome.FAILED, "target input invalid")
    assert sandbox.sent == []


async def test_bad_target_fault_is_failed():
    sandbox, backend = emulated()
    sandbox.fail_next("bad_target")
    assert (await backend.send(MSG)).outcome is SendOutcome.FAILED


async def test_disconnected_device_is_retry_for_n_sends_then_accepted():
    sandbox, backend = emulated()
    sandbox.fail_next("disconnected", times=2)
    first, second, third = [await backend.send(MSG) for _ in range(3)]
    assert first.outcome is second.outcome is SendOutcome.RETRY
    assert first.error == "disconnected device"
    assert third.outcome is SendOutcome.ACCEPTED
    assert len(sandbox.sent) == 1


async def test_other_status_false_reason_is_retry():
    result = await replying(200, {"status": False, "reason": "quota exceeded"}).send(MSG)
    assert result.outcome is SendOutcome.RETRY


async def test_http_500_from_emulator_is_retry():
    sandbox, backend = emulated()
    sandbox.fail_next("http_500")
    assert (await backend.send(MSG)).outcome is SendOutcome.RETRY
    assert sandbox.sent == []
    assert (await backend.send(MSG)).outcome is SendOutcome.ACCEPTED


@pytest.mark.parametrize("status_code", [429, 502, 503])
async def test_http_429_and_5xx_are_retry(status_code):
    result = await replying(status_code, b"<html>busy</html>").send(MSG)
    assert result.outcome is SendOutcome.RETRY


async def test_connect_error_never_sent_is_retry():
    sandbox, backend = emulated()
    sandbox.fail_next("connect_error")
    result = await backend.send(MSG)
    assert result.outcome is SendOutcome.RETRY
    assert sandbox.sent == [] and sandbox.requests == []


async def test_connect_timeout_is_retry():
    assert (await raising(httpx.ConnectTimeout).send(MSG)).outcome is SendOutcome.RETRY


async def test_read_timeout_after_accept_is_unknown_and_message_went_out():
    sandbox, backend = emulated()
    sandbox.fail_next("read_timeout")
    result = await backend.send(MSG)
    assert result.outcome is SendOutcome.UNKNOWN
    assert result.message_id is None
    assert len(sandbox.sent) == 1  # why it must never be retried automatically


@pytest.mark.parametrize("exc_type", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError])
async def test_failures_after_sending_are_unknown(exc_type):
    assert (await raising(exc_type).send(MSG)).outcome is SendOutcome.UNKNOWN


@pytest.mark.parametrize("body", [b"<html>ok</html>", b"", b"[1, 2]", json.dumps({"status": True}).encode()])
async def test_unparseable_or_idless_2xx_is_unknown(body):
    assert (await replying(200, body).send(MSG)).outcome is SendOutcome.UNKNOWN


async def test_errors_never_contain_the_token():
    for backend in (raising(httpx.ConnectError), raising(httpx.ReadTimeout), replying(503, b"")):
        result = await backend.send(MSG)
        assert "secret-device-token" not in result.error
    assert "secret-device-token" not in repr(replying(200, b""))


async def test_health_reports_connect_and_disconnect():
    sandbox, backend = emulated()
    health = await backend.health()
    assert (health.is_ok, health.status) == (True, "connect")
    sandbox.is_connected = False
    health = await backend.health()
    assert (health.is_ok, health.status) == (False, "disconnect")


async def test_health_with_wrong_token_or_no_connection_is_not_ok():
    _, backend = emulated(token="wrong")
    health = await backend.health()
    assert (health.is_ok, health.status, health.detail) == (False, "error", "invalid token")
    health = await raising(httpx.ConnectError).health()
    assert (health.is_ok, health.status) == (False, "error")


async def test_client_follows_the_running_loop_and_closes():
    _, backend = emulated()
    await backend.send(MSG)
    client = backend.client()
    assert backend.client() is client
    await backend.aclose()
    assert client.is_closed
    assert (await backend.send(MSG)).outcome is SendOutcome.ACCEPTED
