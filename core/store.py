"""The Store: one object holding the core services, built from settings (web and worker alike)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import httpx
import jinja2
import pluggy
from databases import Database
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core import phone
from core.callbacks import Callbacks
from core.catalog.service import CatalogService
from core.db import dialect_name, make_database
from core.i18n import Messages
from core.interfaces import Notifier, PaymentGateway, ProductProvider
from core.ledger.service import Ledger
from core.migrations import migrate
from core.money import format_idr, units_for
from core.nicknames import NicknameService
from core.notifications.outbox import Outbox
from core.orders.fulfilment import Fulfilment
from core.orders.service import OrderService
from core.payments.service import PaymentService
from core.plugins import Partners, PluginHost, build_plugin_manager, call_event, resolve_partners
from core.settings import ConfigError, Settings
from core.tables import kv
from core.timeutil import iso, now_ms, wib

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


class Jobs(Protocol):
    """Where the core puts work for the worker (Huey in production; recorded in some tests)."""

    def fulfil(self, order_id: int, delay: float) -> None: ...
    def settle(self, order_id: int, delay: float) -> None: ...
    def poll(self, order_id: int, delay: float) -> None: ...
    def send_message(self, message_id: int, delay: float) -> None: ...
    def sync_catalog(self) -> None: ...


class RecordingJobs:
    """Jobs that only remember what was asked; tests then drive the work explicitly."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, float]] = []

    def fulfil(self, order_id: int, delay: float) -> None:
        self.calls.append(("fulfil", order_id, delay))

    def settle(self, order_id: int, delay: float) -> None:
        self.calls.append(("settle", order_id, delay))

    def poll(self, order_id: int, delay: float) -> None:
        self.calls.append(("poll", order_id, delay))

    def send_message(self, message_id: int, delay: float) -> None:
        self.calls.append(("send_message", message_id, delay))

    def sync_catalog(self) -> None:
        self.calls.append(("sync_catalog", 0, 0.0))

    def of(self, kind: str) -> list[tuple[int, float]]:
        return [(i, d) for k, i, d in self.calls if k == kind]


def build_templates(settings: Settings, plugin_dirs: tuple[str, ...]) -> jinja2.Environment:
    """One Jinja environment: active theme -> plugin template folders -> the default theme."""
    themes = ROOT / "themes"
    search = [themes / settings.theme / "templates", *[Path(p) for p in plugin_dirs],
              themes / "default" / "templates"]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(p) for p in search]),
                             autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=False),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["idr"] = format_idr
    env.filters["wib"] = wib
    env.filters["mask_phone"] = phone.mask
    env.filters["local_phone"] = phone.local_form
    env.filters["sn"] = serial_text
    env.globals["store_name"] = settings.store_name
    return env


_SN_PREFIX = re.compile(r"^\s*(sn|serial( number)?)\s*[:.]\s*", re.IGNORECASE)


def serial_text(note: str | None, kind: str = "") -> str:
    """A provider note as the buyer should read it: no doubled "SN:" label; a PLN token in groups of four."""
    text = _SN_PREFIX.sub("", note or "").strip()
    digits = text.replace(" ", "").replace("-", "")
    if kind == "pln" and digits.isdigit() and len(digits) == 20:
        return " ".join(digits[i:i + 4] for i in range(0, 20, 4))
    return text


class Store:
    def __init__(self, settings: Settings, *, transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
                 jobs: Jobs | None = None, extra_plugins: list[Any] | None = None,
                 database: Database | None = None) -> None:
        self.settings = settings
        self.db = database or make_database(settings.database_url)
        self.pm: pluggy.PluginManager = build_plugin_manager(settings, extra=extra_plugins)
        self.host = PluginHost(settings=settings, transports=dict(transports or {}))
        self.partners: Partners = resolve_partners(self.pm, self.host)
        self.provider: ProductProvider = self.partners.provider
        self.gateway: PaymentGateway = self.partners.gateway
        self.notifiers: Mapping[str, Notifier] = self.partners.notifiers
        emulated = self.sandboxes
        if settings.sandbox is None and self.gateway.name in emulated and self.provider.name not in emulated:
            # A live provider paid through an emulated tip page would hand out real goods for free.
            raise ConfigError(f"the payment gateway {self.gateway.name!r} would run sandboxed (its credentials, e.g. "
                              "TRAKTEER_PAGE_URL and TRAKTEER_WEBHOOK_TOKEN, are missing) while the provider "
                              f"{self.provider.name!r} is live: set them, or MADD_SANDBOX=1 to emulate every partner")
        self.templates = build_templates(settings, self.partners.template_dirs)
        theme_dir = ROOT / "themes"
        self.messages = Messages([theme_dir / settings.theme / "messages.yaml",
                                  theme_dir / "default" / "messages.yaml"])
        self.jobs: Jobs = jobs or RecordingJobs()
        self.catalog = CatalogService(self)
        self.orders = OrderService(self)
        self.payments = PaymentService(self)
        self.fulfilment = Fulfilment(self)
        self.outbox = Outbox(self)
        self.nicknames = NicknameService(self)
        self.callbacks = Callbacks(self)
        self.ledger = Ledger(self)

    @property
    def sandboxes(self) -> dict[str, Any]:
        return self.host.sandboxes

    async def connect(self, *, migrate_schema: bool = True) -> None:
        await self.db.connect()
        if migrate_schema:
            await migrate(self.db)

    async def close(self) -> None:
        await self.db.disconnect()

    # ---- events -------------------------------------------------------------------------------

    async def emit(self, hook: str, **kwargs: Any) -> None:
        await call_event(self.pm, hook, store=self, **kwargs)

    async def alert_owner(self, kind: str, context: dict[str, Any], key: str) -> None:
        log.warning("owner alert %s: %s", kind, context)
        await self.emit("owner_alert", kind=kind, context={**context, "alert_key": key})

    # ---- small key/value state (provider balance, last sync…) ---------------------------------

    async def kv_get(self, key: str) -> str | None:
        value = await self.db.fetch_val(select(kv.c.value).where(kv.c.key == key))
        return str(value) if value is not None else None

    async def kv_int(self, key: str) -> int | None:
        value = await self.kv_get(key)
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    async def kv_set(self, key: str, value: str) -> None:
        ins = (sqlite_insert if dialect_name(self.db) == "sqlite" else pg_insert)(kv)
        q = ins.values(key=key, value=value, updated_at=now_ms())
        q = q.on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": now_ms()})
        await self.db.execute(q)

    # ---- what templates and messages see --------------------------------------------------------

    def invoice_url(self, code: str) -> str:
        return f"{self.settings.public_url}/pesanan/{code}"

    def message_context(self, order: Mapping[str, Any]) -> dict[str, Any]:
        due, paid = order["amount_due_idr"], order["amount_paid_idr"]
        shortfall = max(due - paid, 0)
        unit = self.gateway.unit_price_idr
        target = json.loads(order["target_json"])
        return {
            "code": order["code"], "status": order["status"], "product_name": order["product_name"],
            "category_name": order["category_name"], "amount_due_idr": due, "amount_paid_idr": paid,
            "shortfall_idr": shortfall, "refund_owed_idr": order["refund_owed_idr"],
            "target": target,
            "target_text": " / ".join(phone.local_form(str(v)) if k == "phone" else str(v) for k, v in target.items()),
            "nickname": order["nickname"] or "", "whatsapp": order["whatsapp"],
            "invoice_url": self.invoice_url(order["code"]),
            "pay_url": self.gateway.pay_url(order["code"], due),
            "pay_rest_url": (self.gateway.pay_url(order["code"], units_for(shortfall, unit) * unit)
                             if shortfall else ""),
            "fulfil_at": iso(order["fulfil_at"]), "fulfil_at_wib": wib(order["fulfil_at"], "%H:%M"),
            "provider_note": order["provider_note"] or "", "store_name": self.settings.store_name,
            "kind": order["kind"],
        }
