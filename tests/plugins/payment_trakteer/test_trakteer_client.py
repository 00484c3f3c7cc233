from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from plugins.payment_trakteer.client import TrakteerClient, TrakteerError

BASE = "https://api.example.test/v1/public"


def _client(handler: Any) -> TrakteerClient:
    return TrakteerClient(BASE, "k-123", transport=httpx.MockTransport(handler))


def _supports_reply(trakteer_data: Path, page_key: str = "total_pages") -> dict[str, Any]:
    reply: dict[str, Any] = json.loads((trakteer_data / "supports-page.json").read_text())
    pagination = reply["result"]["meta"]["pagination"]
    pages = pagination.pop("total_pages")
    pagination[page_key] = pages + 2  # make the page count observable
    return reply


async def test_supports_request_shape_and_rows(trakteer_data: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_supports_reply(trakteer_data))

    client = _client(handler)
    page = await client.supports(limit=50, page=2)
    await client.aclose()

    request = seen[0]
    assert request.method == "GET"
    assert request.url.path == "/v1/public/supports"
    assert dict(request.url.params) == {"limit": "50", "page": "2",
                                        "include": "order_id,net_amount,payment_method,is_guest"}
    assert request.headers["key"] == "k-123"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-requested-with"] == "XMLHttpRequest"

    assert page.total_pages == 3 and page.current_page == 1 and page.total == 3
    first = page.rows[0]
    assert first.support_message == "MADD-7KQ2XD"
    assert (first.amount_idr, first.net_amount_idr, first.quantity) == (24000, 22612, 24)
    assert first.order_id == "3f6a2c1e-8d4b-4f5a-9c7e-1b2d3e4f5a6b"
    assert first.payment_method == "QRIS" and first.is_guest is True
    assert first.status == "success"
    # "2026-11-20 14:50:10" is Jakarta wall-clock time (UTC+7)
    assert first.updated_at == datetime(2026, 11, 20, 7, 50, 10, tzinfo=UTC)
    assert page.rows[2].is_guest is False


async def test_supports_reads_total_page_spelling(trakteer_data: Path) -> None:
    client = _client(lambda r: httpx.Response(200, json=_supports_reply(trakteer_data, "total_page")))
    page = await client.supports()
    assert page.total_pages == 3


async def test_row_without_status_is_success_with_warning(trakteer_data: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    client = _client(lambda r: httpx.Response(200, json=_supports_reply(trakteer_data)))
    with caplog.at_level(logging.WARNING, logger="plugins.payment_trakteer.client"):
        page = await client.supports()
    citra = page.rows[2]
    assert citra.supporter_name == "Citra"
    assert citra.status == "success"
    assert citra.has_status is False
    assert page.rows[0].has_status is True
    assert "no status" in caplog.text and "5d4c3b2a" in caplog.text


async def test_other_statuses_kept() -> None:
    rows = [{"amount": 1000, "status": s, "order_id": s, "updated_at": "2026-01-01 00:00:00"}
            for s in ("pending", "failed", "refund")]
    reply = {"status": "success", "status_code": 200, "message": "OK",
             "result": {"data": rows, "meta": {"pagination": {"current_page": 1, "total_pages": 1}}}}
    page = await _client(lambda r: httpx.Response(200, json=reply)).supports()
    assert [r.status for r in page.rows] == ["pending", "failed", "refund"]
    assert page.rows[0].updated_at == datetime(2025, 12, 31, 17, 0, tzinfo=UTC)


async def test_current_balance_to_int(trakteer_data: Path) -> None:
    body = (trakteer_data / "current-balance.json").read_bytes()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    balance = await _client(handler).current_balance()
    assert balance == 6483 and type(balance) is int
    assert seen[0].url.path == "/v1/public/current-balance"
    assert seen[0].headers["key"] == "k-123"


async def test_error_envelope_raises_with_status() -> None:
    reply = {"status": "error", "status_code": 401, "result": None, "message": "Unauthenticated.",
             "error_code": "unauthenticated", "errors": {}}
    with pytest.raises(TrakteerError) as info:
        await _client(lambda r: httpx.Response(401, json=reply)).current_balance()
    assert info.value.status_code == 401
    assert "Unauthenticated" in str(info.value)
    assert "k-123" not in str(info.value)


async def test_cloudflare_html_raises() -> None:
    with pytest.raises(TrakteerError, match="not JSON"):
        await _client(lambda r: httpx.Response(403, text="<html>Just a moment...</html>")).supports()


async def test_transport_error_raises() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TrakteerError, match="ConnectError"):
        await _client(handler).supports()


def test_repr_masks_key() -> None:
    assert "k-123" not in repr(TrakteerClient(BASE, "k-123"))
