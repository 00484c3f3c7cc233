"""A real store served by uvicorn on a free 127.0.0.1 port, in a background thread, for browser tests and
`make screenshots`. The partners are the plugins' own emulators (the test fakes); the database is a SQLite
file. `LiveStore.call(fn)` runs `await fn(store)` on the server's event loop (the store belongs to it)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

from core.app import create_app
from core.auth import create_admin
from core.interfaces import PaymentNotice
from core.queue import TASK_SERVICES
from core.store import RecordingJobs, Store
from core.timeutil import now
from tests.conftest import Fakes, make_settings

T = TypeVar("T")
ADMIN_PASSWORD = "rahasia-banyu-123"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveStore:
    def __init__(self, tmp: Path, *, stream_interval: float = 0.2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.fakes = Fakes()
        # The Trakteer emulator pays into this very server over HTTP.
        self.fakes.trakteer.webhook_url = f"{self.url}/webhooks/trakteer"
        self.settings = make_settings(tmp, public_url=self.url)
        self.jobs = RecordingJobs()
        self.store = Store(self.settings, transports=self.fakes.transports(), jobs=self.jobs)
        self.app = create_app(self.settings, store=self.store)
        self.app.state.admin_stream_interval = stream_interval
        self.loop = asyncio.new_event_loop()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off", access_log=False))
        self.thread = threading.Thread(target=self._run, name="live-store", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        # Everything async happens on this thread's loop: the caller's thread may run its own (Playwright's).
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._prepare())
            self.loop.run_until_complete(self.server.serve())
        except BaseException as exc:
            self.error = exc
        finally:
            self.loop.run_until_complete(self.store.close())
            self.loop.close()

    def start(self, *, seed: bool = True) -> LiveStore:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live store did not start") from self.error
            time.sleep(0.05)
        if seed:
            self.call(lambda s: seed_sample(s, self))
        return self

    async def _prepare(self) -> None:
        await self.store.connect()
        await self.store.catalog.sync()
        await create_admin(self.store.db, "admin", ADMIN_PASSWORD)

    def call(self, fn: Callable[[Store], Awaitable[T]], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(fn(self.store), self.loop).result(timeout)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    # ---- helpers the tests use ----------------------------------------------------------------------

    def new_order(self, **over: Any) -> dict[str, Any]:
        data = {"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "081234567890", **over}
        return self.call(lambda s: s.orders.create(data, "203.0.113.50"))

    def pay(self, message: str, amount: int, name: str = "Budi") -> str:
        return self.call(lambda s: pay(s, message, amount, name=name))

    def drain(self, kinds: tuple[str, ...] = ("send_message",)) -> None:
        async def run(store: Store) -> None:
            while pending := [c for c in self.jobs.calls if c[0] in kinds]:
                self.jobs.calls = [c for c in self.jobs.calls if c[0] not in kinds]
                for kind, ident, _ in pending:
                    await TASK_SERVICES[kind](store, ident)
        self.call(run)


async def pay(store: Store, message: str, amount: int, *, name: str = "Budi", minutes_ago: int = 0) -> str:
    notice = PaymentNotice(external_id=f"tx-{uuid.uuid4()}", amount_idr=amount,
                           paid_at=now() - timedelta(minutes=minutes_ago), net_amount_idr=amount * 94 // 100,
                           quantity=amount // 1000, payer_name=name, message=message)
    return await store.payments.apply_notice(notice, source="webhook")


async def seed_sample(store: Store, live: LiveStore) -> None:
    """A day in the shop: orders in every state, a stray payment, an unreadable delivery, deposits."""
    def order(**over: Any) -> Awaitable[dict[str, Any]]:
        data = {"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "081234567890",
                **over}
        return store.orders.create(data, "203.0.113.50")

    delivered = await order(user_id="55501234", zone_id="2101", whatsapp="081355550000")
    await pay(store, delivered["code"], 24000, name="Rizky", minutes_ago=50)
    await store.fulfilment.send_now(delivered["id"], "admin:admin")
    for _ in range(3):
        await store.fulfilment.poll(delivered["id"])
    pulsa = await store.orders.create({"product": "S10", "phone": "081299990000", "whatsapp": "085700001111"},
                                      "203.0.113.51")
    await pay(store, f"pulsa {pulsa['code']} makasih", pulsa["amount_due_idr"], name="Dewi", minutes_ago=30)
    await store.fulfilment.send_now(pulsa["id"], "admin:admin")
    for _ in range(3):
        await store.fulfilment.poll(pulsa["id"])
    failed = await order(zone_id="9999", whatsapp="081377778888")  # the emulator's "wrong zone"
    await pay(store, failed["code"], 24000, name="Agus", minutes_ago=20)
    await store.fulfilment.send_now(failed["id"], "system")
    for _ in range(3):
        await store.fulfilment.poll(failed["id"])
    cooling = await order(product="ML172-S24", user_id="77700011", whatsapp="081244443333")
    await pay(store, cooling["code"], cooling["amount_due_idr"], name="Sari")
    short = await order(product="FF70", user_id="123456789", zone_id="", whatsapp="081911112222")
    await pay(store, short["code"], 5000, name="Tono")
    await order(whatsapp="085611110000")
    await order(product="GI60", user_id="812345678", zone_id="os_asia", whatsapp="087700001111")
    await pay(store, "transfer buat diamond ya kak", 48000, name="Joko")
    async with httpx.AsyncClient(base_url=live.url) as client:
        await client.post("/webhooks/trakteer", content=b"{broken json <b>",
                          headers={"X-Webhook-Token": "test-webhook-token", "Content-Type": "application/json"})
    await store.ledger.record_deposit(500_000, "gopay", note="top up pagi", actor="admin:admin")
    await store.ledger.record_deposit(100_000, "pulsa", fee_idr=8_500, actor="admin:admin")
    await store.kv_set("provider_balance_idr", "1250000")
    for kind, ident, _ in list(live.jobs.calls):
        if kind == "send_message":
            await TASK_SERVICES[kind](store, ident)
    live.jobs.calls.clear()
