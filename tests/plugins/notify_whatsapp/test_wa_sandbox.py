"""The Fonnte emulator answers like the recorded Fonnte replies and keeps an inspectable outbox."""

from __future__ import annotations

import httpx
import pytest

from plugins.notify_whatsapp.sandbox import FonnteSandbox

FORM = {"target": "081234567890", "message": "Halo 👋", "countryCode": "62"}
AUTH = {"Authorization": "sandbox-token"}


def shape(value: object) -> object:
    """Keys and value types, recursively; ids, counters and the device number may differ, the shape not."""
    if isinstance(value, dict):
        return {("<number>" if k.isdigit() else k): shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


@pytest.fixture
def sandbox() -> FonnteSandbox:
    return FonnteSandbox()


@pytest.fixture
async def client(sandbox):
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fonnte") as c:
        yield c


async def test_ok_reply_has_the_recorded_shape(client, wa_fixture):
    reply = (await client.post("/send", data=FORM, headers=AUTH)).json()
    expected = wa_fixture("fonnte-send-ok.json")
    assert shape(reply) == shape(expected)
    assert reply["target"] == ["6281234567890"]  # countryCode replaced the leading 0
    assert (reply["detail"], reply["process"]) == (expected["detail"], expected["process"])


@pytest.mark.parametrize(("fault", "fixture"), [
    ("invalid_token", "fonnte-send-invalid-token.json"),
    ("disconnected", "fonnte-send-disconnected.json"),
    ("bad_target", "fonnte-send-bad-target.json"),
])
async def test_failure_replies_equal_the_recordings(sandbox, client, wa_fixture, fault, fixture):
    sandbox.fail_next(fault)
    response = await client.post("/send", data=FORM, headers=AUTH)
    reply, expected = response.json(), wa_fixture(fixture)
    assert response.status_code == 200  # Fonnte reports failures with HTTP 200
    assert {k: v for k, v in reply.items() if k != "requestid"} == {
        k: v for k, v in expected.items() if k != "requestid"}
    assert isinstance(reply["requestid"], int)
    assert sandbox.sent == []


async def test_wrong_token_and_bearer_prefix_are_refused(client):
    for header in ("nope", "Bearer sandbox-token"):
        reply = (await client.post("/send", data=FORM, headers={"Authorization": header})).json()
        assert reply["reason"] == "invalid token"


async def test_http_500_fault_counts_down(sandbox, client):
    sandbox.fail_next("http_500", times=2)
    codes = [(await client.post("/send", data=FORM, headers=AUTH)).status_code for _ in range(3)]
    assert codes == [500, 500, 200]


async def test_outbox_lists_what_was_sent(client):
    first = (await client.post("/send", data=FORM, headers=AUTH)).json()
    second = (await client.post("/send", data=FORM | {"message": "Kedua"}, headers=AUTH)).json()
    outbox = (await client.get("/outbox")).json()
    assert [m["id"] for m in outbox] == first["id"] + second["id"]
    assert first["id"] != second["id"]
    assert [m["message"] for m in outbox] == ["Halo 👋", "Kedua"]
    assert outbox[0]["target"] == "6281234567890"


async def test_device_reports_status(sandbox, client):
    reply = (await client.post("/device", headers=AUTH)).json()
    assert (reply["status"], reply["device_status"]) == (True, "connect")
    sandbox.fail_next("disconnected")
    assert (await client.post("/device", headers=AUTH)).json()["device_status"] == "disconnect"
    assert (await client.post("/device", headers={"Authorization": "x"})).json()["status"] is False


async def test_transport_faults(sandbox):
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://fonnte") as c:
        sandbox.fail_next("connect_error")
        with pytest.raises(httpx.ConnectError):
            await c.post("/send", data=FORM, headers=AUTH)
        assert sandbox.requests == []
        sandbox.fail_next("read_timeout")
        with pytest.raises(httpx.ReadTimeout):
            await c.post("/send", data=FORM, headers=AUTH)
        assert len(sandbox.sent) == 1
        assert (await c.post("/send", data=FORM, headers=AUTH)).json()["status"] is True


def test_unknown_fault_is_refused(sandbox):
    with pytest.raises(ValueError, match="unknown fault"):
        sandbox.fail_next("meteor")


def test_status_payload_matches_the_recorded_webhook(sandbox, wa_fixture):
    payload = sandbox.status_payload("80367170")
    assert set(payload) == set(wa_fixture("fonnte-status-webhook.json"))
    assert (payload["id"], payload["state"]) == ("80367170", "delivered")
