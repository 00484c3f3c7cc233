"""HTTP endpoints: Fonnte and Cloud API webhooks (status updates, incoming order-code questions).

Partners retry until they get a 2xx, so every authenticated delivery gets 200 even when the store could
not use it (logged); the core applies delivery statuses forward-only, so repeats are harmless.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from .factory import WhatsAppConfig
from .listeners import CHANNEL, reply_order_status
from .webhooks import Parsed, decode_body, parse_cloud, parse_fonnte, verify_challenge, verify_cloud_signature

log = logging.getLogger(__name__)


async def _apply(request: Request, parsed: Parsed) -> None:
    store = request.app.state.store
    for event in parsed.statuses:
        try:
            await store.outbox.mark_delivery(CHANNEL, event.message_id, event.status)
        except Exception:
            log.exception("whatsapp: could not record status %s of %s", event.status, event.message_id)
    for message in parsed.incoming:
        try:
            await reply_order_status(store, message.sender, message.text, message.message_id)
        except Exception:
            log.exception("whatsapp: could not answer an incoming message")


def build_routes(config: WhatsAppConfig, emulator: Any = None) -> list[Any]:
    async def fonnte_webhook(request: Request) -> Response:
        if config.fonnte_webhook_secret:
            # Fonnte's own per-device secret field is undocumented; the webhook URL carries ours.
            given = request.query_params.get("secret", "")
            if not hmac.compare_digest(given.encode(), config.fonnte_webhook_secret.encode()):
                return JSONResponse({"error": {"code": "unauthorized", "message": "bad secret"}}, 401)
        body = await request.body()
        data = decode_body(body)
        if data is None and body:
            try:
                data = decode_body(b"", await request.form())
            except Exception:
                data = None
        if data is None:
            log.warning("whatsapp: unreadable Fonnte webhook (%d bytes)", len(body))
            return JSONResponse({"ok": True, "ignored": True})
        await _apply(request, parse_fonnte(data))
        return JSONResponse({"ok": True})

    async def cloud_verify(request: Request) -> Response:
        challenge = verify_challenge(request.query_params, config.cloud_verify_token)
        if challenge is None:
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(challenge)

    async def cloud_webhook(request: Request) -> Response:
        body = await request.body()
        if not verify_cloud_signature(config.cloud_app_secret, body,
                                      request.headers.get("x-hub-signature-256")):
            return JSONResponse({"error": {"code": "bad_signature", "message": "invalid signature"}}, 401)
        data = decode_body(body)
        if data is None:
            log.warning("whatsapp: unreadable Cloud webhook (%d bytes)", len(body))
            return JSONResponse({"ok": True, "ignored": True})
        await _apply(request, parse_cloud(data))
        return JSONResponse({"ok": True})

    routes: list[Any] = [
        Route("/webhooks/whatsapp/fonnte", fonnte_webhook, methods=["POST"]),
        Route("/webhooks/whatsapp/cloud", cloud_verify, methods=["GET"]),
        Route("/webhooks/whatsapp/cloud", cloud_webhook, methods=["POST"]),
    ]
    if emulator is not None:
        routes.append(Mount("/sandbox/whatsapp", app=emulator.app))
    return routes
