"""The WhatsApp message log (/admin/messages): every outbox row newest first, filtered by status, the
"failed / uncertain" view Banyu works from, and resend.

Resend goes through `Outbox.resend`, which is idempotent per message (one copy, key `resend:<id>`), so a
double tap or a repeated POST never messages the buyer twice.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.notifications import repo as outbox_repo
from core.notifications.outbox import DELIVERY_FAILURES, FAILED_STATUSES
from core.phone import mask
from core.timeutil import now_ms
from core.web.admin_base import action, actor, flash, form_of, page, render, safe_next
from core.web.common import store_of

log = logging.getLogger(__name__)

PAGE_SIZE = 50
FAILURES_LIMIT = 100
STATUSES = ("pending", "sending", "accepted", "failed", "unknown")
FAILURES_VIEW = "failures"
DASHBOARD_WINDOW_MS = 7 * 86_400_000  # the dashboard tile counts a week: old, unfixable failures age out


async def _with_copies(store: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add `resent_as` / `can_resend` / `recipient_masked` the way `Outbox.failures` shapes its rows."""
    copies = await outbox_repo.ids_by_keys(store.db, [f"resend:{r['id']}" for r in rows])
    out = []
    for r in rows:
        copy = copies.get(f"resend:{r['id']}")
        out.append({**r, "recipient_masked": mask(r["recipient"]), "resent_as": copy, "can_resend": copy is None})
    return out


@page
async def message_log(request: Request) -> Response:
    store = store_of(request)
    q = request.query_params
    view = q.get("view") or ""
    status = q.get("status") or None
    if status not in STATUSES:
        status = None
    try:
        before = int(q.get("before") or 0) or None
    except ValueError:
        before = None
    next_query = None
    if view == FAILURES_VIEW:
        rows = await store.outbox.failures(FAILURES_LIMIT)
        texts = await outbox_repo.bodies(store.db, [r["id"] for r in rows])
        rows = [{**r, "body": texts.get(r["id"], "")} for r in rows]
        status, before = None, None
    else:
        view = ""
        rows = await _with_copies(store, await outbox_repo.log_page(store.db, status=status, before_id=before,
                                                                     limit=PAGE_SIZE))
        if len(rows) == PAGE_SIZE:
            next_query = urlencode({**({"status": status} if status else {}), "before": rows[-1]["id"]})
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "admin/messages.html", {
        "messages": rows, "view": view, "status": status or "", "statuses": STATUSES,
        "next_query": next_query, "is_first_page": before is None, "here": here,
        "failures_limit": FAILURES_LIMIT,
    })


@action
async def resend(request: Request) -> Response:
    store = store_of(request)
    # Flash params are strings here: an int param would be shown as Rupiah.
    message_id = int(request.path_params["message_id"])
    form = await form_of(request)
    back = safe_next(form.get("next"), "/admin/messages")
    row = await outbox_repo.get(store.db, message_id)
    if row is None:
        return render(request, "admin/not_found.html", {"what": "message"}, 404)
    earlier = (await outbox_repo.ids_by_keys(store.db, [f"resend:{message_id}"])).get(f"resend:{message_id}")
    sent_as = await store.outbox.resend(message_id)
    if sent_as is None:
        flash(request, "resend_busy", "warn", id=str(message_id))
    elif earlier is not None:
        flash(request, "resend_already", "warn", id=str(message_id), copy=str(sent_as))
    elif sent_as == message_id:
        flash(request, "resend_now", id=str(message_id))
    else:
        log.info("%s resent message %s as %s", actor(request), message_id, sent_as)
        flash(request, "resend_done", id=str(message_id), copy=str(sent_as))
    return RedirectResponse(back, status_code=303)


async def failure_count(store: Any) -> int:
    """The dashboard tile: failed / uncertain / undeliverable messages of the last week not resent yet."""
    return await outbox_repo.count_unresolved_failures(store.db, FAILED_STATUSES, DELIVERY_FAILURES,
                                                       now_ms() - DASHBOARD_WINDOW_MS)
