"""Buyer pages (Bahasa Indonesia): home, category with checkout form, invoice, order lookup."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core.catalog.grouping import group_key, group_rank
from core.errors import ApiError
from core.money import units_for
from core.orders import codes
from core.orders.service import public_view
from core.orders.states import payment_state
from core.ratelimit import RateLimiter
from core.textsafe import is_safe
from core.web.common import client_ip, is_cross_site, store_of

KIND_ORDER = ("game", "pulsa", "data", "emoney", "pln", "voucher", "streaming")
KIND_TITLES = {"game": "Top Up Game", "pulsa": "Pulsa", "data": "Paket Data", "emoney": "E-Money",
               "pln": "Token PLN", "voucher": "Voucher", "streaming": "Streaming"}
POPULAR = ("mobile legends", "free fire", "genshin", "pubg", "valorant", "honkai", "telkomsel", "indosat")


# Buyer pages load only the store's own files: an injected script or a framing site gets nothing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    store = store_of(request)
    html = store.templates.get_template(name).render(request=request, **context)
    return Response(html, status_code=status_code, media_type="text/html; charset=utf-8",
                    headers=SECURITY_HEADERS)


def _popularity(name: str) -> int:
    low = name.lower()
    for i, word in enumerate(POPULAR):
        if word in low:
            return i
    return len(POPULAR)


async def home(request: Request) -> Response:
    store = store_of(request)
    cats = await store.catalog.public_categories()
    sections: OrderedDict[str, list[dict[str, Any]]] = OrderedDict((k, []) for k in KIND_ORDER)
    for c in cats:
        if c["available_count"]:  # nothing to buy right now: reachable by link, not listed on the home page
            sections.setdefault(c["kind"], []).append(c)
    for items in sections.values():
        items.sort(key=lambda c: (_popularity(c["name"]), c["name"].lower()))
    return render(request, "home.html", {
        "sections": [(k, KIND_TITLES.get(k, k.title()), v) for k, v in sections.items() if v],
        "category_count": len(cats)})


GROUP_CAP = 12  # items shown in the open group before "Lihat semua": a 1,231-item brand must not render every row
CLOSED_CAP = 6  # items a collapsed group carries (seen when opened without the script)
SEARCH_CAP = 60  # matches shown for a search; narrower words show the rest
MAX_QUERY = 60


@dataclass
class GroupView:
    key: str
    name: str
    items: list[dict[str, Any]]  # what is rendered
    total: int  # items in the group (the "Lihat semua" count)
    available: int
    is_open: bool

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def group_products(products: list[dict[str, Any]], *, query: str = "", expand: str = "",
                   selected: str = "") -> list[GroupView]:
    """The category page's groups: common groups first, available items first (cheapest first), each group
    capped at GROUP_CAP unless expanded (`expand` = its key, or the group of the `selected` product)."""
    words = query.lower().split()
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in sorted(products, key=lambda p: (not p["is_available"], p["price_idr"], p["code"])):
        if p["is_below_floor"]:
            continue  # would sell at a loss: hidden until Banyu changes the markup
        if words and not all(w in p["name"].lower() or w == p["code"].lower() for w in words):
            continue
        groups.setdefault(p["group_name"] or "Item", []).append(p)
    if selected:
        expand = next((group_key(g) for g, items in groups.items() if any(p["code"] == selected for p in items)),
                      expand)
    ordered = sorted(groups.items(), key=lambda g: (group_rank(g[0]), -sum(p["is_available"] for p in g[1]), g[0]))
    views, budget = [], SEARCH_CAP
    for i, (name, items) in enumerate(ordered):
        key = group_key(name)
        available = sum(1 for p in items if p["is_available"])
        is_open = bool(words) or key == expand or (not expand and i == 0)
        if key == expand:
            shown = items
        elif words:
            shown = items[:max(budget, 0)]
            budget -= len(shown)
        else:
            shown = items[:GROUP_CAP if is_open else CLOSED_CAP]
        views.append(GroupView(key, name, shown, len(items), available, is_open))
    return views


def _query_of(request: Request) -> tuple[str, str]:
    q = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY]
    return q, request.query_params.get("grup", "")[:80]


async def _category_page(request: Request, slug: str, form: dict[str, Any] | None = None,
                         error: ApiError | None = None) -> Response:
    store = store_of(request)
    category, products = await store.catalog.view(slug)
    if category is None or not products:
        return render(request, "not_found.html", {"message": store.messages.get("unknown_category")}, 404)
    query, expand = _query_of(request)
    return render(request, "category.html", {
        "category": category, "fields": json.loads(category["fields_json"]),
        "nickname_check": bool(category["nickname_code"]),
        "groups": group_products(products, query=query, expand=expand, selected=(form or {}).get("product", "")),
        "product_total": len(products), "query": query, "form": form or {},
        "error": error and (error.message or store.messages.get(error.code, error.params)),
        "error_field": error and error.field,
    }, status_code=error.status if error else 200)


async def category(request: Request) -> Response:
    return await _category_page(request, request.path_params["slug"])


async def category_products(request: Request) -> Response:
    """The product list alone (what the page's script swaps in for a search or a "Lihat semua")."""
    store = store_of(request)
    slug = request.path_params["slug"]
    category, products = await store.catalog.view(slug)
    if category is None or not products:
        return Response("", status_code=404)
    query, expand = _query_of(request)
    return render(request, "_products.html", {
        "category": category, "groups": group_products(products, query=query, expand=expand),
        "product_total": len(products), "query": query, "form": {}})


async def checkout(request: Request) -> Response:
    store = store_of(request)
    slug = request.path_params["slug"]
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    limiter: RateLimiter = request.app.state.order_limiter
    try:
        if is_cross_site(request):
            raise ApiError(403, "cross_site")
        if not all(is_safe(v) for v in form.values()):
            raise ApiError(400, "invalid_body")
        if not limiter.allow(client_ip(request)):
            raise ApiError(429, "rate_limited")
        if not form.get("product"):
            raise ApiError(422, "choose_product", field="product")
        product = await store.catalog.product(form.get("product", ""))
        if product is not None and product["category_slug"] != slug:
            raise ApiError(422, "unknown_product", field="product")
        order = await store.orders.create(form, client_ip(request))
    except ApiError as exc:
        return await _category_page(request, slug, form, exc)
    return RedirectResponse(f"/pesanan/{order['code']}", status_code=303)


async def invoice(request: Request) -> Response:
    store = store_of(request)
    try:
        order = await store.orders.get(request.path_params["code"])
    except ApiError:
        return render(request, "not_found.html", {"message": store.messages.get("order_not_found")}, 404)
    if order["code"] != request.path_params["code"]:
        return RedirectResponse(f"/pesanan/{order['code']}", status_code=301)
    ctx = store.message_context(order)
    unit = store.gateway.unit_price_idr
    return render(request, "invoice.html", {
        "order": public_view(order), "ctx": ctx, "raw": order,
        "payment_state": payment_state(order["amount_paid_idr"], order["amount_due_idr"]),
        "units": units_for(order["amount_due_idr"], unit), "unit_idr": unit,
        "rest_units": units_for(ctx["shortfall_idr"], unit) if ctx["shortfall_idr"] else 0,
        "sandbox_payment": "trakteer" in store.sandboxes or store.gateway.name in store.sandboxes,
    })


async def lookup(request: Request) -> Response:
    store = store_of(request)
    raw = request.query_params.get("code", "").strip()
    if raw:
        # Buyers type the code in many ways: with or without "MADD-", lower case, O for 0.
        code = codes.normalise(raw) or codes.normalise(f"MADD-{raw}")
        if code:
            return RedirectResponse(f"/pesanan/{code}", status_code=303)
        return render(request, "lookup.html", {"error": store.messages.get("order_not_found"), "code": raw}, 404)
    return render(request, "lookup.html", {"code": ""})


routes = [
    Route("/", home, methods=["GET"]),
    Route("/c/{slug}", category, methods=["GET"]),
    Route("/c/{slug}", checkout, methods=["POST"]),
    Route("/c/{slug}/produk", category_products, methods=["GET"]),
    Route("/pesanan/{code}", invoice, methods=["GET"]),
    Route("/cek", lookup, methods=["GET"]),
]
