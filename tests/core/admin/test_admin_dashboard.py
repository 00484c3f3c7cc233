"""The dashboard: today's numbers, cooldowns, flagged orders, balances, and the live-update stream."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from sqlalchemy import update

from core.app import create_app
from core.auth import create_admin
from core.store import Store
from core.tables import orders
from core.web.admin_dashboard import event_stream
from tests.conftest import TRAKTEER_TOKEN, VIP_ID, VIP_KEY, Fakes, StoreFactory, client_for, make_settings
from tests.core.admin.conftest import ADMIN_PASSWORD, form_post, login, new_order, paid_order, pay


async def test_dashboard_numbers_and_lists(admin: httpx.AsyncClient, admin_store: Store) -> None:
    store = admin_store
    cooling = await paid_order(store)
    waiting = await new_order(store)
    flagged = await paid_order(store)
    await store.db.execute(update(orders).where(orders.c.id == flagged["id"]).values(flag="needs_deposit"))
    await pay(store, "tanpa kode", 3000)
    await store.kv_set("provider_balance_idr", "50000")

    html = (await admin.get("/admin")).text
    assert "<b>3</b><span>Pesanan hari ini</span>" in html
    assert "<b>Rp 48.000</b><span>Pendapatan hari ini</span>" in html  # matched payments only, not the stray 3.000
    assert "<b>1</b><span>Menunggu bayar</span>" in html and "<b>1</b><span>Pembayaran tak cocok</span>" in html
    assert f'data-until="{cooling["fulfil_at"]}"' in html  # countdown of the order in cooldown
    attention = html.split("Perlu tindakan")[1].split("</section>")[0]
    assert flagged["code"] in attention and "Saldo provider kurang" in attention
    assert cooling["code"] not in attention and waiting["code"] in html
    assert "Rp 50.000" in html and "segera deposit" in html  # under the Rp 100.000 threshold
    assert "Saldo Trakteer" in html and "Rekonsiliasi aktif" in html


async def test_refresh_provider_balance(admin: httpx.AsyncClient, admin_store: Store, fakes: Fakes) -> None:
    fakes.vip.balance_idr = 765_432
    r = await form_post(admin, "/admin", "/admin/balance/refresh")
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    assert await admin_store.kv_int("provider_balance_idr") == 765_432
    html = (await admin.get("/admin")).text
    assert "Saldo provider diperbarui: Rp 765.432." in html and "Dicek" in html
    fakes.vip.server_error_next(5)
    await form_post(admin, "/admin", "/admin/balance/refresh")
    assert "Saldo provider tidak bisa dibaca" in (await admin.get("/admin")).text
    assert await admin_store.kv_int("provider_balance_idr") == 765_432


async def test_trakteer_without_api_key_says_reconciliation_is_off(tmp_path: Any, make_store: StoreFactory
                                                                    ) -> None:
    plugins = {
        "modules": ["plugins.providers_vipreseller", "plugins.payment_trakteer", "plugins.notify_whatsapp"],
        "provider": "vipreseller", "payment": "trakteer", "notifiers": ["whatsapp"],
        "config": {"vipreseller": {"api_id": VIP_ID, "api_key": VIP_KEY, "base_url": "http://vip.test/api"},
                   "trakteer": {"page_url": "https://trakteer.id/maddstore", "webhook_token": TRAKTEER_TOKEN},
                   "whatsapp": {"backend": "log"}}}
    store = await make_store(settings=make_settings(tmp_path, plugins=plugins), sync=False)
    assert getattr(store.gateway, "has_reconciliation", True) is False
    await create_admin(store.db, "admin", ADMIN_PASSWORD)
    async with client_for(store) as c:
        await login(c)
        assert "Rekonsiliasi nonaktif" in (await c.get("/admin")).text
        assert "Rekonsiliasi Trakteer nonaktif" in (await c.get("/admin/settings")).text


async def test_overview_on_every_database(store: Store) -> None:
    """The dashboard's queries on SQLite and PostgreSQL."""
    from core.ledger.overview import latest_ids, orders_after, overview, payments_after

    cooling = await paid_order(store)
    await new_order(store)
    await pay(store, "tanpa kode", 3000)
    o = await overview(store.db)
    assert (o.orders_today, o.revenue_today_idr, o.awaiting_count, o.unmatched_count) == (2, 24_000, 1, 1)
    assert [x["code"] for x in o.cooldown] == [cooling["code"]] and o.attention == []
    last_order, last_payment = await latest_ids(store.db)
    assert (o.last_order_id, o.last_payment_id) == (last_order, last_payment)
    assert [x["id"] for x in await orders_after(store.db, cooling["id"])] == [last_order]
    assert len(await payments_after(store.db, 0)) == 2


class FakeRequest:
    """Just what event_stream reads: the app state, the store, and a disconnect after N checks."""

    def __init__(self, app: Any, connected_checks: int) -> None:
        self.app = app
        self.checks = connected_checks

    async def is_disconnected(self) -> bool:
        self.checks -= 1
        return self.checks < 0


async def test_event_stream_sends_new_ids_and_stops_on_disconnect(admin_store: Store) -> None:
    app = create_app(admin_store.settings, store=admin_store)
    before = await new_order(admin_store)
    request = FakeRequest(app, connected_checks=2)
    stream = event_stream(request, before["id"], 0, interval=0.01)  # type: ignore[arg-type]
    frames = [await stream.__anext__()]
    assert frames[0].startswith("retry:") and app.state.admin_streams == 1
    order = await paid_order(admin_store)  # one new order + its payment while connected
    frames += [f async for f in stream]
    events = [(m.group(1), json.loads(m.group(2))) for m in
              (re.search(r"event: (\w+)\ndata: (.*)\n", f) for f in frames) if m]
    assert [(kind, data.get("code") or data.get("order_id")) for kind, data in events] == \
        [("order", order["code"]), ("payment", order["id"])]
    assert f"id: o{order['id']}-p" in frames[-1]
    assert app.state.admin_streams == 0  # the loop ended with the client


async def test_event_stream_ends_after_its_lifetime(admin_store: Store) -> None:
    app = create_app(admin_store.settings, store=admin_store)
    stream = event_stream(FakeRequest(app, 10_000), 0, 0, interval=0.01, lifetime=0.05)  # type: ignore[arg-type]
    frames = [f async for f in stream]
    assert frames[0].startswith("retry:") and app.state.admin_streams == 0


async def test_events_endpoint_needs_login(anon: httpx.AsyncClient) -> None:
    r = await anon.get("/admin/events")
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
