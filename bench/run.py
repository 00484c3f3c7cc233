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
import tempfile
import time
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


async def main(seconds: float, database_url: str | None, markup: str) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = bench_settings(tmp, database_url or f"sqlite+aiosqlite:///{tmp}/bench.db", markup)
        vip = VipResellerSandbox(api_id="bench-id", api_key="bench-key")
        store = Store(settings, transports={"vipreseller": vip.transport()})
        await store.connect()
        started = time.perf_counter()
        result = await store.catalog.sync()
        synced = time.perf_counter() - started
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
