from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from core.interfaces import DeliveryKind
from plugins.payment_trakteer.sandbox import TrakteerSandbox, net_amount_for
from plugins.payment_trakteer.webhooks import parse_delivery, verify_token

WEBHOOK_URL = "http://store.test/webhooks/trakteer"
WEBHOOK_FIELDS = {"created_at", "transaction_id", "type", "supporter_name", "supporter_avatar",
                  "supporter_message", "media", "unit", "unit_icon", "quantity", "price", "net_amount"}


class Store:
    """A fake store webhook endpoint that records what reaches it."""

    def __init__(self, status_code: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.status_code = status_code

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status_code, json={"ok": True})


def _setup(status_code: int = 200, unit: int = 1000) -> tuple[TrakteerSandbox, Store, httpx.AsyncClient]:
    store = Store(status_code)
    sandbox = TrakteerSandbox(WEBHOOK_URL, webhook_token="tok-1", unit_price_idr=unit,
                              webhook_transport=httpx.MockTransport(store))
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(sandbox.app), base_url="http://sandbox.test")
    return sandbox, store, browser


async def _api(browser: httpx.AsyncClient, path: str, key: str = "sandbox-key",
               **params: Any) -> httpx.Response:
    return await browser.get(f"/api/{path}", params=params, headers={"key": key})


# ------------------------------------------------------------------------------------------ tip page


async def test_tip_page_renders_prefilled() -> None:
    _, store, browser = _setup()
    r = await browser.get("/maddstore/tip", params={"quantity": "24", "step": "2", "display_name": "Budi",
                                                     "supporter_message": "MADD-7KQ2XD"})
    assert r.status_code == 200
    html = r.text
    assert "SANDBOX — pembayaran tiruan" in html
    assert 'name="quantity"' in html and 'value="24"' in html
    assert 'value="Budi"' in html
    assert ">MADD-7KQ2XD</textarea>" in html
    assert "Rp 24.000" in html
    assert "Bayar</button>" in html
    assert 'name="viewport"' in html
    assert "<link" not in html and "<script src" not in html  # no CDN, inline only
    assert store.requests == []  # looking is not paying


async def test_tip_page_escapes_query() -> None:
    _, _, browser = _setup()
    r = await browser.get("/maddstore/tip", params={"display_name": '"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in r.text
    assert "&lt;script&gt;alert(1)" in r.text


async def test_tip_page_unknown_creator_is_404() -> None:
    _, _, browser = _setup()
    assert (await browser.get("/someoneelse/tip")).status_code == 404


async def test_post_pays_and_delivers_exactly_one_webhook() -> None:
    sandbox, store, browser = _setup()
    r = await browser.post("/maddstore/tip?return_url=http://store.test/pesanan/MADD-7KQ2XD",
                           data={"quantity": "24", "display_name": "Budi",
                                 "supporter_message": "MADD-7KQ2XD mohon cepat", "payment_method": "GOPAY"})
    assert r.status_code == 200
    assert "Pembayaran berhasil" in r.text
    assert 'href="http://store.test/pesanan/MADD-7KQ2XD"' in r.text

    assert len(store.requests) == 1
    request = store.requests[0]
    assert request.method == "POST" and str(request.url) == WEBHOOK_URL
    assert request.headers["X-Webhook-Token"] == "tok-1"
    assert verify_token(request.headers, "tok-1")
    body = json.loads(request.content)
    assert set(body) == WEBHOOK_FIELDS
    assert (body["type"], body["quantity"], body["price"], body["media"]) == ("tip", 24, 24000, None)
    assert body["net_amount"] == 24000 - 1368  # 5.7 % of 24000
    assert body["supporter_message"] == "MADD-7KQ2XD mohon cepat"
    assert body["created_at"].endswith("+07:00")

    rows = (await _api(browser, "supports", include="order_id,payment_method")).json()["result"]["data"]
    assert len(rows) == 1
    assert rows[0]["order_id"] == body["transaction_id"]
    assert rows[0]["payment_method"] == "GOPAY"
    assert rows[0]["status"] == "success" and rows[0]["amount"] == 24000
    assert sandbox.balance_idr == body["net_amount"]

    delivery = parse_delivery(request.content, 1000)
    assert delivery.kind is DeliveryKind.PAYMENT
    assert delivery.notice is not None and delivery.notice.amount_idr == 24000


async def test_post_with_bad_quantity_shows_error_and_pays_nothing() -> None:
    sandbox, store, browser = _setup()
    r = await browser.post("/maddstore/tip", data={"quantity": "0", "supporter_message": "MADD-1"})
    assert r.status_code == 400
    assert "Jumlah harus" in r.text
    assert store.requests == [] and sandbox.supports == []


async def test_unsafe_return_url_is_not_linked() -> None:
    _, _, browser = _setup()
    r = await browser.post("/maddstore/tip", data={"quantity": "1", "return_url": "javascript:alert(1)"})
    assert "javascript:" not in r.text
    assert 'href="/maddstore/tip"' in r.text


# ------------------------------------------------------------------------------------------ switches


async def test_drop_next_webhook_loses_one_event_only() -> None:
    sandbox, store, _ = _setup()
    sandbox.drop_next_webhook = True
    lost = await sandbox.deliver(3, "MADD-AAAAAA")
    assert store.requests == []
    assert [r["order_id"] for r in sandbox.supports] == [lost["transaction_id"]]  # the API still has it
    await sandbox.deliver(2, "MADD-BBBBBB")
    assert len(store.requests) == 1
    assert json.loads(store.requests[0].content)["supporter_message"] == "MADD-BBBBBB"


async def test_duplicate_next_webhook_delivers_twice_then_once() -> None:
    sandbox, store, _ = _setup()
    sandbox.duplicate_next_webhook = True
    await sandbox.deliver(3, "MADD-AAAAAA")
    assert len(store.requests) == 2
    assert store.requests[0].content == store.requests[1].content
    await sandbox.deliver(1, "MADD-BBBBBB")
    assert len(store.requests) == 3
    assert len(sandbox.supports) == 2  # one payment per tip, however often delivered


async def test_fail_webhooks_sends_nothing() -> None:
    sandbox, store, _ = _setup()
    sandbox.fail_webhooks = True
    await sandbox.deliver(1, "MADD-AAAAAA")
    assert store.requests == []
    assert sandbox.deliveries[-1].error


async def test_failing_store_gets_three_tries_then_webhook_switched_off() -> None:
    sandbox, store, _ = _setup(status_code=400)
    for _ in range(3):
        await sandbox.deliver(1, "MADD-AAAAAA")
    assert len(store.requests) == 9
    assert sandbox.webhook_enabled is False
    await sandbox.deliver(1, "MADD-BBBBBB")
    assert len(store.requests) == 9
    sandbox.enable_webhook()
    store.status_code = 200
    await sandbox.deliver(1, "MADD-CCCCCC")
    assert len(store.requests) == 10


async def test_deliver_returns_documented_payload() -> None:
    store = Store()
    sandbox = TrakteerSandbox(WEBHOOK_URL, unit_price_idr=5000, webhook_transport=httpx.MockTransport(store))
    payload = await sandbox.deliver(2, "MADD-AAAAAA", name="Ani")
    assert set(payload) == WEBHOOK_FIELDS
    assert payload["price"] == 10000 and payload["net_amount"] == net_amount_for(10000) == 9430
    assert payload["supporter_name"] == "Ani"
    assert json.loads(store.requests[-1].content) == payload
    assert store.requests[-1].headers["X-Webhook-Token"] == "sandbox-token"


async def test_dashboard_test_delivery_has_comments_and_parses_as_test() -> None:
    sandbox, store, _ = _setup()
    attempt = await sandbox.test_delivery()
    assert attempt.is_ok and len(store.requests) == 1
    content = store.requests[0].content
    with pytest.raises(ValueError):
        json.loads(content)
    assert parse_delivery(content, 1000).kind is DeliveryKind.TEST


# ------------------------------------------------------------------------------------------------ API


@pytest.mark.parametrize("key", ["wrong", ""])
async def test_api_refuses_wrong_key(key: str) -> None:
    _, _, browser = _setup()
    for path in ("supports", "current-balance"):
        r = await _api(browser, path, key=key)
        assert r.status_code == 401
        body = r.json()
        assert body["status"] == "error" and body["status_code"] == 401 and body["result"] is None
        assert "error_code" in body and "errors" in body


async def test_api_supports_pagination_and_include() -> None:
    sandbox, _, browser = _setup()
    for i in range(5):
        sandbox.record_support(i + 1, f"m{i}")
    sandbox.page_count_key = "total_page"
    r = await _api(browser, "supports", limit=2, page=2)
    result = r.json()["result"]
    assert [row["support_message"] for row in result["data"]] == ["m2", "m1"]
    assert "order_id" not in result["data"][0] and "net_amount" not in result["data"][0]
    assert result["meta"]["pagination"] == {"total": 5, "count": 2, "per_page": 2, "current_page": 2,
                                            "total_page": 3, "links": {}}


async def test_api_current_balance_string() -> None:
    sandbox, _, browser = _setup()
    sandbox.initial_balance_idr = 6483
    body = (await _api(browser, "current-balance")).json()
    assert body == {"status": "success", "status_code": 200, "result": "6483.00", "message": "OK"}
