"""Fixtures for the admin area: a store with one admin, and HTTP clients logged in (or not) over ASGI."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from core.auth import create_admin
from core.interfaces import PaymentNotice
from core.store import Store
from core.timeutil import now
from tests.conftest import Fakes, StoreFactory, client_for

ADMIN_PASSWORD = "rahasia-banyu-123"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


async def login(client: httpx.AsyncClient, password: str = ADMIN_PASSWORD, username: str = "admin",
                **headers: str) -> httpx.Response:
    page = await client.get("/admin/login")
    token = csrf_of(page.text)
    return await client.post("/admin/login", data={"username": username, "password": password,
                                                   "csrf_token": token, "next": "/admin"}, headers=headers)


async def form_post(client: httpx.AsyncClient, page_url: str, url: str, data: dict[str, Any] | None = None,
                    **headers: str) -> httpx.Response:
    """Submit a form the way the browser does: take the CSRF token from the page first."""
    token = csrf_of((await client.get(page_url)).text)
    return await client.post(url, data={"csrf_token": token, **(data or {})}, headers=headers)


@pytest.fixture
async def admin_store(make_store: StoreFactory) -> Store:
    store: Store = await make_store()
    await create_admin(store.db, "admin", ADMIN_PASSWORD)
    return store


@pytest.fixture
async def anon(admin_store: Store, fakes: Fakes) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(admin_store) as c:
        fakes.trakteer.webhook_transport = c._transport
        yield c


@pytest.fixture
async def admin(anon: httpx.AsyncClient) -> httpx.AsyncClient:
    r = await login(anon)
    assert r.status_code == 303, r.text
    return anon


ML = {"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812-3456-7890"}


async def new_order(store: Store, **over: Any) -> dict[str, Any]:
    return await store.orders.create({**ML, **over}, "203.0.113.50")


async def pay(store: Store, message: str, amount: int = 24000, *, at: datetime | None = None,
              net: int | None = None, name: str = "Budi") -> str:
    """A Trakteer payment as the webhook would bring it; returns what the payments service did."""
    notice = PaymentNotice(external_id=f"tx-{uuid.uuid4()}", amount_idr=amount, paid_at=at or now(),
                           net_amount_idr=net if net is not None else amount * 94 // 100,
                           quantity=amount // 1000, payer_name=name, message=message)
    return await store.payments.apply_notice(notice, source="webhook")


async def paid_order(store: Store, **over: Any) -> dict[str, Any]:
    order = await new_order(store, **over)
    assert await pay(store, order["code"], order["amount_due_idr"]) == "matched"
    return await store.orders.get(order["code"])
