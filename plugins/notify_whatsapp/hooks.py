"""Hook implementations of the WhatsApp notifier plugin (thin: the work lives in the modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import hookimpl
from core.interfaces import Notifier

from . import listeners
from .factory import build_notifier, read_config
from .routes import build_routes

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@hookimpl
def register_notifiers(host: Any) -> list[Notifier]:
    return [build_notifier(host)]


@hookimpl
def register_template_dirs(host: Any) -> list[str]:
    return [str(TEMPLATE_DIR)]


@hookimpl
def register_routes(host: Any) -> list[Any]:
    return build_routes(read_config(host.config("whatsapp")), host.sandboxes.get("whatsapp"))


@hookimpl
async def order_created(store: Any, order: Any) -> None:
    await listeners.order_created(store, order)


@hookimpl
async def payment_recorded(store: Any, order: Any, payment: Any) -> None:
    await listeners.payment_recorded(store, order, payment)


@hookimpl
async def order_status_changed(store: Any, order: Any, old: str, new: str, reason: str) -> None:
    await listeners.order_status_changed(store, order, old, new, reason)


@hookimpl
async def payment_unmatched(store: Any, payment: Any) -> None:
    await listeners.payment_unmatched(store, payment)


@hookimpl
async def owner_alert(store: Any, kind: str, context: dict[str, Any]) -> None:
    await listeners.owner_alert(store, kind, context)
