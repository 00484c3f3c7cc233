"""`plugins.config.vipreseller` options reach the running store: the callback source-IP allow-list and
`force_ipv4` (outgoing calls bound to IPv4 so the provider's IP whitelist matches)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from core.settings import load_settings
from core.store import Store
from plugins.providers_vipreseller.provider import VipResellerProvider
from tests.conftest import Fakes, StoreFactory
from tests.core.catalog.cat_helpers import http_client, settings_for

ROOT = Path(__file__).resolve().parents[3]
PROVIDER_IP = "178.248.73.218"


def callback(fakes: Fakes) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"data": {"trxid": "VP1", "data": "12345678", "zone": "2001", "service": "x",
                                "status": "success", "note": "", "price": 22000}}).encode()
    return body, {"X-Client-Signature": fakes.vip.sign(), "Content-Type": "application/json"}


async def test_callbacks_from_outside_the_allow_list_are_refused(tmp_path: Path, fakes: Fakes,
                                                                  make_store: StoreFactory) -> None:
    store: Store = await make_store(settings_for(
        tmp_path, plugin={"vipreseller": {"callback_allowed_ips": [PROVIDER_IP]}}))
    body, headers = callback(fakes)
    async with http_client(store) as stranger, http_client(store, ip=PROVIDER_IP) as provider:
        assert (await stranger.post("/webhooks/vipreseller", content=body, headers=headers)).status_code == 401
        assert (await provider.post("/webhooks/vipreseller", content=body, headers=headers)).status_code == 200
        assert (await provider.post("/webhooks/vipreseller", content=body,
                                    headers={"Content-Type": "application/json"})).status_code == 401


async def test_an_empty_allow_list_accepts_any_source(sqlite_store: Store, fakes: Fakes) -> None:
    body, headers = callback(fakes)
    async with http_client(sqlite_store, ip="192.0.2.55") as anyone:
        assert (await anyone.post("/webhooks/vipreseller", content=body, headers=headers)).status_code == 200


@pytest.mark.parametrize(("raw", "expected"), [(True, True), ("true", True), ("1", True), (False, False),
                                               ("false", False), ("", False)])
async def test_force_ipv4_binds_outgoing_calls_to_ipv4(tmp_path: Path, raw: object, expected: bool) -> None:
    settings = settings_for(tmp_path, plugin={"vipreseller": {"force_ipv4": raw}})
    store = Store(settings)  # no injected transport: the real one is built from settings
    provider = store.provider
    assert isinstance(provider, VipResellerProvider)
    transport = provider.client._http._transport
    assert provider.client.force_ipv4 is expected
    if expected:
        assert isinstance(transport, httpx.AsyncHTTPTransport)
        assert transport._pool._local_address == "0.0.0.0"
    else:
        assert getattr(getattr(transport, "_pool", None), "_local_address", None) is None
    await provider.client.aclose()


def test_settings_yaml_defaults_and_comma_separated_ips(tmp_path: Path) -> None:
    env = {"VIPRESELLER_API_ID": "id", "VIPRESELLER_API_KEY": "key", "MADD_SECRET_KEY": "k" * 32,
           "TRAKTEER_PAGE_URL": "https://trakteer.id/maddstore", "TRAKTEER_WEBHOOK_TOKEN": "tok",
           "MADD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/s.db", "MADD_QUEUE_URL": f"sqlite:///{tmp_path}/q.db"}
    settings = load_settings(ROOT / "settings.yaml", env)
    config = settings.plugin("vipreseller")
    assert config["force_ipv4"] is False and tuple(config["callback_allowed_ips"]) == ()
    store = Store(settings)
    assert isinstance(store.provider, VipResellerProvider)
    assert store.provider.callback_allowed_ips == () and store.provider.client.force_ipv4 is False

    listed = settings_for(tmp_path, plugin={"vipreseller": {"callback_allowed_ips": f"{PROVIDER_IP}, 10.0.0.1"}})
    provider = Store(listed).provider
    assert isinstance(provider, VipResellerProvider)
    assert provider.callback_allowed_ips == (PROVIDER_IP, "10.0.0.1")
