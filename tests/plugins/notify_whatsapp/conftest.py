"""Shared fixtures for the WhatsApp plugin tests: partner fixtures, a fake core `store`, a Jinja env."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest

from core.money import format_idr
from core.store import serial_text
from plugins.notify_whatsapp.hooks import TEMPLATE_DIR

DATA = Path(__file__).resolve().parents[2] / "data" / "whatsapp"
_CODE = re.compile(r"\bMADD-[0-9A-Z]{6}\b", re.IGNORECASE)


@pytest.fixture
def wa_fixture():
    def load(name: str) -> Any:
        return json.loads((DATA / name).read_text(encoding="utf-8"))
    return load


@pytest.fixture
def wa_fixture_bytes():
    def load(name: str) -> bytes:
        return (DATA / name).read_bytes()
    return load


def sample_context(**overrides: Any) -> dict[str, Any]:
    ctx = {
        "code": "MADD-7KQ2XD", "status": "awaiting_payment", "product_name": "86 Diamonds & Bonus",
        "amount_due_idr": 24000, "amount_paid_idr": 20000, "shortfall_idr": 4000,
        "target_text": "12345678 (2001)", "nickname": "Banyu🔥", "whatsapp": "6281234567890",
        "invoice_url": "http://127.0.0.1:8000/orders/MADD-7KQ2XD",
        "pay_rest_url": "http://127.0.0.1:8000/orders/MADD-7KQ2XD/pay",
        "fulfil_at_wib": "14:07", "provider_note": "SN 0123456789", "store_name": "Madd Store",
        "kind": "game",
    }
    ctx.update(overrides)
    return ctx


class FakeOutbox:
    def __init__(self) -> None:
        self.enqueued: list[dict[str, Any]] = []
        self.keys: set[str] = set()
        self.deliveries: list[tuple[str, str, str]] = []
        self.fail_kinds: set[str] = set()
        self.fail_delivery = False

    async def enqueue(self, *, channel: str, recipient: str, template: str, context: dict[str, Any],
                      key: str, kind: str, order_id: Any = None) -> int | None:
        if kind in self.fail_kinds:
            raise RuntimeError("database is locked")
        if key in self.keys:
            return None
        self.keys.add(key)
        self.enqueued.append({"channel": channel, "recipient": recipient, "template": template,
                              "context": context, "key": key, "kind": kind, "order_id": order_id})
        return len(self.enqueued)

    async def mark_delivery(self, channel: str, message_id: str, status: str) -> None:
        if self.fail_delivery:
            raise RuntimeError("database is locked")
        self.deliveries.append((channel, message_id, status))


class FakeOrders:
    def __init__(self, orders: dict[str, dict[str, Any]]) -> None:
        self.orders = orders

    def find_code(self, text: str) -> str | None:
        found = _CODE.search(text or "")
        return found.group(0).upper() if found else None

    async def get_by_code(self, code: str) -> dict[str, Any] | None:
        return self.orders.get(code)


class FakeStore:
    """The slice of the core services the plugin uses, recording every call."""

    def __init__(self, owner_whatsapp: str = "0857-0000-0000") -> None:
        self.settings = SimpleNamespace(owner_whatsapp=owner_whatsapp, store_name="Madd Store")
        self.outbox = FakeOutbox()
        self.order = {"id": 7, "code": "MADD-7KQ2XD", "status": "awaiting_payment",
                      "whatsapp": "6281234567890", "fulfil_at": None,
                      "updated_at": "2025-11-20T07:00:00+00:00"}
        self.orders = FakeOrders({"MADD-7KQ2XD": self.order})

    def message_context(self, order: dict[str, Any]) -> dict[str, Any]:
        return sample_context(code=order["code"], status=order["status"], whatsapp=order["whatsapp"])

    def sent(self) -> list[tuple[str, str, str]]:
        return [(e["kind"], e["recipient"], e["key"]) for e in self.outbox.enqueued]


@pytest.fixture
def fake_store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def sample_ctx():
    return sample_context


@pytest.fixture(params=["autoescape_on", "txt_not_escaped"])
def jinja_env(request: pytest.FixtureRequest) -> jinja2.Environment:
    """Like the core's env: the `idr` filter, strict undefined; autoescape on for everything or HTML only."""
    autoescape: Any = True if request.param == "autoescape_on" else jinja2.select_autoescape(["html"])
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=autoescape,
                             undefined=jinja2.StrictUndefined)
    env.filters["idr"] = format_idr
    env.filters["sn"] = serial_text
    return env
