"""The payments inbox: payments no order claimed, deliveries that could not be read, and the attention list."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.errors import ApiError
from core.orders import codes
from core.payments import repo as payments_repo
from core.web.admin_base import action, actor, flash, flash_error, form_of, page, render
from core.web.common import store_of

log = logging.getLogger(__name__)


async def _attention(store: Any) -> list[dict[str, Any]] | None:
    """`store.payments.attention()` when the payments service offers it (late / over payments to settle)."""
    fn = getattr(store.payments, "attention", None)
    if not callable(fn):
        return None
    result = fn()
    if inspect.isawaitable(result):
        result = await result
    return list(result or [])


@page
async def inbox(request: Request) -> Response:
    store = store_of(request)
    unmatched = await payments_repo.unmatched(store.db)
    raw = await payments_repo.raw_events(store.db, ["unparseable"], limit=30)
    attention = await _attention(store)
    return render(request, "admin/payments.html", {
        "unmatched": unmatched, "raw_events": raw,
        # Unmatched payments are listed above with their own forms; the rest sit on orders.
        "attention": None if attention is None else [a for a in attention if a.get("order")],
        "suggested": {p["id"]: store.orders.find_code(p["message"] or "") for p in unmatched},
    })


def _payment_id(request: Request) -> int:
    return int(request.path_params["payment_id"])


@action
async def assign(request: Request) -> Response:
    store = store_of(request)
    form = await form_of(request)
    code = form.get("order_code", "").strip()
    try:
        result = await store.payments.assign(_payment_id(request), code, actor(request))
    except ApiError as exc:
        flash_error(request, exc, code=code)
        return RedirectResponse("/admin/payments", status_code=303)
    if isinstance(result, dict):  # the order after
        code = result["code"]
    elif result != "matched":  # an outcome string
        flash(request, "payment_not_unmatched", "error")
        return RedirectResponse("/admin/payments", status_code=303)
    flash(request, "payment_assigned", code=codes.normalise(code) or code)
    return RedirectResponse("/admin/payments", status_code=303)


@action
async def mark(request: Request) -> Response:
    store = store_of(request)
    form = await form_of(request)
    state = form.get("state", "")
    try:
        await store.payments.mark(_payment_id(request), state, actor(request), form.get("note", "").strip()[:400])
    except ApiError as exc:
        flash_error(request, exc)
    else:
        flash(request, f"payment_{state}")
    return RedirectResponse("/admin/payments", status_code=303)
