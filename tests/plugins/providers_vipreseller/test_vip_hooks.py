"""Registration: settings → provider, sandbox decision, mounted emulator."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from core.interfaces import ProductProvider
from core.plugins import PluginHost, build_plugin_manager
from core.settings import ConfigError, settings_from_dict
from plugins.providers_vipreseller import __version__, hooks
from plugins.providers_vipreseller.provider import VipResellerProvider
from plugins.providers_vipreseller.sandbox import VipResellerSandbox


def make_host(tmp_path: Path, config: dict[str, Any], sandbox: str | None = None,
              transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> PluginHost:
    store: dict[str, Any] = {"public_url": "http://shop.test", "var_dir": str(tmp_path),
                             "secret_key": "x" * 32}
    if sandbox is not None:
        store["sandbox"] = sandbox
    settings = settings_from_dict({"store": store, "plugins": {"modules": ["plugins.providers_vipreseller"],
                                                              "config": {"vipreseller": config}}})
    return PluginHost(settings=settings, transports=transports or {})


def only_provider(host: PluginHost) -> VipResellerProvider:
    (provider,) = hooks.register_product_providers(host)
    assert isinstance(provider, VipResellerProvider) and isinstance(provider, ProductProvider)
    assert provider.name == "vipreseller"
    return provider


def test_missing_credentials_run_the_emulator(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"api_id": "", "api_key": "", "base_url": "https://vip-reseller.co.id/api"})
    provider = only_provider(host)
    emulator = host.sandboxes["vipreseller"]
    assert isinstance(emulator, VipResellerSandbox)
    assert provider.client.base_url == "http://shop.test/sandbox/vipreseller/api"
    assert provider.client.sign == hashlib.md5(b"sandbox-idsandbox-key").hexdigest() == emulator.sign()
    assert emulator.callback_url == "http://shop.test/webhooks/vipreseller"
    only_provider(host)
    assert host.sandboxes["vipreseller"] is emulator, "the emulator is created once"
    (mount,) = hooks.register_routes(host)
    assert isinstance(mount, Mount) and mount.path == "/sandbox/vipreseller" and mount.app is emulator.app


def test_credentials_talk_to_the_real_base_url(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"api_id": " my-id ", "api_key": "my-key\n", "base_url": "https://vip.example/api/",
                                "timeout_seconds": "25", "force_ipv4": "true",
                                "callback_allowed_ips": ["178.248.73.218", " "]})
    provider = only_provider(host)
    assert host.sandboxes == {} and hooks.register_routes(host) == []
    assert provider.client.base_url == "https://vip.example/api"
    assert provider.client.has_credentials and provider.client.force_ipv4
    assert provider.client.sign == hashlib.md5(b"my-idmy-key").hexdigest()
    assert provider.callback_allowed_ips == ("178.248.73.218",)
    assert provider.client._http.timeout.read == 25


def test_sandbox_off_without_credentials_stops_start_up(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"api_id": "id", "api_key": ""}, sandbox="0")
    with pytest.raises(ConfigError, match="VIPRESELLER_API_ID, VIPRESELLER_API_KEY"):
        hooks.register_product_providers(host)


def test_forced_sandbox_ignores_real_credentials(tmp_path: Path) -> None:
    host = make_host(tmp_path, {"api_id": "id", "api_key": "key"}, sandbox="1")
    provider = only_provider(host)
    assert "vipreseller" in host.sandboxes
    assert provider.client.sign == hashlib.md5(b"sandbox-idsandbox-key").hexdigest()


async def test_the_mounted_emulator_answers_through_the_store_path(tmp_path: Path) -> None:
    host = make_host(tmp_path, {})
    host.sandboxes["vipreseller"] = emulator = VipResellerSandbox(balance_idr=777_000)
    app = Starlette(routes=hooks.register_routes(host))
    host.transports = {"vipreseller": httpx.ASGITransport(app=app)}
    provider = only_provider(host)
    assert await provider.fetch_balance() == 777_000
    assert emulator.calls[0][0] == "profile"
    await provider.client.aclose()


def test_plugin_manager_loads_the_hooks(tmp_path: Path) -> None:
    host = make_host(tmp_path, {})
    pm = build_plugin_manager(host.settings)
    providers = [p for group in pm.hook.register_product_providers(host=host) for p in group]
    assert [p.name for p in providers] == ["vipreseller"]
    assert __version__ == "0.1.0"
