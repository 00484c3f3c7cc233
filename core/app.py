"""The ASGI application: `create_app(settings) -> Starlette`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core.errors import ApiError
from core.ratelimit import RateLimiter
from core.settings import Settings
from core.store import ROOT, Store
from core.web import api, storefront, webhooks
from core.web.common import error_response, store_of

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    store = store_of(request)
    try:
        await store.db.fetch_val("SELECT 1")
        database = "ok"
    except Exception:
        database = "down"
    queue = "ok"
    huey = getattr(getattr(store.jobs, "queue", None), "huey", None)
    if huey is not None:
        try:
            await asyncio.wait_for(asyncio.to_thread(huey.pending_count), timeout=3)
        except Exception:
            queue = "down"
    ok = database == "ok" and queue == "ok"
    body = {"status": "ok" if ok else "degraded", "database": database, "queue": queue}
    return JSONResponse(body, status_code=200 if database == "ok" else 503)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/webhooks/", "/healthz")) or \
        "application/json" in request.headers.get("accept", "")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if not _wants_json(request):
        return storefront.render(request, "not_found.html" if exc.status == 404 else "error.html",
                                 {"message": exc.message or store_of(request).messages.get(exc.code, exc.params)},
                                 exc.status)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    if _wants_json(request):
        return JSONResponse({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code)
    return storefront.render(request, "not_found.html" if exc.status_code == 404 else "error.html",
                             {"message": str(exc.detail)}, exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": {"code": "internal_error", "message": "Internal error."}}, status_code=500)


def create_app(settings: Settings, *, store: Store | None = None, manage_store: bool | None = None,
               **store_kwargs: Any) -> Starlette:
    """Build the app. Pass `store` to share one with a test; otherwise one is built from settings."""
    if store is None:
        if "jobs" not in store_kwargs:
            from core.queue import HueyJobs, build_queue

            store_kwargs["jobs"] = HueyJobs(build_queue(settings))
        store = Store(settings, **store_kwargs)
        manage = True if manage_store is None else manage_store
    else:
        manage = bool(manage_store)
    the_store = store

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage:
            await the_store.connect()
        try:
            yield
        finally:
            if manage:
                await the_store.close()

    from core.web import admin

    routes: list[Any] = [
        Route("/healthz", healthz, methods=["GET"]),
        *api.routes,
        Route(f"/webhooks/{store.gateway.name}", webhooks.payment_webhook, methods=["POST"]),
        Route(f"/webhooks/{store.provider.name}", webhooks.provider_webhook, methods=["POST"]),
        *store.partners.routes,
        *admin.routes,
        *storefront.routes,
        Mount("/static", app=StaticFiles(directory=str(ROOT / "themes" / "default" / "static")), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        ApiError: _api_error, HTTPException: _http_error, Exception: _server_error})
    app.state.store = store
    app.state.settings = settings
    app.state.order_limiter = RateLimiter(settings.order_rate_per_minute)
    admin.install(app, settings)
    return app
