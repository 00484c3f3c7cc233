"""The settings view (no secret ever shown, plugins, connection tests) and the catalog page."""

from __future__ import annotations

import httpx

from core.store import RecordingJobs, Store
from core.web.admin_settings import mask_url
from tests.conftest import TRAKTEER_TOKEN, VIP_ID, VIP_KEY, Fakes
from tests.core.admin.conftest import ADMIN_PASSWORD, form_post

SECRETS = ("test-secret-key-0123456789", "test-admin-token", VIP_ID, VIP_KEY, TRAKTEER_TOKEN,
           "test-trakteer-key", "test-fonnte-token", ADMIN_PASSWORD)


async def test_settings_page_shows_no_secret(admin: httpx.AsyncClient, admin_store: Store) -> None:
    html = (await admin.get("/admin/settings")).text
    for secret in SECRETS:
        assert secret not in html, secret
    assert "(rahasia)" in html  # secrets are there, masked
    assert "https://trakteer.id/maddstore" in html and "cooldown_seconds" in html  # the rest is shown
    for name in ("plugins.providers_vipreseller", "plugins.payment_trakteer", "plugins.notify_whatsapp"):
        assert name in html
    assert "register_product_providers" in html and "0.1" in html  # hooks and a version
    for secret in SECRETS:  # nor anywhere else in the admin
        for page in ("/admin", "/admin/catalog", "/admin/payments", "/admin/report", "/admin/deposits"):
            assert secret not in (await admin.get(page)).text


def test_mask_url() -> None:
    assert mask_url("postgresql+asyncpg://madd:s3cr3t@db.local:5432/madd") == \
        "postgresql+asyncpg://madd:********@db.local:5432/madd"
    assert mask_url("redis://:hunter2@127.0.0.1:6379/0") == "redis://:********@127.0.0.1:6379/0"
    assert mask_url("sqlite+aiosqlite:////tmp/x.db") == "sqlite+aiosqlite:////tmp/x.db"


async def test_connection_tests(admin: httpx.AsyncClient, fakes: Fakes) -> None:
    fakes.vip.balance_idr = 1_234_567
    await form_post(admin, "/admin/settings", "/admin/settings/test/provider")
    html = (await admin.get("/admin/settings")).text
    assert "vipreseller: terhubung, saldo Rp 1.234.567." in html and 'class="flash ok"' in html
    await form_post(admin, "/admin/settings", "/admin/settings/test/gateway")
    assert "trakteer: terhubung, saldo" in (await admin.get("/admin/settings")).text
    await form_post(admin, "/admin/settings", "/admin/settings/test/notifier-whatsapp")
    html = (await admin.get("/admin/settings")).text
    assert "whatsapp:" in html
    fakes.vip.server_error_next(5)
    await form_post(admin, "/admin/settings", "/admin/settings/test/provider")
    html = (await admin.get("/admin/settings")).text
    assert 'class="flash error"' in html and "vipreseller:" in html
    await form_post(admin, "/admin/settings", "/admin/settings/test/nope")
    assert "Partner tidak dikenal." in (await admin.get("/admin/settings")).text


async def test_catalog_page_prices_margin_and_toggle(admin: httpx.AsyncClient, admin_store: Store) -> None:
    html = (await admin.get("/admin/catalog")).text
    assert "Mobile Legends" in html and "Telkomsel" in html
    page = "/admin/catalog?c=mobile-legends-bang-bang"
    html = (await admin.get(page)).text
    # ML86-S24: cost 22.000, price 24.000, fee estimate 5.7 % of 24.000 = 1.368 -> margin 632
    row = html.split('data-code="ML86-S24"')[1].split("</article>")[0]
    assert "Rp 22.000" in row and "Rp 24.000" in row and "Rp 632" in row and "dijual" in row
    assert "habis" in html.split('data-code="ML5000"')[1].split("</article>")[0]
    joki = (await admin.get("/admin/catalog?c=mobile-legends-joki-rank")).text
    assert "JOKI-ML" in joki and "butuh login" in joki  # hidden from buyers, listed for Banyu

    await form_post(admin, page, "/admin/catalog/toggle", {"code": "ML86-S24", "enabled": "0"})
    product = await admin_store.catalog.product("ML86-S24")
    assert product is not None and not product["is_enabled"]
    assert "Produk ML86-S24 dinonaktifkan." in (await admin.get(page)).text
    api = (await admin.get("/api/catalog/mobile-legends-bang-bang")).json()
    assert "ML86-S24" not in [p["code"] for p in api["products"]]
    await form_post(admin, page, "/admin/catalog/toggle", {"code": "ML86-S24", "enabled": "1"})
    assert (await admin_store.catalog.product("ML86-S24") or {})["is_enabled"]
    r = await form_post(admin, page, "/admin/catalog/toggle", {"code": "NOPE", "enabled": "1"})
    assert r.status_code == 404


async def test_catalog_search_within_category(admin: httpx.AsyncClient) -> None:
    html = (await admin.get("/admin/catalog?c=mobile-legends-bang-bang&q=172")).text
    assert 'data-code="ML172-S24"' in html and 'data-code="ML86-S24"' not in html


async def test_sync_now_queues_the_worker(admin: httpx.AsyncClient, admin_store: Store) -> None:
    r = await form_post(admin, "/admin/catalog", "/admin/catalog/sync")
    assert r.status_code == 303
    assert isinstance(admin_store.jobs, RecordingJobs) and len(admin_store.jobs.of("sync_catalog")) == 1
    html = (await admin.get("/admin/catalog")).text
    assert "Sinkronisasi katalog dijadwalkan" in html


async def test_markup_override(admin: httpx.AsyncClient, admin_store: Store) -> None:
    if not hasattr(admin_store.catalog, "set_override"):
        return  # the catalog service decides; the page then points at settings.yaml
    page = "/admin/catalog?c=mobile-legends-bang-bang"
    await form_post(admin, page, "/admin/catalog/overrides", {"product": "ML86-S24", "percent": "20",
                                                              "fixed_idr": "", "c": "mobile-legends-bang-bang"})
    product = await admin_store.catalog.product("ML86-S24")
    assert product and product["price_idr"] == 27_000  # 22.000 + 20 % = 26.400 -> whole Rp 1.000 units
    html = (await admin.get(page)).text
    assert "Markup disimpan" in html and "20 %" in html
    overrides = await admin_store.catalog.overrides()
    await form_post(admin, page, f"/admin/catalog/overrides/{overrides[0]['id']}/delete")
    assert (await admin_store.catalog.product("ML86-S24") or {})["price_idr"] == 24_000
    await form_post(admin, page, "/admin/catalog/overrides", {"product": "ML86-S24", "percent": "banyak"})
    assert 'class="flash error"' in (await admin.get(page)).text


def test_sync_progress_parsing() -> None:
    from core.timeutil import now_ms
    from core.web.admin_catalog import sync_progress

    running = sync_progress(f'{{"state": "running", "done": 500, "total": 2000, "started_at": {now_ms()}}}')
    assert running and running["percent"] == 25 and running["is_active"]
    stale = sync_progress('{"state": "queued", "done": 0, "total": 0, "started_at": 1}')
    assert stale and not stale["is_active"] and stale["percent"] == 0
    done = sync_progress('{"state": "done", "done": 0, "total": 0}')
    assert done and done["percent"] == 100 and not done["is_active"]
    assert sync_progress("12/48") == {"done": 12, "total": 48, "percent": 25, "is_active": False}
    assert sync_progress(None) is None and sync_progress("[1]") is None and sync_progress("a/b") is None
