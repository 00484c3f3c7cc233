from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from core.interfaces import DeliveryKind, PaymentGateway
from plugins.payment_trakteer.client import TrakteerClient, TrakteerError
from plugins.payment_trakteer.gateway import TrakteerGateway
from plugins.payment_trakteer.sandbox import TrakteerSandbox
from plugins.payment_trakteer.values import JAKARTA

PAGE = "https://trakteer.id/maddstore"


def _gateway(unit: int = 1000, client: TrakteerClient | None = None) -> TrakteerGateway:
    return TrakteerGateway(PAGE + "/", unit, "tok", client)


def _sandboxed() -> tuple[TrakteerGateway, TrakteerSandbox]:
    sandbox = TrakteerSandbox("http://store.test/webhooks/trakteer",
                              webhook_transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    client = TrakteerClient("http://sandbox.test/api", "sandbox-key",
                            transport=httpx.ASGITransport(sandbox.app))
    return TrakteerGateway(PAGE, 1000, "sandbox-token", client), sandbox


def test_implements_the_protocol() -> None:
    gateway = _gateway()
    assert isinstance(gateway, PaymentGateway)
    assert gateway.name == "trakteer" and gateway.unit_price_idr == 1000


def test_pay_url_exact() -> None:
    url = _gateway().pay_url("MADD-7KQ2XD", 24000, "Budi Santoso")
    assert url == ("https://trakteer.id/maddstore/tip?quantity=24&step=2"
                   "&display_name=Budi%20Santoso&supporter_message=MADD-7KQ2XD")


def test_pay_url_without_display_name_and_encoding() -> None:
    url = _gateway().pay_url("MADD-7KQ2XD & co", 1000)
    parts = urlsplit(url)
    assert parts.path == "/maddstore/tip"
    assert "display_name" not in parts.query
    assert parts.query == "quantity=1&step=2&supporter_message=MADD-7KQ2XD%20%26%20co"
    assert dict(parse_qsl(parts.query))["supporter_message"] == "MADD-7KQ2XD & co"


@pytest.mark.parametrize(("unit", "amount", "quantity"), [
    (1000, 24000, 24), (1000, 24001, 25), (1000, 999, 1),
    (5000, 24000, 5), (5000, 25000, 5), (5000, 25001, 6),
])
def test_pay_url_rounds_quantity_up(unit: int, amount: int, quantity: int) -> None:
    query = dict(parse_qsl(urlsplit(_gateway(unit).pay_url("MADD-AAAAAA", amount)).query))
    assert query["quantity"] == str(quantity)
    assert query["step"] == "2"


def test_pay_url_refuses_zero() -> None:
    with pytest.raises(ValueError):
        _gateway().pay_url("MADD-AAAAAA", 0)


def test_webhook_checks_use_configured_token(trakteer_data: Path) -> None:
    gateway = _gateway()
    assert gateway.verify_webhook({"X-Webhook-Token": "tok"}) is True
    assert gateway.verify_webhook({"X-Webhook-Token": "other"}) is False
    delivery = gateway.parse_webhook((trakteer_data / "webhook-tip.json").read_bytes())
    assert delivery.kind is DeliveryKind.PAYMENT


async def test_no_api_key_means_no_reconciliation() -> None:
    gateway = _gateway()
    assert gateway.has_reconciliation is False
    assert await gateway.fetch_recent_payments() is None
    assert await gateway.fetch_balance() is None


async def test_recent_payments_success_rows_only() -> None:
    gateway, sandbox = _sandboxed()
    paid = sandbox.record_support(24, "MADD-7KQ2XD", "Budi",
                                  at=datetime(2026, 11, 20, 14, 50, 10, tzinfo=JAKARTA))
    sandbox.record_support(5, "MADD-PENDIN", status="pending")
    sandbox.record_support(7, "MADD-FAILED", status="failed")
    notices = await gateway.fetch_recent_payments()
    assert notices is not None and len(notices) == 1
    n = notices[0]
    assert n.external_id == paid["order_id"]
    assert (n.amount_idr, n.net_amount_idr, n.quantity) == (24000, paid["net_amount"], 24)
    assert (n.payer_name, n.message) == ("Budi", "MADD-7KQ2XD")
    assert n.paid_at == datetime(2026, 11, 20, 7, 50, 10, tzinfo=UTC)


async def test_recent_payments_read_at_most_three_pages_of_fifty() -> None:
    gateway, sandbox = _sandboxed()
    for i in range(170):
        sandbox.record_support(1, f"row {i}")
    notices = await gateway.fetch_recent_payments()
    assert notices is not None and len(notices) == 150
    assert notices[0].message == "row 169"  # newest first
    assert notices[-1].message == "row 20"


async def test_recent_payments_stop_at_last_page() -> None:
    gateway, sandbox = _sandboxed()
    for i in range(60):
        sandbox.record_support(1, f"row {i}")
    notices = await gateway.fetch_recent_payments()
    assert notices is not None and len(notices) == 60


async def test_recent_payments_raise_when_api_fails() -> None:
    failing = httpx.MockTransport(lambda r: httpx.Response(502))
    client = TrakteerClient("http://x.test", "k", transport=failing)
    with pytest.raises(TrakteerError):
        await _gateway(client=client).fetch_recent_payments()


async def test_balance_from_sandbox_and_none_on_error() -> None:
    gateway, sandbox = _sandboxed()
    sandbox.initial_balance_idr = 6483
    assert await gateway.fetch_balance() == 6483
    sandbox.api_key = "rotated"
    assert await gateway.fetch_balance() is None
