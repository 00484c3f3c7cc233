"""Orders: the filtered list (keyset pagination), the detail page with timeline, and Banyu's actions."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import phone
from core.catalog import repo as catalog_repo
from core.errors import ApiError
from core.orders import codes
from core.orders import repo as orders_repo
from core.orders.states import Status, payment_state, sources
from core.payments import repo as payments_repo
from core.timeutil import WIB, to_ms
from core.web.admin_base import action, actor, flash, flash_error, form_of, page, render
from core.web.api import ADMIN_ACTIONS
from core.web.common import store_of

log = logging.getLogger(__name__)

PAGE_SIZE = 30
S = Status


def _day_start(text: str | None) -> int | None:
    """`2026-03-05` -> epoch ms of that midnight in Jakarta; None when empty or not a date."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return to_ms(datetime(day.year, day.month, day.day, tzinfo=WIB))


def search_term(raw: str) -> str:
    """What Banyu types: an order code (any spelling), a WhatsApp number (any format), or a game ID."""
    text = raw.strip()[:64]
    code = codes.normalise(text)
    if code:
        return code
    if text[:1] in ("0", "+") or text.startswith("62"):
        try:
            return phone.normalise(text).canonical
        except phone.PhoneError:
            pass
    return text


@page
async def order_list(request: Request) -> Response:
    store = store_of(request)
    q = request.query_params
    status = q.get("status") or None
    if status not in {s.value for s in Status}:
        status = None
    category = q.get("category") or None
    day_from, day_to = _day_start(q.get("from")), _day_start(q.get("to"))
    try:
        before = int(q.get("before") or 0) or None
    except ValueError:
        before = None
    search = search_term(q.get("q", "")) or None
    rows = await orders_repo.list_orders(
        store.db, status=status, before_id=before, limit=PAGE_SIZE, search=search, category=category,
        created_from=day_from, created_to=day_to + 86_400_000 if day_to is not None else None)
    cats = sorted((await catalog_repo.category_map(store.db)).values(), key=lambda c: c["name"].lower())
    filters = {k: q.get(k, "") for k in ("status", "category", "from", "to", "q")}
    next_query = None
    if len(rows) == PAGE_SIZE:
        next_query = urlencode({**{k: v for k, v in filters.items() if v}, "before": rows[-1]["id"]})
    return render(request, "admin/orders.html", {
        "orders": rows, "filters": filters, "statuses": [s.value for s in Status], "categories": cats,
        "next_query": next_query,
        "is_first_page": before is None,
    })


def available_actions(order: dict[str, Any], is_manual: bool, has_messages: bool) -> list[str]:
    """The buttons that make sense for this status, straight from the state table (DESIGN §3)."""
    st = order["status"]
    out = []
    if st in sources(S.PROCESSING, "send-now"):
        out.append("confirm" if is_manual else "send-now")
    if st in sources(S.ON_HOLD, "hold"):
        out.append("hold")
    if st in sources(S.PAID, "release"):
        out.append("release")
    if st in sources(S.PAID, "retry"):
        out.append("retry")
    if st in sources(S.SUCCESS, "mark-delivered"):
        out.append("mark-delivered")
    if st in sources(S.CANCELLED, "cancel"):
        out.append("cancel")
    if has_messages:
        out.append("resend-message")
    return out


def _pretty(raw: str | None) -> str:
    if not raw:
        return ""
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        return raw


@page
async def order_detail(request: Request) -> Response:
    store = store_of(request)
    order = await store.orders.get_by_code(request.path_params["code"])
    if order is None:
        return render(request, "admin/not_found.html", {"what": "order"}, 404)
    if order["code"] != request.path_params["code"]:
        return RedirectResponse(f"/admin/orders/{order['code']}", status_code=303)
    messages = await store.outbox.for_order(order["id"])
    payments = await payments_repo.for_order(store.db, order["id"])
    return render(request, "admin/order.html", {
        "order": order, "target": json.loads(order["target_json"]),
        "payment_state": payment_state(order["amount_paid_idr"], order["amount_due_idr"]),
        "timeline": await store.orders.timeline(order["id"]), "payments": payments, "messages": messages,
        "actions": available_actions(order, store.settings.is_manual, bool(messages)),
        "provider_reply": _pretty(order["provider_reply"]),
        "wa_link": f"https://wa.me/{order['whatsapp']}",
        "margin_idr": order["amount_paid_idr"] - (order["provider_cost_idr"] or order["cost_estimate_idr"]),
    })


@action
async def order_action(request: Request) -> Response:
    store = store_of(request)
    code, name = request.path_params["code"], request.path_params["action"]
    order = await store.orders.get_by_code(code)
    if order is None or name not in ADMIN_ACTIONS:
        return render(request, "admin/not_found.html", {"what": "order" if order is None else "action"}, 404)
    form = await form_of(request)
    body = {k: form[k] for k in ("note", "reason") if form.get(k)}
    try:
        after = await store.orders.act(order["code"], name, actor(request), body)
    except ApiError as exc:
        log.info("admin action %s on %s refused: %s", name, order["code"], exc.code)
        flash_error(request, exc, action=name)
    else:
        flash(request, f"done_{name}", status=after["status"])
    return RedirectResponse(f"/admin/orders/{order['code']}", status_code=303)

