"""Shared fixtures: settings, the three partner fakes (each plugin's own sandbox emulator), the store and an
HTTP client over ASGI. PostgreSQL / Redis tests skip with a reason when the service is absent, and fail
instead when MADD_REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.settings import Settings, settings_from_dict
from core.store import RecordingJobs, Store
from plugins.notify_whatsapp.sandbox import FonnteSandbox
from plugins.payment_trakteer.sandbox import TrakteerSandbox
from plugins.providers_vipreseller.sandbox import VipResellerSandbox

DATA = Path(__file__).parent / "data"
PG_DSN = os.environ.get("MADD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MADD_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE = os.environ.get("MADD_REQUIRE_SERVICES") == "1"

VIP_ID, VIP_KEY = "test-vip-id", "test-vip-key"
TRAKTEER_TOKEN = "test-webhook-token"
OWNER = "081200000001"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    if _port_open(host, port):
        return
    reason = f"{name} is not reachable at {host}:{port}"
    if REQUIRE:
        pytest.fail(f"{reason} and MADD_REQUIRE_SERVICES=1")
    pytest.skip(reason)


def small_catalog() -> dict[str, list[dict[str, Any]]]:
    return json.loads((DATA / "catalog_small.json").read_text())


async def create_pg_database() -> str:
    import asyncpg

    name = f"madd_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def drop_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def make_settings(tmp_path: Path, **over: Any) -> Settings:
    """Settings for an in-process store with real-looking credentials pointed at the fakes."""
    store = {"var_dir": str(tmp_path / "var"), "database_url": f"sqlite+aiosqlite:///{tmp_path}/madd.db",
             "queue_url": f"sqlite:///{tmp_path}/queue.db", "public_url": "http://store.test",
             "secret_key": "test-secret-key-0123456789", "owner_whatsapp": OWNER, "sandbox": "0",
             "admin_api_token": "test-admin-token"}
    orders = {"cooldown_seconds": 420, "fulfilment_mode": "auto", "expiry_seconds": 86400}
    for key in list(over):
        if key in store or key in ("queue_name",):
            store[key] = over.pop(key)
        elif key in orders:
            orders[key] = over.pop(key)
    data = {
        "store": store, "orders": orders,
        "pricing": {"markup_percent": "5", "markup_fixed_idr": 0, "margin_floor_idr": 0},
        "limits": {"unpaid_per_whatsapp_per_hour": 1000},
        "fees": {"payment_estimate_percent": "5.7",
                 "deposit_methods": {"gopay": {"percent": "0.7", "fixed_idr": 2000}, "bank": {}}},
        "plugins": {
            "modules": ["plugins.providers_vipreseller", "plugins.payment_trakteer", "plugins.notify_whatsapp"],
            "provider": "vipreseller", "payment": "trakteer", "notifiers": ["whatsapp"],
            "config": {
                "vipreseller": {"api_id": VIP_ID, "api_key": VIP_KEY, "base_url": "http://vip.test/api"},
                "trakteer": {"page_url": "https://trakteer.id/maddstore", "unit_price_idr": "1000",
                             "webhook_token": TRAKTEER_TOKEN, "api_key": "test-trakteer-key",
                             "api_base_url": "http://trakteer.test/api"},
                "whatsapp": {"backend": "fonnte", "fonnte_token": "test-fonnte-token",
                             "fonnte_base_url": "http://fonnte.test", "send_interval_seconds": 0},
            },
        },
    }
    for key, value in over.items():
        data[key] = value
    return settings_from_dict(data)


class Fakes:
    def __init__(self) -> None:
        self.vip = VipResellerSandbox(api_id=VIP_ID, api_key=VIP_KEY, catalog=small_catalog())
        self.trakteer = TrakteerSandbox(webhook_url="http://store.test/webhooks/trakteer",
                                        webhook_token=TRAKTEER_TOKEN, api_key="test-trakteer-key")
        self.whatsapp = FonnteSandbox(token="test-fonnte-token")

    def transports(self) -> dict[str, httpx.AsyncBaseTransport]:
        return {"vipreseller": self.vip.transport(), "trakteer": httpx.ASGITransport(app=self.trakteer.app),
                "whatsapp": self.whatsapp.transport()}


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/madd.db"
        return
    need_service("PostgreSQL", "127.0.0.1", 5432)
    url = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


StoreFactory = Callable[..., Any]


@pytest.fixture
async def make_store(tmp_path: Path, fakes: Fakes) -> AsyncIterator[StoreFactory]:
    stores: list[Store] = []

    async def factory(settings: Settings | None = None, *, sync: bool = True, jobs: Any = None,
                      **over: Any) -> Store:
        s = settings or make_settings(tmp_path, **over)
        store = Store(s, transports=fakes.transports(), jobs=jobs or RecordingJobs())
        await store.connect()
        stores.append(store)
        if sync:
            await store.catalog.sync()
        return store

    yield factory
    for store in stores:
        await store.close()


@pytest.fixture
async def store(database_url: str, make_store: StoreFactory) -> Store:
    return await make_store(database_url=database_url)  # type: ignore[no-any-return]


@pytest.fixture
async def sqlite_store(make_store: StoreFactory) -> Store:
    return await make_store()  # type: ignore[no-any-return]


def client_for(store: Store) -> httpx.AsyncClient:
    from core.app import create_app

    app = create_app(store.settings, store=store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 5555)),
                             base_url="http://store.test")


@pytest.fixture
async def client(store: Store, fakes: Fakes) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(store) as c:
        fakes.trakteer.webhook_transport = c._transport
        fakes.vip.callback_url = "http://store.test/webhooks/vipreseller"
        fakes.vip.callback_transport = c._transport
        yield c


@pytest.fixture
async def sqlite_client(sqlite_store: Store, fakes: Fakes) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sqlite_store) as c:
        fakes.trakteer.webhook_transport = c._transport
        yield c
