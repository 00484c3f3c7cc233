"""Killing the worker loses nothing and buys nothing twice (DESIGN §4: the database is the source of truth).

Real processes: `python -m core web` (sandboxed: it mounts the partner emulators at /sandbox/<partner>) and
`python -m core worker`, sharing a SQLite database and a SQLite Huey queue. The worker reaches the provider
emulator over HTTP through a small proxy in this test, which can hold the reply of an order call — so the
worker can be SIGKILLed exactly between "the provider took the order" and "the store stored the reply".

1. SIGKILL during the cooldown, restart: the order is bought once and completes.
2. SIGKILL after the claim, while the provider's reply is in flight, restart: the new worker waits out the
   claim's grace, finds the trxid in the provider's status list, and completes it — one provider order.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SIGN = hashlib.md5(b"sandbox-idsandbox-key").hexdigest()
ADMIN = {"Authorization": "Bearer kill-test-token"}
PARTNER_ENV = ("VIPRESELLER_", "TRAKTEER_", "FONNTE_", "WHATSAPP_", "MADD_")

SETTINGS_YAML = """\
store:
  var_dir: ./var
  database_url: ${MADD_DATABASE_URL}
  queue_url: ${MADD_QUEUE_URL}
  host: 127.0.0.1
  port: ${MADD_PORT}
  public_url: ${MADD_PUBLIC_URL}
  secret_key: kill-test-secret-key-0123456789
  admin_api_token: ${MADD_ADMIN_API_TOKEN}
  owner_whatsapp: "081200000001"
  sandbox: ${MADD_SANDBOX}
orders:
  cooldown_seconds: ${MADD_COOLDOWN_SECONDS:-420}
  fulfilment_mode: auto
schedule:
  status_poll_seconds: 1
plugins:
  modules: [plugins.providers_vipreseller, plugins.payment_trakteer, plugins.notify_whatsapp]
  provider: vipreseller
  payment: trakteer
  notifiers: [whatsapp]
  config:
    vipreseller: {timeout_seconds: "${VIP_TIMEOUT_SECONDS:-40}"}
    trakteer: {}
    whatsapp: {send_interval_seconds: 0}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HoldingProxy:
    """Forwards every request to the web process. When armed, an order call reaches the provider (the order
    is taken) and its reply is then held back until `release()` — the worker waits on it and can be killed."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.armed = False
        self.order_taken = threading.Event()
        self._release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                req = urllib.request.Request(proxy.target + self.path, data=body or None, headers=headers,
                                             method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, reply, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
                except urllib.error.HTTPError as e:
                    status, reply, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
                is_order = parse_qs(body.decode("utf-8", "replace")).get("type") == ["order"]
                if proxy.armed and is_order:
                    proxy.armed = False
                    proxy.order_taken.set()
                    proxy._release.wait(20)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the worker was killed while we held its reply

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


class Processes:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.web_url = f"http://127.0.0.1:{self.port}"
        (tmp / "settings.yaml").write_text(SETTINGS_YAML)
        base = {k: v for k, v in os.environ.items() if not k.startswith(PARTNER_ENV)}
        self.env = {**base, "MADD_SETTINGS": str(tmp / "settings.yaml"),
                    "MADD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/madd.db",
                    "MADD_QUEUE_URL": f"sqlite:///{tmp}/queue.db", "MADD_COOLDOWN_SECONDS": "2",
                    "MADD_PORT": str(self.port), "MADD_PUBLIC_URL": self.web_url, "MADD_SANDBOX": "1",
                    "MADD_ADMIN_API_TOKEN": "kill-test-token", "PYTHONPATH": str(ROOT)}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.worker: subprocess.Popen[bytes] | None = None

    def start(self, command: str, log: str, **env: str) -> subprocess.Popen[bytes]:
        out = open(self.tmp / log, "ab")  # noqa: SIM115 (closed with the process below)
        proc = subprocess.Popen([sys.executable, "-m", "core", command], cwd=self.tmp,
                                env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.procs.append(proc)
        return proc

    def start_worker(self, proxy: HoldingProxy) -> None:
        # The worker talks to the partners through the proxy; a short provider timeout keeps the claim's
        # grace (2 × timeout + 5 s) short enough for a test.
        self.worker = self.start("worker", "worker.log", MADD_PUBLIC_URL=proxy.url, VIP_TIMEOUT_SECONDS="3")

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp.glob("*.log"))


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


async def wait_for(predicate: Any, seconds: float, what: str, procs: Processes) -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{procs.logs()}")


async def provider_orders_for(http: httpx.AsyncClient, user_id: str) -> list[dict[str, Any]]:
    """The provider's own record (the emulator lives in the web process: ask it like a reseller would)."""
    r = await http.post("/sandbox/vipreseller/api/game-feature",
                        data={"key": "sandbox-key", "sign": SIGN, "type": "status", "limit": "50"})
    body = r.json()
    assert body["result"] is True, body
    return [e for e in body["data"] if e["data"] == user_id]


async def order_and_pay(http: httpx.AsyncClient, product: str, user_id: str, tx: str) -> str:
    r = await http.post("/api/orders", json={"product": product, "user_id": user_id, "zone_id": "2001",
                                             "whatsapp": "0812-3456-7890"})
    assert r.status_code == 201, r.text
    created = r.json()
    r = await http.post("/webhooks/trakteer", headers={"X-Webhook-Token": "sandbox-token"}, json={
        "transaction_id": tx, "type": "tip", "supporter_name": "Budi", "supporter_message": created["code"],
        "unit": "Koin", "quantity": created["amount_due_idr"] // 1000, "price": created["amount_due_idr"],
        "net_amount": created["amount_due_idr"] * 94 // 100})
    assert r.status_code == 200 and r.json()["status"] == "matched", r.text
    return str(created["code"])


async def status_of(http: httpx.AsyncClient, code: str) -> str:
    return str((await http.get(f"/api/orders/{code}")).json()["status"])


@pytest.mark.slow
async def test_flow_life_worker_killed_and_restarted(processes: Processes) -> None:
    procs = processes
    web = procs.start("web", "web.log")
    proxy = HoldingProxy(procs.web_url)
    try:
        async with httpx.AsyncClient(base_url=procs.web_url, timeout=30) as http:
            async def healthy() -> bool:
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.HTTPError:
                    assert web.poll() is None, procs.logs()
                    return False

            await wait_for(healthy, 30, "the web process", procs)
            sync = procs.start("sync-catalog", "sync.log")
            assert await asyncio.to_thread(sync.wait, 60) == 0, procs.logs()
            detail = (await http.get("/api/catalog/mobile-legends-bang-bang")).json()
            product = next(p["code"] for p in detail["products"] if p["available"])
            procs.start_worker(proxy)

            # 1. Killed during the cooldown.
            code = await order_and_pay(http, product, "11110001", "kill-tx-1")
            assert await status_of(http, code) == "paid"
            procs.kill_worker()
            await asyncio.sleep(2.5)  # the cooldown ends while no worker runs
            assert await status_of(http, code) == "paid" and await provider_orders_for(http, "11110001") == []
            procs.start_worker(proxy)

            async def done(c: str = code) -> bool:
                return await status_of(http, c) == "success"

            await wait_for(done, 25, "order 1 to succeed after the restart", procs)
            bought = await provider_orders_for(http, "11110001")
            assert len(bought) == 1 and bought[0]["status"] == "success"

            # 2. Killed after the claim, the provider holding the order, its reply not yet stored.
            proxy.armed = True
            code2 = await order_and_pay(http, product, "11110002", "kill-tx-2")
            await wait_for(lambda: asyncio.to_thread(proxy.order_taken.wait, 0.1), 20, "the order call", procs)
            procs.kill_worker()
            proxy.release()
            assert await status_of(http, code2) == "processing"
            assert len(await provider_orders_for(http, "11110002")) == 1
            procs.start_worker(proxy)

            async def done2() -> bool:
                return await status_of(http, code2) == "success"

            await wait_for(done2, 40, "order 2 to be settled and succeed after the restart", procs)
            bought = await provider_orders_for(http, "11110002")
            assert len(bought) == 1 and bought[0]["status"] == "success"
            admin = (await http.get(f"/api/admin/orders/{code2}", headers=ADMIN)).json()
            assert admin["provider_ref"] == bought[0]["trxid"]
            assert [(e["from_status"], e["to_status"]) for e in admin["timeline"] if e["to_status"]] == [
                (None, "awaiting_payment"), ("awaiting_payment", "paid"), ("paid", "processing"),
                ("processing", "success")]
            assert len(await provider_orders_for(http, "11110001")) == 1
    finally:
        proxy.close()
