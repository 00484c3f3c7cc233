"""Partner webhooks served by the core for the active gateway and provider.

Trakteer switches its webhook off after three failed deliveries, so every authenticated delivery gets a
2xx — unparseable bodies and unknown codes included — and is stored before it is processed.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from core.errors import ApiError
from core.interfaces import DeliveryKind, WebhookDelivery
from core.web.common import client_ip, store_of

log = logging.getLogger(__name__)


async def payment_webhook(request: Request) -> JSONResponse:
    store = store_of(request)
    if not store.gateway.verify_webhook(request.headers):
        log.warning("%s webhook with a missing or wrong token from %s", store.gateway.name, client_ip(request))
        raise ApiError(401, "unauthorized", "Missing or wrong webhook token.")
    body = await request.body()
    try:
        delivery = store.gateway.parse_webhook(body)
    except Exception as exc:  # a parser bug must not lose the delivery: keep it raw for Banyu
        log.exception("%s webhook parser failed", store.gateway.name)
        delivery = WebhookDelivery(kind=DeliveryKind.UNPARSEABLE, reason=f"parser error: {type(exc).__name__}")
    try:
        result = await store.payments.ingest_webhook(body, delivery)
    except Exception:  # could not even store it (database down): let the gateway retry
        log.exception("%s webhook could not be stored", store.gateway.name)
        return JSONResponse({"error": {"code": "unavailable", "message": "Delivery not stored, retry later."}},
                            status_code=503)
    return JSONResponse({"ok": True, **result})


async def provider_webhook(request: Request) -> JSONResponse:
    store = store_of(request)
    if not store.provider.verify_callback(request.headers, request.client.host if request.client else None):
        log.warning("provider callback refused (signature / source) from %s", client_ip(request))
        raise ApiError(401, "unauthorized", "Missing or wrong signature.")
    body = await request.body()
    try:
        updates = store.provider.parse_callback(body)
    except Exception:  # garbage (or absurdly nested) from an authenticated sender: nothing to apply
        log.exception("provider callback body could not be parsed")
        updates = []
    result = await store.callbacks.receive(updates, body)
    return JSONResponse({"ok": True, **result})
