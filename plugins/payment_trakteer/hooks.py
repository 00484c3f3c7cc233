"""Registration hooks of the Trakteer payment plugin (thin: build objects from `host`, nothing else)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from core import hookimpl
from core.interfaces import PaymentGateway
from core.plugins import PluginHost
from core.settings import ConfigError, config_text
from plugins.payment_trakteer.client import TrakteerClient
from plugins.payment_trakteer.gateway import TrakteerGateway
from plugins.payment_trakteer.sandbox import TrakteerSandbox

log = logging.getLogger(__name__)

PARTNER = "trakteer"
DEFAULT_API_BASE_URL = "https://api.trakteer.id/v1/public"
SANDBOX_USERNAME = "maddstore"
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_API_KEY = "sandbox-key"




def _unit_price(config: Mapping[str, Any]) -> int:
    raw = config.get("unit_price_idr")
    if raw in (None, ""):
        return 1000
    try:
        if isinstance(raw, bool):
            raise ValueError
        price = int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"TRAKTEER_UNIT_PRICE must be a whole number of Rupiah, got {raw!r}") from None
    if price <= 0:
        raise ConfigError(f"TRAKTEER_UNIT_PRICE must be positive, got {price}")
    return price


@hookimpl
def register_payment_gateways(host: PluginHost) -> list[PaymentGateway]:
    config = host.config(PARTNER)
    unit_price_idr = _unit_price(config)
    page_url = config_text(config.get("page_url"))
    token = config_text(config.get("webhook_token"))
    api_key = config_text(config.get("api_key"))
    api_base_url = config_text(config.get("api_base_url")) or DEFAULT_API_BASE_URL
    has_credentials = bool(page_url and token)  # the API key is optional (reconciliation only)

    if host.is_sandboxed(PARTNER, has_credentials, "TRAKTEER_PAGE_URL, TRAKTEER_WEBHOOK_TOKEN"):
        base = host.sandbox_base_url(PARTNER)
        page_url = f"{base}/{SANDBOX_USERNAME}"
        token = token or SANDBOX_TOKEN
        api_base_url = f"{base}/api"
        api_key = SANDBOX_API_KEY
        if PARTNER not in host.sandboxes:
            host.sandboxes[PARTNER] = TrakteerSandbox(
                webhook_url=f"{host.settings.public_url}/webhooks/{PARTNER}",
                webhook_token=token, unit_price_idr=unit_price_idr, api_key=api_key,
                username=SANDBOX_USERNAME)
        log.info("trakteer runs sandboxed: tip page %s/tip", page_url)
    elif not api_key:
        log.info("trakteer: no TRAKTEER_API_KEY, reconciliation from /supports is off")

    client = (TrakteerClient(api_base_url, api_key, transport=host.transport_for(PARTNER))
              if api_key else None)
    return [TrakteerGateway(page_url, unit_price_idr, token, client)]


@hookimpl
def register_routes(host: PluginHost) -> list[Any]:
    return host.sandbox_mounts(PARTNER)
