"""The dashboard (/admin), the provider-balance refresh, and the live-update stream (/admin/events)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from core.ledger import overview as ov
from core.queue import watch_balance
from core.timeutil import iso, now_ms
from core.web.admin_base import action, flash, page, render
from core.web.admin_messages import failure_count
from core.web.common import store_of

log = logging.getLogger(__name__)

BALANCE_TIMEOUT_SECONDS = 4.0
STREAM_LIFETIME_SECONDS = 300.0  # EventSource reconnects by itself; a bounded loop never leaks
HEARTBEAT_SECONDS = 20.0
GATEWAY_BALANCE_TTL_SECONDS = 60.0
_EVENT_ID = re.compile(r"^o(\d+)-p(\d+)$")


async def gateway_balance(store: Any) -> tuple[str, int | None]:
    """("off" | "ok" | "error", balance). Off when the gateway has no API key (no reconciliation either)."""
    if not getattr(store.gateway, "has_reconciliation", True):
        return "off", None
    try:
        balance = await asyncio.wait_for(store.gateway.fetch_balance(), BALANCE_TIMEOUT_SECONDS)
    except Exception:  # a slow or broken partner must not break the dashboard
        log.warning("gateway balance unavailable", exc_info=True)
        return "error", None
    return ("ok", balance) if balance is not None else ("error", None)


async def cached_gateway_balance(request: Request) -> tuple[str, int | None]:
    """The gateway balance, asked at most once a minute per process (Banyu reloads the dashboard a lot)."""
    state = request.app.state
    cached = getattr(state, "admin_gateway_balance", None)
    if cached is not None and time.monotonic() - cached[0] < GATEWAY_BALANCE_TTL_SECONDS:
        return cached[1], cached[2]
    status, balance = await gateway_balance(store_of(request))
    state.admin_gateway_balance = (time.monotonic(), status, balance)
    return status, balance


@page
async def dashboard(request: Request) -> Response:
    store = store_of(request)
    data = await ov.overview(store.db)
    status, trakteer = await cached_gateway_balance(request)
    balance = await store.kv_int("provider_balance_idr")
    return render(request, "admin/dashboard.html", {
        "o": data, "provider_balance": balance, "gateway_status": status, "gateway_balance": trakteer,
        "low_balance": balance is not None and balance < store.settings.low_balance_idr,
        "balance_at": await store.kv_get("provider_balance_checked_at"),
        "now_iso": iso(now_ms()), "is_manual": store.settings.is_manual,
        "message_failures": await failure_count(store),
    })


@action
async def refresh_balance(request: Request) -> Response:
    store = store_of(request)
    try:
        balance = await asyncio.wait_for(watch_balance(store), BALANCE_TIMEOUT_SECONDS * 2)
    except Exception:
        log.warning("provider balance refresh failed", exc_info=True)
        balance = None
    if balance is None:
        flash(request, "balance_failed", "error")
    else:
        await store.kv_set("provider_balance_checked_at", str(now_ms()))
        flash(request, "balance_refreshed", balance=balance)
    return RedirectResponse("/admin", status_code=303)


# ---- server-sent events ---------------------------------------------------------------------------

def _frame(event: str, data: dict[str, Any], last_order: int, last_payment: int) -> str:
    return f"id: o{last_order}-p{last_payment}\nevent: {event}\ndata: {json.dumps(data)}\n\n"


async def event_stream(request: Request, since_order: int, since_payment: int, *, interval: float,
                       lifetime: float = STREAM_LIFETIME_SECONDS) -> AsyncIterator[str]:
    """Poll for orders / payments newer than the last seen ids; stop when the client goes away."""
    store = store_of(request)
    state = request.app.state
    state.admin_streams = getattr(state, "admin_streams", 0) + 1
    started = last_beat = time.monotonic()
    try:
        yield "retry: 5000\n\n"
        while not await request.is_disconnected():
            for o in await ov.orders_after(store.db, since_order):
                since_order = o["id"]
                yield _frame("order", o, since_order, since_payment)
            for p in await ov.payments_after(store.db, since_payment):
                since_payment = p["id"]
                yield _frame("payment", p, since_order, since_payment)
            now = time.monotonic()
            if now - started >= lifetime:
                break
            if now - last_beat >= HEARTBEAT_SECONDS:
                last_beat = now
                yield ": ping\n\n"
            await asyncio.sleep(interval)
    finally:
        state.admin_streams -= 1


def _since(request: Request) -> tuple[int, int] | None:
    """Where to resume: the EventSource's Last-Event-ID, else `?o=&p=` from the page."""
    m = _EVENT_ID.match(request.headers.get("last-event-id", "").strip())
    if m:
        return int(m.group(1)), int(m.group(2))
    try:
        o, p = request.query_params.get("o"), request.query_params.get("p")
        return (int(o), int(p)) if o is not None and p is not None else None
    except ValueError:
        return None


@page
async def events(request: Request) -> Response:
    store = store_of(request)
    since = _since(request) or await ov.latest_ids(store.db)
    interval = float(getattr(request.app.state, "admin_stream_interval", 2.0))
    return StreamingResponse(event_stream(request, since[0], since[1], interval=interval),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
