"""Registration hooks of the vip-reseller provider plugin (thin: build objects from settings)."""

from __future__ import annotations

from typing import Any

from core import hookimpl
from core.interfaces import ProductProvider
from core.plugins import PluginHost
from core.settings import config_text
from plugins.providers_vipreseller.client import VipResellerClient
from plugins.providers_vipreseller.provider import VipResellerProvider
from plugins.providers_vipreseller.sandbox import VipResellerSandbox

PARTNER = "vipreseller"
DEFAULT_BASE_URL = "https://vip-reseller.co.id/api"




def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def _ips(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(ip).strip() for ip in value or () if str(ip).strip())


@hookimpl
def register_product_providers(host: PluginHost) -> list[ProductProvider]:
    config = host.config(PARTNER)
    api_id, api_key = config_text(config.get("api_id")), config_text(config.get("api_key"))
    base_url = config_text(config.get("base_url")) or DEFAULT_BASE_URL
    if host.is_sandboxed(PARTNER, bool(api_id and api_key), "VIPRESELLER_API_ID, VIPRESELLER_API_KEY"):
        api_id, api_key = "sandbox-id", "sandbox-key"
        base_url = host.sandbox_base_url(PARTNER) + "/api"
        if PARTNER not in host.sandboxes:
            emulator = VipResellerSandbox(api_id=api_id, api_key=api_key)
            emulator.callback_url = f"{host.settings.public_url}/webhooks/{PARTNER}"
            host.sandboxes[PARTNER] = emulator
    try:
        timeout = float(config_text(config.get("timeout_seconds")) or 40)
    except ValueError:
        timeout = 40.0
    client = VipResellerClient(base_url, api_id, api_key, timeout_seconds=timeout,
                               force_ipv4=_flag(config.get("force_ipv4")),
                               transport=host.transport_for(PARTNER))
    return [VipResellerProvider(client, callback_allowed_ips=_ips(config.get("callback_allowed_ips")))]


@hookimpl
def register_routes(host: PluginHost) -> list[Any]:
    return host.sandbox_mounts(PARTNER)
