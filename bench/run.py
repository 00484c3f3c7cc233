"""`make bench`: requests/s of the biggest brand's pages, in-process (httpx over ASGI), on the real catalog.

Builds a throw-away store (SQLite in a temp dir by default) on the provider emulator's real-shaped catalog
(6,075 products; Mobile Legends lists 1,000+), syncs it, then hits each URL sequentially for a few seconds.
Not part of `make test`. Options: --seconds N, --database-url URL, --markup PERCENT.

The "every row" line renders the same page with the per-group cap lifted: what a page listing the whole brand
would cost (DESIGN §9).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx

from core import settings as settings_mod
from core.app import create_app
from core.store import Store
from core.web import storefront
from plugins.providers_vipreseller.sandbox import VipResellerSandbox

SLUG = "mobile-legends-bang-bang"
URLS = [
    ("category page, first screen", f"/c/{SLUG}"),
    ("category page, one group expanded", f"/c/{SLUG}?grup=diamonds"),
    ("category page, search", f"/c/{SLUG}?q=weekly"),
    ("category JSON (whole list)", f"/api/catalog/{SLUG}"),
    ("category list JSON", "/api/catalog"),
    ("home page", "/"),
]


def bench_settings(tmp: Path, database_url: str, markup: str) -> settings_mod.Settings:
    return settings_mod.settings_from_dict({
        "store": {"var_dir": str(tmp), "database_url": database_url, "queue_url": f"sqlite:///{tmp}/q.db",
                  "public_url": "http://store.bench", "secret_key": "bench-secret-key-0123456789", "sandbox": "0"},
        "pricing": {"markup_percent": markup},
        "limits": {"orders_per_minute": 10**6, "nickname_per_minute": 10**6},
        "plugins": {
            "modules": ["plugins.providers_vipreseller", "plugins.payment_trakteer", "plugins.notify_whatsapp"],
            "config": {
                "vipreseller": {"api_id": "bench-id", "api_key": "bench-key", "base_url": "http://vip.bench/api"},
                "trakteer": {"page_url": "https://trakteer.id/bench", "unit_price_idr": "1000",
                             "webhook_token": "bench-token"},
                "whatsapp": {"backend": "log"},
            },
        },
    })


async def measure(client: httpx.AsyncClient, url: str, seconds: float) -> dict[str, Any]:
    for _ in range(10):  # warm the caches and the template compiler
        r = await client.get(url)
        r.raise_for_status()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        r = await client.get(url)
        count += 1
    elapsed = time.perf_counter() - started
    return {"rps": count / elapsed, "ms": elapsed * 1000 / count, "kb": len(r.content) / 1024,
            "rows": r.text.count('name="product"') if "text/html" in r.headers.get("content-type", "") else None}


async def bench_payments(client: httpx.AsyncClient, store: Store, n: int) -> dict[str, Any]:
    """Order creation and webhook application, sequentially (the money path's cost per request)."""
    detail = (await client.get(f"/api/catalog/{SLUG}")).json()
    product = next(p for p in detail["products"] if p["available"])
    codes = []
    started = time.perf_counter()
    for i in range(n):
        r = await client.post("/api/orders", json={"product": product["code"], "user_id": "12345678",
                                                   "zone_id": "2001", "whatsapp": f"0812{i:08d}"})
        codes.append(r.json()["code"])
    created = time.perf_counter() - started
    token = {"X-Webhook-Token": "bench-token"}
    started = time.perf_counter()
    for i, code in enumerate(codes):
        price = product["price_idr"]
        r = await client.post("/webhooks/trakteer", headers=token, json={
            "transaction_id": f"bench-{i}", "type": "tip", "supporter_message": code, "quantity": price // 1000,
            "price": price, "net_amount": price * 94 // 100, "created_at": "2026-12-03T10:00:00+07:00"})
        r.raise_for_status()
    applied = time.perf_counter() - started
    return {"n": n, "orders_per_s": n / created, "webhooks_per_s": n / applied}


async def main(seconds: float, database_url: str | None, markup: str) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = bench_settings(tmp, database_url or f"sqlite+aiosqlite:///{tmp}/bench.db", markup)
        vip = VipResellerSandbox(api_id="bench-id", api_key="bench-key")
        store = Store(settings, transports={"vipreseller": vip.transport()})
        await store.connect()
        tracemalloc.start()
        started = time.perf_counter()
        result = await store.catalog.sync()
        synced = time.perf_counter() - started
        _, sync_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        started = time.perf_counter()
        await store.catalog.sync()
        resynced = time.perf_counter() - started
        listed = len(await store.catalog.products(SLUG))
        print(f"catalog: {result.total} products, first sync {synced:.2f}s, unchanged re-sync {resynced:.2f}s; "
              f"{SLUG}: {listed} listed, markup {markup} %, database {settings.database_url.split(':')[0]}")
        app = create_app(settings, store=store)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://store.bench") as client:
            rows = [(label, url, await measure(client, url, seconds)) for label, url in URLS]
            caps = storefront.GROUP_CAP, storefront.CLOSED_CAP
            storefront.GROUP_CAP = storefront.CLOSED_CAP = 10**6  # the same page with every row, for comparison
            try:
                rows.append(("category page, every row (no cap)", f"/c/{SLUG}",
                             await measure(client, f"/c/{SLUG}", seconds)))
            finally:
                storefront.GROUP_CAP, storefront.CLOSED_CAP = caps
            pay = await bench_payments(client, store, 200)
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"memory: catalog sync peak {sync_peak / 2**20:.1f} MiB allocated (tracemalloc); "
              f"process max RSS {rss_mib:.0f} MiB")
        print(f"money path: {pay['orders_per_s']:.0f} orders/s created, {pay['webhooks_per_s']:.0f} Trakteer "
              f"deliveries/s applied (each marks an order paid), {pay['n']} of each")
        print(f"{'what':38} {'req/s':>8} {'ms/req':>8} {'KiB':>7} {'rows':>6}  url")
        for label, url, m in rows:
            shown = "" if m["rows"] is None else str(m["rows"])
            print(f"{label:38} {m['rps']:8.1f} {m['ms']:8.2f} {m['kb']:7.1f} {shown:>6}  {url}")
        await store.close()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per URL (default 3)")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--markup", default="10", help="markup percent (10 keeps most items over the floor)")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.database_url, args.markup))


if __name__ == "__main__":
    cli()
