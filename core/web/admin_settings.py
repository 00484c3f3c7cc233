"""The settings view (effective configuration, secrets masked), plugins, sandboxes, partner connection tests."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.plugins import plugin_infos
from core.web.admin_base import action, flash, page, render
from core.web.common import store_of

log = logging.getLogger(__name__)

TEST_TIMEOUT_SECONDS = 8.0


def mask_url(value: str) -> str:
    """`postgresql://user:pw@host/db` -> `postgresql://user:********@host/db` (DSNs carry passwords)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if not parts.password:
        return value
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:********@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return mask_url(value)
    return value


def partners(store: Any) -> list[dict[str, str]]:
    out = [{"id": "provider", "role": "provider", "name": store.provider.name},
           {"id": "gateway", "role": "gateway", "name": store.gateway.name}]
    for name, notifier in store.notifiers.items():
        out.append({"id": f"notifier-{name}", "role": "notifier", "name": name,
                    "testable": "1" if callable(getattr(notifier, "health", None)) else ""})
    for p in out:
        p.setdefault("testable", "1")
        p["sandboxed"] = "1" if p["name"] in store.sandboxes else ""
    return out


@page
async def settings_view(request: Request) -> Response:
    store = store_of(request)
    return render(request, "admin/settings.html", {
        "config": _clean(store.settings.public_dict()), "plugins": plugin_infos(store.pm),
        "partners": partners(store), "sandboxes": sorted(store.sandboxes),
        "has_reconciliation": getattr(store.gateway, "has_reconciliation", True),
    })


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def check_partner(store: Any, partner: str) -> tuple[bool, str, dict[str, Any]]:
    """(ok, message key, params). Never raises: a failed check is a result."""
    try:
        if partner == "provider":
            balance = await asyncio.wait_for(store.provider.fetch_balance(), TEST_TIMEOUT_SECONDS)
            return (balance is not None, "test_balance" if balance is not None else "test_no_answer",
                    {"name": store.provider.name, "balance": balance})
        if partner == "gateway":
            if not getattr(store.gateway, "has_reconciliation", True):
                return False, "test_gateway_no_key", {"name": store.gateway.name}
            balance = await asyncio.wait_for(store.gateway.fetch_balance(), TEST_TIMEOUT_SECONDS)
            return (balance is not None, "test_balance" if balance is not None else "test_no_answer",
                    {"name": store.gateway.name, "balance": balance})
        if partner.startswith("notifier-") and partner[9:] in store.notifiers:
            name = partner[9:]
            health = getattr(store.notifiers[name], "health", None)
            if not callable(health):
                return False, "test_no_check", {"name": name}
            result = await asyncio.wait_for(_maybe_await(health()), TEST_TIMEOUT_SECONDS)
            if result is None:
                return False, "test_no_check", {"name": name}
            ok = bool(getattr(result, "is_ok", result))
            return ok, "test_health", {"name": name, "status": str(getattr(result, "status", "")),
                                       "detail": str(getattr(result, "detail", ""))[:200]}
    except Exception as exc:  # the check's job is to report the failure, whatever it is
        log.warning("connection test of %s failed: %s", partner, exc.__class__.__name__)
        return False, "test_error", {"name": partner, "error": exc.__class__.__name__}
    return False, "test_unknown", {"name": partner}


@action
async def test_partner(request: Request) -> Response:
    ok, key, params = await check_partner(store_of(request), request.path_params["partner"])
    flash(request, key, "ok" if ok else "error", **params)
    return RedirectResponse("/admin/settings", status_code=303)
