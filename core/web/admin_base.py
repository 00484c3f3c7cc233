"""What every admin page shares: the session login check, CSRF (token + same-origin), rendering, flashes.

Rules: every GET page redirects an anonymous visitor to the login page; every POST is refused without a
login (401), without the session's CSRF token, or when the browser says it comes from another site
(Origin / Referer / Sec-Fetch-Site) (403 `csrf_failed`). Pages are rendered from `admin/*.html` (Bahasa
Indonesia lives there, never here) with `Cache-Control: no-store` and a strict Content-Security-Policy.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from core.auth import get_admin, session_fingerprint
from core.errors import ApiError
from core.money import format_idr
from core.web.common import store_of

Handler = Callable[[Request], Awaitable[Response]]

SESSION_KEY = "admin"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; media-src 'self' data:; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'none'; object-src 'none'"),
}
_UNSET = object()
NAV = (("dashboard", "/admin"), ("orders", "/admin/orders"), ("payments", "/admin/payments"),
       ("messages", "/admin/messages"), ("catalog", "/admin/catalog"), ("deposits", "/admin/deposits"),
       ("report", "/admin/report"), ("settings", "/admin/settings"))


# ---- session ------------------------------------------------------------------------------------

def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = request.session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


async def current_admin(request: Request) -> dict[str, Any] | None:
    """The logged-in admin row, or None. A session signed before a password change no longer counts."""
    cached = getattr(request.state, "admin_row", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    data = request.session.get(SESSION_KEY)
    admin = None
    if isinstance(data, dict) and isinstance(data.get("u"), str):
        row = await get_admin(store_of(request).db, data["u"])
        if row is not None and hmac.compare_digest(session_fingerprint(row), str(data.get("fp", ""))):
            admin = row
    request.state.admin_row = admin
    return admin


def log_in(request: Request, admin: dict[str, Any]) -> None:
    # A fresh session (and CSRF token) at login: nothing from before the login carries over.
    request.session.clear()
    request.session[SESSION_KEY] = {"u": admin["username"], "fp": session_fingerprint(admin)}
    csrf_token(request)
    request.state.admin_row = admin


def actor(request: Request) -> str:
    admin = getattr(request.state, "admin_row", None)
    return f"admin:{admin['username']}"[:40] if admin else "admin"


def flash(request: Request, key: str, kind: str = "ok", **params: Any) -> None:
    """A one-shot notice for the next page; `key` is looked up in admin/_macros.html. Int params are Rupiah."""
    shown = {k: format_idr(v) if isinstance(v, int) and not isinstance(v, bool) else str(v)
             for k, v in params.items()}
    request.session["flash"] = {"key": key, "kind": kind, "params": shown}


def flash_error(request: Request, exc: ApiError, **params: Any) -> None:
    """A refused action as a notice: the theme's Indonesian text for its code (admin/_macros.html first)."""
    text = exc.message or store_of(request).messages.get(exc.code, exc.params)
    flash(request, exc.code, "error", message=text, **params)


# ---- same-origin check ----------------------------------------------------------------------------

def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def is_same_origin(request: Request) -> bool:
    """False when the browser tells us the request comes from another site."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return False
    claimed = request.headers.get("origin")
    if not claimed:
        referer = request.headers.get("referer")
        if not referer:
            return True  # some privacy tools strip both; the CSRF token still has to match
        claimed = _origin_of(referer) or "null"
    allowed = {_origin_of(store_of(request).settings.public_url), _origin_of(str(request.base_url))}
    return claimed.strip().lower() in allowed


async def csrf_ok(request: Request) -> bool:
    if not is_same_origin(request):
        return False
    expected = request.session.get(CSRF_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())  # type: ignore[union-attr]


# ---- responses ------------------------------------------------------------------------------------

def secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    store = store_of(request)
    notice = request.session.pop("flash", None) if "flash" in request.session else None
    html = store.templates.get_template(name).render(
        request=request, admin=getattr(request.state, "admin_row", None), csrf_token=csrf_token(request),
        csrf_field=CSRF_FIELD, flash=notice, nav=NAV, settings=store.settings, theme_messages=store.messages,
        **(context or {}))
    return secure(HTMLResponse(html, status_code=status_code))


def refuse(request: Request, status: int, code: str) -> Response:
    """A refused admin request: JSON for scripts, a small page for browsers."""
    if "application/json" in request.headers.get("accept", "") or \
            request.headers.get(CSRF_HEADER) is not None:
        return secure(JSONResponse({"error": {"code": code, "message": store_of(request).messages.get(code)}},
                                   status_code=status))
    return render(request, "admin/refused.html", {"code": code}, status)


def safe_next(value: str | None, default: str = "/admin") -> str:
    """Only local admin paths: never an open redirect to another site."""
    if value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def page(handler: Handler) -> Handler:
    """A GET page: anonymous visitors are sent to the login page."""
    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        if await current_admin(request) is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return secure(RedirectResponse(f"/admin/login?next={quote(target, safe='')}", status_code=303))
        return secure(await handler(request))
    return wrapper


def action(handler: Handler) -> Handler:
    """A POST: needs a login (401), then a same-origin request with the session's CSRF token (403)."""
    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        if await current_admin(request) is None:
            return refuse(request, 401, "login_required")
        if not await csrf_ok(request):
            return refuse(request, 403, "csrf_failed")
        return secure(await handler(request))
    return wrapper


async def form_of(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
