from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from core.plugins import PluginHost, build_plugin_manager
from core.settings import ConfigError, Settings, settings_from_dict
from plugins.payment_trakteer import __version__, hooks
from plugins.payment_trakteer.gateway import TrakteerGateway
from plugins.payment_trakteer.sandbox import TrakteerSandbox

PUBLIC = "http://store.test"


def _settings(sandbox: str | None = None, **trakteer: Any) -> Settings:
    return settings_from_dict({
        "store": {"public_url": PUBLIC, "secret_key": "test-secret", "sandbox": sandbox},
        "plugins": {"modules": ["plugins.payment_trakteer"], "config": {"trakteer": trakteer}},
    })


def _gateway(host: PluginHost) -> TrakteerGateway:
    gateways = hooks.register_payment_gateways(host)
    assert len(gateways) == 1
    gateway = gateways[0]
    assert isinstance(gateway, TrakteerGateway)
    return gateway


def test_version() -> None:
    assert __version__ == "0.1.0"


async def test_real_credentials_without_api_key() -> None:
    host = PluginHost(_settings(page_url="https://trakteer.id/banyu", webhook_token="real-tok",
                                unit_price_idr="2000"))
    gateway = _gateway(host)
    assert gateway.page_url == "https://trakteer.id/banyu"
    assert gateway.unit_price_idr == 2000
    assert gateway.verify_webhook({"X-Webhook-Token": "real-tok"})
    assert not gateway.verify_webhook({"X-Webhook-Token": "sandbox-token"})
    assert await gateway.fetch_recent_payments() is None
    assert host.sandboxes == {} and hooks.register_routes(host) == []
    assert "real-tok" not in repr(gateway)


async def test_api_key_uses_configured_base_and_injected_transport() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "success", "status_code": 200, "result": "150.00",
                                         "message": "OK"})

    host = PluginHost(_settings(page_url="https://trakteer.id/banyu", webhook_token="t", api_key="api-k",
                                api_base_url="https://api.example.test/v1/public/"),
                      transports={"trakteer": httpx.MockTransport(handler)})
    assert await _gateway(host).fetch_balance() == 150
    assert str(seen[0].url) == "https://api.example.test/v1/public/current-balance"
    assert seen[0].headers["key"] == "api-k"


def test_default_unit_price_and_bad_unit_price() -> None:
    host = PluginHost(_settings(page_url="https://trakteer.id/b", webhook_token="t", unit_price_idr=""))
    assert _gateway(host).unit_price_idr == 1000
    with pytest.raises(ConfigError, match="TRAKTEER_UNIT_PRICE"):
        hooks.register_payment_gateways(PluginHost(_settings(page_url="x", webhook_token="t",
                                                             unit_price_idr="1.5rb")))


def test_missing_credentials_with_sandbox_off_is_a_config_error() -> None:
    host = PluginHost(_settings(sandbox="0", page_url="https://trakteer.id/b"))
    with pytest.raises(ConfigError, match="TRAKTEER_PAGE_URL, TRAKTEER_WEBHOOK_TOKEN"):
        hooks.register_payment_gateways(host)


def test_missing_credentials_run_the_sandbox_once() -> None:
    host = PluginHost(_settings(unit_price_idr="1000"))
    gateway = _gateway(host)
    assert gateway.page_url == f"{PUBLIC}/sandbox/trakteer/maddstore"
    assert gateway.verify_webhook({"X-Webhook-Token": "sandbox-token"})
    assert gateway.client is not None and gateway.client.api_base_url == f"{PUBLIC}/sandbox/trakteer/api"
    emulator = host.sandboxes["trakteer"]
    assert isinstance(emulator, TrakteerSandbox)
    assert emulator.webhook_url == f"{PUBLIC}/webhooks/trakteer"
    assert emulator.webhook_token == "sandbox-token"
    _gateway(host)
    assert host.sandboxes["trakteer"] is emulator  # created once
    routes = hooks.register_routes(host)
    assert len(routes) == 1 and isinstance(routes[0], Mount)
    assert routes[0].path == "/sandbox/trakteer" and routes[0].app is emulator.app


def test_forced_sandbox_keeps_configured_token() -> None:
    host = PluginHost(_settings(sandbox="1", page_url="https://trakteer.id/b", webhook_token="mine"))
    gateway = _gateway(host)
    assert gateway.page_url.startswith(f"{PUBLIC}/sandbox/trakteer/")
    assert gateway.verify_webhook({"X-Webhook-Token": "mine"})
    assert host.sandboxes["trakteer"].webhook_token == "mine"


async def test_sandbox_round_trip_through_the_plugin_manager() -> None:
    """Registered through pluggy; the tip page is paid; the webhook and /supports agree."""
    settings = _settings()
    pm = build_plugin_manager(settings)

    async def emulator_app(scope: Any, receive: Any, send: Any) -> None:
        await host.sandboxes["trakteer"].app(scope, receive, send)

    store_app = Starlette(routes=[Mount("/sandbox/trakteer", app=emulator_app)])
    host = PluginHost(settings, transports={"trakteer": httpx.ASGITransport(store_app)})
    [gateway] = [g for group in pm.hook.register_payment_gateways(host=host) for g in group]
    [mount] = [r for group in pm.hook.register_routes(host=host) for r in group]
    assert mount.path == "/sandbox/trakteer"

    received: list[httpx.Request] = []
    host.sandboxes["trakteer"].webhook_transport = httpx.MockTransport(
        lambda r: received.append(r) or httpx.Response(200))
    url = gateway.pay_url("MADD-7KQ2XD", 24000, "Budi")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(store_app)) as browser:
        page = await browser.get(url)
        assert "Rp 24.000" in page.text
        await browser.post(url, data={"quantity": "24", "display_name": "Budi",
                                      "supporter_message": "MADD-7KQ2XD"})

    [webhook] = received
    assert str(webhook.url) == f"{PUBLIC}/webhooks/trakteer"
    assert gateway.verify_webhook(webhook.headers)
    delivery = gateway.parse_webhook(webhook.content)
    assert delivery.notice is not None and delivery.notice.message == "MADD-7KQ2XD"
    notices = await gateway.fetch_recent_payments()
    assert notices is not None and [n.external_id for n in notices] == [json.loads(webhook.content)
                                                                        ["transaction_id"]]
    assert await gateway.fetch_balance() == delivery.notice.net_amount_idr
