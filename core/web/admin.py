"""The admin area (/admin): Banyu runs the shop from his phone. Session login, CSRF-protected forms.

Pages live in `core/web/admin_*.py` (one concern each); this module lists their routes and installs what
they need on the app: the signed session cookie (HttpOnly, SameSite=Lax, Secure when the public URL is
https, scoped to /admin) and the login rate limiter.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route

from core.settings import Settings
from core.web import (
    admin_catalog,
    admin_dashboard,
    admin_ledger,
    admin_login,
    admin_messages,
    admin_orders,
    admin_payments,
)
from core.web import admin_settings as admin_config

log = logging.getLogger(__name__)

SESSION_COOKIE = "madd_admin"
SESSION_MAX_AGE = 7 * 24 * 3600


routes: list[Any] = [
    Route("/admin", admin_dashboard.dashboard, methods=["GET"]),
    Route("/admin/login", admin_login.login_form, methods=["GET"]),
    Route("/admin/login", admin_login.login, methods=["POST"]),
    Route("/admin/logout", admin_login.logout, methods=["POST"]),
    Route("/admin/events", admin_dashboard.events, methods=["GET"]),
    Route("/admin/balance/refresh", admin_dashboard.refresh_balance, methods=["POST"]),
    Route("/admin/orders", admin_orders.order_list, methods=["GET"]),
    Route("/admin/orders/{code}", admin_orders.order_detail, methods=["GET"]),
    Route("/admin/orders/{code}/{action}", admin_orders.order_action, methods=["POST"]),
    Route("/admin/payments", admin_payments.inbox, methods=["GET"]),
    Route("/admin/payments/{payment_id:int}/assign", admin_payments.assign, methods=["POST"]),
    Route("/admin/payments/{payment_id:int}/mark", admin_payments.mark, methods=["POST"]),
    Route("/admin/messages", admin_messages.message_log, methods=["GET"]),
    Route("/admin/messages/{message_id:int}/resend", admin_messages.resend, methods=["POST"]),
    Route("/admin/catalog", admin_catalog.catalog, methods=["GET"]),
    Route("/admin/catalog/toggle", admin_catalog.toggle, methods=["POST"]),
    Route("/admin/catalog/sync", admin_catalog.sync_now, methods=["POST"]),
    Route("/admin/catalog/overrides", admin_catalog.save_override, methods=["POST"]),
    Route("/admin/catalog/overrides/{override_id:int}/delete", admin_catalog.delete_override, methods=["POST"]),
    Route("/admin/deposits", admin_ledger.deposits, methods=["GET"]),
    Route("/admin/deposits", admin_ledger.record_deposit, methods=["POST"]),
    Route("/admin/report", admin_ledger.report, methods=["GET"]),
    Route("/admin/report.csv", admin_ledger.report_csv, methods=["GET"]),
    Route("/admin/settings", admin_config.settings_view, methods=["GET"]),
    Route("/admin/settings/test/{partner}", admin_config.test_partner, methods=["POST"]),
]


def install(app: Starlette, settings: Settings) -> None:
    """Add the session middleware and the admin area's per-app state."""
    key = settings.secret_key.get()
    if not key:
        # Settings always carry a key (generated into var/); without one, sessions end with the process.
        log.warning("no secret key: admin sessions will not survive a restart")
        key = secrets.token_urlsafe(48)
    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE,
                       path="/admin", same_site="lax", https_only=settings.public_url.startswith("https://"))
    app.state.admin_login_limiter = admin_login.login_limiter()
    app.state.admin_streams = 0
    app.state.admin_stream_interval = 2.0
