"""Login and logout for the admin area (session cookie, CSRF token, per-IP rate limit)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.auth import authenticate
from core.ratelimit import RateLimiter
from core.web.admin_base import (
    action,
    csrf_ok,
    current_admin,
    form_of,
    log_in,
    refuse,
    render,
    safe_next,
    secure,
)
from core.web.common import client_ip, store_of

log = logging.getLogger(__name__)

LOGIN_ATTEMPTS = 10  # per IP ...
LOGIN_WINDOW_SECONDS = 300.0  # ... per 5 minutes


def login_limiter() -> RateLimiter:
    return RateLimiter(LOGIN_ATTEMPTS, LOGIN_WINDOW_SECONDS)


async def login_form(request: Request) -> Response:
    nxt = safe_next(request.query_params.get("next"))
    if await current_admin(request) is not None:
        return secure(RedirectResponse(nxt, status_code=303))
    return render(request, "admin/login.html", {"next": nxt, "username": "admin"})


async def login(request: Request) -> Response:
    # Login CSRF: a cross-site form must not log the browser into our admin with someone else's account.
    if not await csrf_ok(request):
        return refuse(request, 403, "csrf_failed")
    limiter: RateLimiter = request.app.state.admin_login_limiter
    ip = client_ip(request)
    form = await form_of(request)
    nxt = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    if not limiter.allow(ip):
        log.warning("admin login rate limit hit from %s", ip)
        return render(request, "admin/login.html", {"next": nxt, "username": username, "error": "rate_limited"},
                      429)
    admin = await authenticate(store_of(request).db, username, form.get("password", ""))
    if admin is None:
        log.warning("failed admin login from %s", ip)
        return render(request, "admin/login.html", {"next": nxt, "username": username, "error": "login_failed"},
                      401)
    log.info("admin %s logged in from %s", admin["username"], ip)
    log_in(request, admin)
    return secure(RedirectResponse(nxt, status_code=303))


@action
async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/admin/login", status_code=303)
