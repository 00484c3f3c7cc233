"""The catalog page: categories, products with cost / price / margin, enable-disable, and "sync now"."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.catalog import repo as catalog_repo
from core.errors import ApiError
from core.interfaces import KINDS
from core.money import percent_of
from core.timeutil import now_ms
from core.web.admin_base import action, flash, flash_error, form_of, page, render
from core.web.common import store_of

log = logging.getLogger(__name__)

MAX_ROWS = 300  # a brand can list 1,200+ items: the search narrows it down
ACTIVE_FOR_MS = 10 * 60_000


def sync_progress(raw: str | None) -> dict[str, Any] | None:
    """The catalog sync's progress as kept in kv (`catalog_sync_progress`): JSON or `done/total`."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        done_text, _, total_text = raw.partition("/")
        data = {"done": done_text, "total": total_text}
    if not isinstance(data, dict):
        return None
    try:
        done, total = int(data.get("done") or 0), int(data.get("total") or 0)
    except (TypeError, ValueError):
        return None
    percent = min(100, done * 100 // total) if total else (100 if data.get("state") == "done" else 0)
    try:
        started = int(data.get("started_at") or 0)
    except (TypeError, ValueError):
        started = 0
    # The page refreshes itself while a sync runs, but not forever when no worker picks it up.
    active = data.get("state") in ("queued", "running") and now_ms() - started < ACTIVE_FOR_MS
    return {**data, "done": done, "total": total, "percent": percent, "is_active": active}


def product_view(p: dict[str, Any], fee_bp: int) -> dict[str, Any]:
    fee = percent_of(p["price_idr"], fee_bp)
    return {**p, "fee_estimate_idr": fee, "margin_idr": p["price_idr"] - p["cost_idr"] - fee}


@page
async def catalog(request: Request) -> Response:
    store = store_of(request)
    cats = sorted((await catalog_repo.category_map(store.db)).values(), key=lambda c: c["name"].lower())
    slug = request.query_params.get("c") or ""
    query = request.query_params.get("q", "").strip().lower()[:60]
    selected = next((c for c in cats if c["slug"] == slug), None)
    products: list[dict[str, Any]] = []
    total = 0
    if selected is not None:
        rows = await catalog_repo.category_products(store.db, slug, public_only=False)
        if query:
            rows = [p for p in rows if query in p["name"].lower() or query in p["code"].lower()]
        total = len(rows)
        fee_bp = store.settings.payment_fee_estimate_bp
        products = [product_view(p, fee_bp) for p in rows[:MAX_ROWS]]
    overrides = getattr(store.catalog, "overrides", None)
    return render(request, "admin/catalog.html", {
        "categories": cats, "selected": selected, "products": products, "total": total, "q": query,
        "max_rows": MAX_ROWS, "progress": sync_progress(await store.kv_get("catalog_sync_progress")),
        "last_sync": await store.kv_get("catalog_synced_at"), "has_overrides": callable(overrides),
        "overrides": await overrides() if callable(overrides) else [],
        "override_form": {"product": request.query_params.get("product", "")[:80],
                          "brand": "" if request.query_params.get("product") else (selected or {}).get("slug", "")},
        "kinds": KINDS,
    })


@action
async def toggle(request: Request) -> Response:
    store = store_of(request)
    form = await form_of(request)
    product = await store.catalog.product(form.get("code", ""))
    if product is None:
        return render(request, "admin/not_found.html", {"what": "product"}, 404)
    enabled = form.get("enabled") == "1"
    await catalog_repo.set_enabled(store.db, product["code"], enabled)
    log.info("product %s %s by admin", product["code"], "enabled" if enabled else "disabled")
    flash(request, "product_enabled" if enabled else "product_disabled", code=product["code"])
    back = {"c": product["category_slug"], **({"q": form["q"]} if form.get("q") else {})}
    return RedirectResponse(f"/admin/catalog?{urlencode(back)}", status_code=303)


@action
async def sync_now(request: Request) -> Response:
    store = store_of(request)
    request_sync = getattr(store.catalog, "request_sync", None)
    if callable(request_sync):
        await request_sync()  # records "queued" progress and skips a second run while one is going
    else:
        store.jobs.sync_catalog()
    flash(request, "sync_queued")
    return RedirectResponse("/admin/catalog", status_code=303)


# ---- Banyu's markup overrides (per product, brand or kind) ----------------------------------------

@action
async def save_override(request: Request) -> Response:
    store = store_of(request)
    form = await form_of(request)
    set_override = getattr(store.catalog, "set_override", None)
    if not callable(set_override):
        return render(request, "admin/not_found.html", {"what": "action"}, 404)
    try:
        saved = await set_override(product=form.get("product"), brand=form.get("brand"), kind=form.get("kind"),
                                   percent=form.get("percent", "").replace(",", ".").strip(),
                                   fixed_idr=form.get("fixed_idr", "").replace(".", "").strip(),
                                   note=form.get("note", ""))
    except ApiError as exc:
        flash_error(request, exc)
    else:
        flash(request, "override_saved", repriced=str(saved.get("repriced", 0)),
              below=str(len(saved.get("below_floor") or [])))
    back = {k: form[k] for k in ("c",) if form.get(k)}
    return RedirectResponse("/admin/catalog" + (f"?{urlencode(back)}" if back else ""), status_code=303)


@action
async def delete_override(request: Request) -> Response:
    store = store_of(request)
    remove = getattr(store.catalog, "delete_override", None)
    if not callable(remove) or not await remove(int(request.path_params["override_id"])):
        return render(request, "admin/not_found.html", {"what": "override"}, 404)
    flash(request, "override_deleted")
    return RedirectResponse("/admin/catalog", status_code=303)
