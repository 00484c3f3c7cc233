"""`make screenshots`: PNGs of the admin and storefront pages at phone (390 px) and desktop (1280 px) widths.

Starts a store with sample data (the partners' emulators, a SQLite file in a temp dir), logs in as the admin,
and writes `./screenshots/<page>-<width>.png`. Run from the repository root: `python -m tests.browser.screenshots`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.browser.live import ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS, LiveStore

WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
OUT = Path("screenshots")


def _codes(live: LiveStore) -> dict[str, str]:
    async def latest(store: Any) -> dict[str, str]:
        from core.orders import repo

        rows = await repo.list_orders(store.db, limit=50)
        by_status: dict[str, str] = {}
        for r in rows:
            by_status.setdefault(r["status"], r["code"])
        return by_status

    return live.call(latest)


def pages(codes: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("admin-dashboard", "/admin"),
        ("admin-orders", "/admin/orders"),
        ("admin-order-paid", f"/admin/orders/{codes.get('paid', '')}"),
        ("admin-order-failed", f"/admin/orders/{codes.get('failed', '')}"),
        ("admin-payments", "/admin/payments"),
        ("admin-messages", "/admin/messages"),
        ("admin-messages-failures", "/admin/messages?view=failures"),
        ("admin-catalog", "/admin/catalog"),
        ("admin-catalog-ml", "/admin/catalog?c=mobile-legends-bang-bang"),
        ("admin-deposits", "/admin/deposits"),
        ("admin-report", "/admin/report"),
        ("admin-settings", "/admin/settings"),
        ("store-home", "/"),
        ("store-category", "/c/mobile-legends-bang-bang"),
        ("store-invoice", f"/pesanan/{codes.get('awaiting_payment', '')}"),
        ("store-invoice-paid", f"/pesanan/{codes.get('paid', '')}"),
        ("store-lookup", "/cek"),
    ]


def main() -> int:
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium to take screenshots", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        live = LiveStore(Path(tmp)).start()
        written = []
        try:
            codes = _codes(live)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for label, (width, height) in WIDTHS.items():
                    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live.url,
                                                  locale="id-ID", device_scale_factor=1)
                    page = context.new_page()
                    page.goto("/admin/login")
                    page.screenshot(path=str(OUT / f"admin-login-{width}.png"), full_page=True)
                    page.fill("input[name=password]", ADMIN_PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url("**/admin")
                    for name, url in pages(codes):
                        page.goto(url)
                        page.wait_for_load_state("domcontentloaded")
                        target = OUT / f"{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written.append(target)
                    context.close()
                    print(f"  {label}: {len(pages(codes)) + 1} pages at {width} px")
                browser.close()
        finally:
            live.stop()
    print(f"wrote {len(written) + len(WIDTHS)} screenshots to {OUT.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
