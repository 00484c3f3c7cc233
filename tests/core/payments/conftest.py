"""Helpers for the payment tests: create orders, post Trakteer webhooks, count rows."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from core.store import Store
from core.tables import orders, payment_events, payments
from tests.conftest import TRAKTEER_TOKEN
from tests.helpers import webhook_headers

DATA = Path(__file__).resolve().parents[2] / "data" / "trakteer"
ML = {"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812-3456-7890"}


def fixture_text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads(fixture_text(name))  # type: ignore[no-any-return]


async def count(store: Store, table: Any) -> int:
    return int(await store.db.fetch_val(select(func.count()).select_from(table)))


async def payment_rows(store: Store) -> list[dict[str, Any]]:
    rows = await store.db.fetch_all(select(payments).order_by(payments.c.id))
    return [dict(r._mapping) for r in rows]


async def event_rows(store: Store) -> list[dict[str, Any]]:
    rows = await store.db.fetch_all(select(payment_events).order_by(payment_events.c.id))
    return [dict(r._mapping) for r in rows]


async def new_order(store: Store, **data: Any) -> dict[str, Any]:
    return await store.orders.create({**ML, **data})


async def set_order(store: Store, order_id: int, **values: Any) -> None:
    await store.db.execute(update(orders).where(orders.c.id == order_id).values(**values))


PostTip = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def post_tip(client: httpx.AsyncClient) -> PostTip:
    """POST a webhook body (dict -> JSON, or raw str/bytes) with the right token unless told otherwise."""

    async def post(data: dict[str, Any] | str | bytes, token: str | None = TRAKTEER_TOKEN,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        if isinstance(data, dict):
            content = json.dumps(data, ensure_ascii=False).encode()
        else:
            content = data.encode() if isinstance(data, str) else data
        hdrs = headers if headers is not None else (
            webhook_headers(token) if token is not None else {"Content-Type": "application/json"})
        return await client.post("/webhooks/trakteer", content=content, headers=hdrs)

    return post
