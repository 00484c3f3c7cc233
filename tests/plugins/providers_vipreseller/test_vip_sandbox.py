"""The emulator itself: auth, forms only, envelopes, filters, isolation."""

from __future__ import annotations

import httpx

from plugins.providers_vipreseller.sandbox import VipResellerSandbox

AUTH = {"key": "sandbox-key", "sign": "885c2ab9314744841eba8303959a396d"}


async def post(sandbox: VipResellerSandbox, path: str, **kw) -> httpx.Response:
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vip.test") as c:
        return await c.post(path, **kw)


async def test_profile_envelope(sandbox) -> None:
    body = (await post(sandbox, "/api/profile", data=AUTH)).json()
    assert body["result"] is True and body["message"]
    assert body["data"]["balance"] == 1_250_000 and body["data"]["level"] == "basic"
    assert set(body["data"]) == {"full_name", "username", "balance", "point", "level", "registered"}


async def test_bad_key_or_sign_is_result_false_with_http_200(sandbox) -> None:
    for form in ({"key": "sandbox-key", "sign": "x"}, {"key": "other", "sign": AUTH["sign"]}, {}):
        response = await post(sandbox, "/api/game-feature", data={**form, "type": "services"})
        assert response.status_code == 200
        assert response.json()["result"] is False and response.json()["message"]


async def test_json_bodies_are_not_read(sandbox) -> None:
    response = await post(sandbox, "/api/prepaid", json={**AUTH, "type": "services"})
    assert response.json()["result"] is False
    assert sandbox.calls == [("prepaid", {})]


async def test_service_filters() -> None:
    sandbox = VipResellerSandbox()
    ff = (await post(sandbox, "/api/game-feature", data={**AUTH, "type": "services", "filter_type": "game",
                                                         "filter_value": "Free Fire",
                                                         "filter_status": "available"})).json()["data"]
    assert ff and {r["game"] for r in ff} == {"Free Fire"} and {r["status"] for r in ff} == {"available"}
    tsel = (await post(sandbox, "/api/prepaid", data={**AUTH, "type": "services", "filter_type": "brand",
                                                      "filter_value": "TELKOMSEL"})).json()["data"]
    assert tsel and {r["brand"] for r in tsel} == {"Telkomsel"}
    pulsa = (await post(sandbox, "/api/prepaid", data={**AUTH, "type": "services", "filter_type": "type",
                                                       "filter_value": "pulsa-reguler"})).json()["data"]
    assert len(pulsa) == 328


async def test_orders_need_a_target_and_known_section(sandbox) -> None:
    empty = (await post(sandbox, "/api/game-feature", data={**AUTH, "type": "order", "service": "ML86-S24",
                                                            "data_no": ""})).json()
    assert empty["result"] is False
    wrong_section = (await post(sandbox, "/api/prepaid", data={**AUTH, "type": "order", "service": "ML86-S24",
                                                               "data_no": "1"})).json()
    assert wrong_section["result"] is False
    unknown_type = (await post(sandbox, "/api/prepaid", data={**AUTH, "type": "inq-pasca"})).json()
    assert unknown_type["result"] is False
    assert sandbox.orders == []


async def test_order_reply_shape(sandbox) -> None:
    form = {**AUTH, "type": "order", "service": "ML86-S24", "data_no": "12345678", "data_zone": "2001"}
    body = (await post(sandbox, "/api/game-feature", data=form)).json()
    assert body["message"] == "Pesanan berhasil, pesanan akan diproses."
    assert set(body["data"]) == {"trxid", "data", "zone", "service", "status", "note", "balance", "price"}
    assert body["data"]["service"] == "Mobile Legends: Bang Bang - 86 Diamonds"
    assert (body["data"]["status"], body["data"]["zone"]) == ("waiting", "2001")


async def test_status_list_defaults_and_unknown_trxid(sandbox) -> None:
    for i in range(12):
        await post(sandbox, "/api/prepaid", data={**AUTH, "type": "order", "service": "S10",
                                                  "data_no": f"0812345678{i:02d}"})
    listed = (await post(sandbox, "/api/prepaid", data={**AUTH, "type": "status"})).json()
    assert len(listed["data"]) == 10 and listed["data"][0]["data"] == "081234567811"
    unknown = (await post(sandbox, "/api/prepaid", data={**AUTH, "type": "status", "trxid": "VP0"})).json()
    assert unknown["result"] is False


async def test_changing_a_row_leaves_other_emulators_alone() -> None:
    one, two = VipResellerSandbox(), VipResellerSandbox()
    one.set_service("prepaid", "AX10", status="empty")
    assert one.find_service("prepaid", "AX10")["status"] == "empty"
    assert two.find_service("prepaid", "AX10")["status"] == "available"
    assert VipResellerSandbox().find_service("prepaid", "AX10")["status"] == "available"


async def test_set_status_queues_a_callback(sandbox) -> None:
    form = {**AUTH, "type": "order", "service": "FF100-S1", "data_no": "7"}
    await post(sandbox, "/api/game-feature", data=form)
    trxid = sandbox.orders[0]["trxid"]
    sandbox.set_status(trxid, "error", "Nomor tujuan salah.")
    assert sandbox.balance_idr == 1_250_000
    assert sandbox.callback_body(trxid) == {"data": {
        "trxid": trxid, "data": "7", "zone": "", "service": "Free Fire - 100 Diamonds", "status": "error",
        "note": "Nomor tujuan salah.", "price": 14200}}
    assert sandbox.callback_body(trxid, "array")["data"][0]["status"] == "error"
