from __future__ import annotations

import hashlib
import logging
from urllib.parse import parse_qs

import httpx
import pytest

from plugins.providers_vipreseller.client import CallOutcome, VipResellerClient, compute_sign

BASE = "http://vip.test/api"


class Recorder:
    def __init__(self, response: httpx.Response | None = None, exc: Exception | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.response = response or httpx.Response(200, json={"result": True, "data": [], "message": "ok"})
        self.exc = exc
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.exc is not None:
            raise self.exc
        return self.response

    def form(self, i: int = -1) -> dict[str, list[str]]:
        return parse_qs(self.requests[i].content.decode(), keep_blank_values=True)


def test_sign_is_lowercase_md5_of_trimmed_id_and_key() -> None:
    assert compute_sign("sandbox-id", "sandbox-key") == "885c2ab9314744841eba8303959a396d"
    assert compute_sign(" my-id\n", "\tmy-key ") == hashlib.md5(b"my-idmy-key").hexdigest()
    assert compute_sign("A", "B") == compute_sign("A", "B").lower()


async def test_every_call_is_a_form_post_with_raw_key_and_sign() -> None:
    rec = Recorder()
    async with VipResellerClient(BASE + "/", " my-id ", " my-key\n", transport=rec.transport) as client:
        await client.profile()
        await client.services("game", filter_type="game", filter_value="Free Fire", filter_status="available")
        await client.services("prepaid", filter_type="brand", filter_value="TELKOMSEL")
        await client.order("game", "ML86-S24", "12345678", "2001")
        await client.order("prepaid", "S10", "081234567890", None)
        await client.status("game", trxid="VP1")
        await client.status("prepaid", limit=50)
        await client.get_nickname("free-fire", "123456", "")
        await client.service_stock("ML86-S24")
    paths = [r.url.path for r in rec.requests]
    assert paths == ["/api/profile", "/api/game-feature", "/api/prepaid", "/api/game-feature", "/api/prepaid",
                     "/api/game-feature", "/api/prepaid", "/api/game-feature", "/api/game-feature"]
    for i, request in enumerate(rec.requests):
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = rec.form(i)
        assert form["key"] == ["my-key"]
        assert form["sign"] == [hashlib.md5(b"my-idmy-key").hexdigest()]
    assert "type" not in rec.form(0)
    assert rec.form(1) | {"key": [], "sign": []} == {"key": [], "sign": [], "type": ["services"],
                                                     "filter_type": ["game"], "filter_value": ["Free Fire"],
                                                     "filter_status": ["available"]}
    assert rec.form(3)["data_no"] == ["12345678"] and rec.form(3)["data_zone"] == ["2001"]
    assert rec.form(3)["service"] == ["ML86-S24"] and rec.form(3)["type"] == ["order"]
    assert "data_zone" not in rec.form(4)
    assert rec.form(5)["trxid"] == ["VP1"] and "limit" not in rec.form(5)
    assert rec.form(6)["limit"] == ["50"] and "trxid" not in rec.form(6)
    assert rec.form(7) | {"key": [], "sign": []} == {"key": [], "sign": [], "type": ["get-nickname"],
                                                     "code": ["free-fire"], "target": ["123456"],
                                                     "additional_target": [""]}
    assert rec.form(8)["type"] == ["service-stock"]


async def test_result_false_with_http_200_is_a_refusal(fixture_json) -> None:
    rec = Recorder(httpx.Response(200, json=fixture_json("order-insufficient-balance.json")))
    async with VipResellerClient(BASE, "i", "k", transport=rec.transport) as client:
        reply = await client.order("game", "ML86-S24", "1", "2")
    assert reply.outcome is CallOutcome.REFUSED
    assert reply.message == "Saldo Anda tidak cukup untuk melakukan pemesanan ini."


@pytest.mark.parametrize(("exc", "expected"), [
    (httpx.ConnectError("refused"), CallOutcome.NOT_SENT),
    (httpx.ConnectTimeout("slow dns"), CallOutcome.NOT_SENT),
    (httpx.ReadTimeout("no reply"), CallOutcome.UNKNOWN),
    (httpx.RemoteProtocolError("dropped"), CallOutcome.UNKNOWN),
])
async def test_transport_errors_say_whether_the_request_was_sent(exc: Exception,
                                                                 expected: CallOutcome) -> None:
    async with VipResellerClient(BASE, "i", "k", transport=Recorder(exc=exc).transport) as client:
        reply = await client.order("game", "ML86-S24", "1", "2")
    assert reply.outcome is expected
    assert not reply.ok


@pytest.mark.parametrize("response", [
    httpx.Response(500, text="Internal Server Error"),
    httpx.Response(502, json={"result": False, "message": "bad gateway"}),
    httpx.Response(200, text="<html>maintenance</html>"),
    httpx.Response(200, json={"data": {"trxid": "VP1"}}),
    httpx.Response(200, json=["not", "an", "envelope"]),
])
async def test_5xx_and_garbage_are_unknown(response: httpx.Response) -> None:
    async with VipResellerClient(BASE, "i", "k", transport=Recorder(response).transport) as client:
        reply = await client.order("game", "ML86-S24", "1", "2")
    assert reply.outcome is CallOutcome.UNKNOWN


async def test_key_and_sign_never_reach_logs_or_raw(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = "super-secret-key-123"
    sign = compute_sign("id-9", key)
    echo = httpx.Response(200, json={"result": False, "message": f"bad {key} {sign}"})
    async with VipResellerClient(BASE, "id-9", key, transport=Recorder(echo).transport) as client:
        reply = await client.profile()
        assert key not in repr(client) and sign not in repr(client)
    timeout = Recorder(exc=httpx.ReadTimeout("x"))
    async with VipResellerClient(BASE, "id-9", key, transport=timeout.transport) as c:
        await c.order("game", "ML86-S24", "1", None)
    assert key not in reply.raw and sign not in reply.raw and "********" in reply.raw
    assert caplog.records, "the client logs its calls"
    assert key not in caplog.text and sign not in caplog.text


async def test_force_ipv4_binds_the_local_side_to_ipv4() -> None:
    client = VipResellerClient(BASE, "i", "k", force_ipv4=True)
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    assert pool._local_address == "0.0.0.0"
    await client.aclose()
    plain = VipResellerClient(BASE, "i", "k")
    assert plain._http._transport._pool._local_address is None  # type: ignore[attr-defined]
    await plain.aclose()


async def test_injected_transport_wins_over_force_ipv4() -> None:
    rec = Recorder()
    async with VipResellerClient(BASE, "i", "k", force_ipv4=True, transport=rec.transport) as client:
        assert (await client.profile()).ok
    assert len(rec.requests) == 1


async def test_timeouts_are_explicit() -> None:
    async with VipResellerClient(BASE, "i", "k", timeout_seconds=25) as client:
        assert client._http.timeout.read == 25
        assert client._http.timeout.connect == 10


async def test_unknown_section_is_a_programming_error() -> None:
    rec = Recorder()
    async with VipResellerClient(BASE, "i", "k", transport=rec.transport) as client:
        with pytest.raises(ValueError):
            await client.services("postpaid")
    assert rec.requests == []
