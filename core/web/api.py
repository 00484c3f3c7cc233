"""The JSON API of DESIGN.md §6: catalog, nickname, orders, order status, and the admin API."""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.catalog.service import rules_from_row
from core.errors import ApiError, invalid
from core.orders import repo as orders_repo
from core.orders.service import private_view, public_view, validate_target
from core.orders.states import Status
from core.ratelimit import RateLimiter
from core.timeutil import iso
from core.web.common import client_ip, is_cross_site, read_json_object, store_of

ADMIN_ACTIONS = ("send-now", "confirm", "hold", "release", "cancel", "retry", "mark-delivered", "resend-message")


def category_json(category: dict[str, Any], products: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"slug": category["slug"], "name": category["name"], "kind": category["kind"],
                           "product_count": category["product_count"]}
    if products is not None:
        out["fields"] = json.loads(category["fields_json"])
        out["nickname_check"] = bool(category["nickname_code"])
        out["products"] = [{"code": p["code"], "name": p["name"], "price_idr": p["price_idr"],
                            "available": bool(p["is_available"] and not p["is_below_floor"]),
                            "group": p["group_name"]} for p in products]
    return out


async def catalog(request: Request) -> JSONResponse:
    cats = await store_of(request).catalog.public_categories()
    return JSONResponse({"categories": [category_json(c) for c in cats]})


async def catalog_detail(request: Request) -> JSONResponse:
    category, products = await store_of(request).catalog.view(request.path_params["slug"])
    if category is None or not products:  # unknown, disabled, or e.g. a brand of login-only products
        raise ApiError(404, "unknown_category")
    return JSONResponse(category_json({**category, "product_count": len(products)}, products))


def refuse_cross_site(request: Request) -> None:
    """Order and nickname calls from another site's page (a visitor's browser used to spam) are refused."""
    if is_cross_site(request):
        raise ApiError(403, "cross_site")


async def nickname(request: Request) -> JSONResponse:
    store = store_of(request)
    refuse_cross_site(request)
    data = await read_json_object(request)
    slug = data.get("category")
    category = await store.catalog.category(slug) if isinstance(slug, str) else None
    if category is None:
        raise invalid("unknown_category", "category")
    rules = rules_from_row(category)
    if not rules.has_nickname_check:
        return JSONResponse({"nickname": None, "nickname_check": False})
    target = validate_target(rules, data)
    name = await store.nicknames.require(category, rules, target, client_ip(request))
    return JSONResponse({"nickname": name})


async def create_order(request: Request) -> JSONResponse:
    store = store_of(request)
    refuse_cross_site(request)
    limiter: RateLimiter = request.app.state.order_limiter
    if not limiter.allow(client_ip(request)):
        raise ApiError(429, "rate_limited")
    data = await read_json_object(request)
    order = await store.orders.create(data, client_ip(request))
    return JSONResponse(order_created_json(store, order), status_code=201)


def order_created_json(store: Any, order: dict[str, Any]) -> dict[str, Any]:
    return {"code": order["code"], "status": order["status"], "amount_due_idr": order["amount_due_idr"],
            "pay_url": store.gateway.pay_url(order["code"], order["amount_due_idr"]),
            "invoice_url": store.invoice_url(order["code"]), "expires_at": iso(order["expires_at"])}


async def order_status(request: Request) -> JSONResponse:
    order = await store_of(request).orders.get(request.path_params["code"])
    return JSONResponse(public_view(order))


# ---- admin API ------------------------------------------------------------------------------------

def require_admin_token(request: Request) -> None:
    token = store_of(request).settings.admin_api_token
    if not token:
        raise ApiError(403, "admin_api_disabled")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.get().encode()):
        raise ApiError(401, "unauthorized", "Missing or wrong bearer token.")


async def admin_orders(request: Request) -> JSONResponse:
    require_admin_token(request)
    store = store_of(request)
    status = request.query_params.get("status") or None
    if status and status not in {s.value for s in Status}:
        raise invalid("invalid_field", "status", label="status")
    try:
        after = int(request.query_params.get("after") or 0) or None
        limit = min(max(int(request.query_params.get("limit") or 50), 1), 200)
        if after is not None and not 0 < after < 2**31:
            raise ValueError
    except ValueError:
        raise invalid("invalid_field", "after", label="after/limit") from None
    rows = await orders_repo.list_orders(store.db, status=status, before_id=after, limit=limit)
    next_after = rows[-1]["id"] if len(rows) == limit else None
    return JSONResponse({"orders": [private_view(r) for r in rows], "next_after": next_after})


async def admin_action(request: Request) -> JSONResponse:
    require_admin_token(request)
    store = store_of(request)
    action = request.path_params["action"]
    if action not in ADMIN_ACTIONS:
        raise ApiError(404, "unknown_action")
    body = await read_json_object(request) if (await request.body()).strip() else {}
    order = await store.orders.act(request.path_params["code"], action, "admin-api", body)
    return JSONResponse(private_view(order))


async def admin_order(request: Request) -> JSONResponse:
    require_admin_token(request)
    store = store_of(request)
    order = await store.orders.get(request.path_params["code"])
    return JSONResponse({**private_view(order), "timeline": [
        {**e, "at": iso(e["at"])} for e in await store.orders.timeline(order["id"])]})


routes = [
    Route("/api/catalog", catalog, methods=["GET"]),
    Route("/api/catalog/{slug}", catalog_detail, methods=["GET"]),
    Route("/api/nickname", nickname, methods=["POST"]),
    Route("/api/orders", create_order, methods=["POST"]),
    Route("/api/orders/{code}", order_status, methods=["GET"]),
    Route("/api/admin/orders", admin_orders, methods=["GET"]),
    Route("/api/admin/orders/{code}", admin_order, methods=["GET"]),
    Route("/api/admin/orders/{code}/{action}", admin_action, methods=["POST"]),
]
