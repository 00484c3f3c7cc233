"""CloudBackend: request shape (text and template) and the reply classification."""

from __future__ import annotations

import json

import httpx
import pytest

from core.interfaces import OutgoingMessage, SendOutcome
from plugins.notify_whatsapp.backends import CloudBackend
from plugins.notify_whatsapp.notifier import WhatsAppNotifier

BASE = "https://graph.facebook.test/v21.0"
TEMPLATES = {"underpaid": {"name": "madd_underpaid", "language": "id",
                           "params": ["code", "shortfall_idr", "pay_rest_url"]},
             "delivered": {"name": "madd_delivered"}}


def backend_with(status_code: int, body: object, seen: list[httpx.Request] | None = None) -> CloudBackend:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status_code, content=content)
    return CloudBackend("cloud-secret-token", "106540352242922", BASE, templates=TEMPLATES,
                        transport=httpx.MockTransport(handler))


def error_body(code: int) -> dict[str, object]:
    return {"error": {"message": "x", "type": "OAuthException", "code": code, "fbtrace_id": "A"}}


async def test_text_message_shape_and_bearer(wa_fixture):
    seen: list[httpx.Request] = []
    backend = backend_with(200, wa_fixture("cloud-send-ok.json"), seen)
    result = await backend.send(OutgoingMessage("6281234567890", "Halo 👋", template="order_status"))
    assert result.outcome is SendOutcome.ACCEPTED
    assert result.message_id == "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ1RTk1QjA4QkY2QTc0MUY2NwA="
    request = seen[0]
    assert str(request.url) == f"{BASE}/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer cloud-secret-token"
    assert json.loads(request.content) == {"messaging_product": "whatsapp", "to": "6281234567890",
                                           "type": "text", "text": {"body": "Halo 👋"}}


async def test_template_message_shape_with_params_in_configured_order(wa_fixture, sample_ctx):
    seen: list[httpx.Request] = []
    backend = backend_with(200, wa_fixture("cloud-send-ok.json"), seen)
    notifier = WhatsAppNotifier(backend, 0)
    params = notifier.template_params("underpaid", sample_ctx())
    assert params == ("MADD-7KQ2XD", "Rp 4.000", "http://127.0.0.1:8000/orders/MADD-7KQ2XD/pay")
    message = OutgoingMessage("6281234567890", "rendered text", template="underpaid", params=params)
    assert (await notifier.send(message)).outcome is SendOutcome.ACCEPTED
    assert json.loads(seen[0].content) == {
        "messaging_product": "whatsapp", "to": "6281234567890", "type": "template",
        "template": {"name": "madd_underpaid", "language": {"code": "id"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "MADD-7KQ2XD"},
                                            {"type": "text", "text": "Rp 4.000"},
                                            {"type": "text", "text": params[2]}]}]}}


async def test_template_without_params_has_no_components():
    seen: list[httpx.Request] = []
    backend = backend_with(200, {"messages": [{"id": "wamid.1"}]}, seen)
    await backend.send(OutgoingMessage("6281234567890", "x", template="delivered"))
    assert json.loads(seen[0].content)["template"] == {"name": "madd_delivered", "language": {"code": "id"}}


async def test_template_param_count_mismatch_fails_without_calling_meta():
    seen: list[httpx.Request] = []
    backend = backend_with(200, {"messages": [{"id": "wamid.1"}]}, seen)
    result = await backend.send(OutgoingMessage("6281234567890", "x", template="underpaid", params=("a",)))
    assert result.outcome is SendOutcome.FAILED and "madd_underpaid" in result.error
    assert seen == []


def test_missing_and_empty_params_are_never_blank():
    backend = backend_with(200, {})
    assert backend.template_params("underpaid", {"code": "", "shortfall_idr": None}) == ("-", "-", "-")
    assert backend.template_params("order_received", {"code": "X"}) == ()


async def test_window_closed_fixture_is_failed(wa_fixture):
    backend = backend_with(400, wa_fixture("cloud-send-window-closed.json"))
    result = await backend.send(OutgoingMessage("62812", "x"))
    assert result.outcome is SendOutcome.FAILED
    assert result.error.startswith("131047")


@pytest.mark.parametrize(("status_code", "code", "outcome"), [
    (400, 131026, SendOutcome.FAILED),
    (400, 131047, SendOutcome.FAILED),
    (401, 190, SendOutcome.FAILED),
    (400, 100, SendOutcome.FAILED),
    (400, 130429, SendOutcome.RETRY),
    (400, 131056, SendOutcome.RETRY),
    (500, 131999, SendOutcome.RETRY),
    (400, 131999, SendOutcome.FAILED),
])
async def test_error_codes(status_code, code, outcome):
    result = await backend_with(status_code, error_body(code)).send(OutgoingMessage("62812", "x"))
    assert result.outcome is outcome
    assert result.error.startswith(str(code))


@pytest.mark.parametrize("status_code", [429, 500, 503])
async def test_http_5xx_and_429_without_json_are_retry(status_code):
    result = await backend_with(status_code, b"down").send(OutgoingMessage("62812", "x"))
    assert result.outcome is SendOutcome.RETRY


async def test_2xx_without_message_id_is_unknown():
    backend = backend_with(200, {"messaging_product": "whatsapp"})
    result = await backend.send(OutgoingMessage("62812", "x"))
    assert result.outcome is SendOutcome.UNKNOWN


@pytest.mark.parametrize(("exc_type", "outcome"), [
    (httpx.ConnectError, SendOutcome.RETRY), (httpx.ConnectTimeout, SendOutcome.RETRY),
    (httpx.ReadTimeout, SendOutcome.UNKNOWN), (httpx.WriteTimeout, SendOutcome.UNKNOWN),
    (httpx.RemoteProtocolError, SendOutcome.UNKNOWN),
])
async def test_transport_failures(exc_type, outcome):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)
    backend = CloudBackend("cloud-secret-token", "1", BASE, transport=httpx.MockTransport(handler))
    result = await backend.send(OutgoingMessage("62812", "x"))
    assert result.outcome is outcome
    assert "cloud-secret-token" not in result.error


def test_template_config_needs_a_name():
    with pytest.raises(ValueError, match="cloud_templates.paid"):
        CloudBackend("t", "1", BASE, templates={"paid": {"language": "id"}})
