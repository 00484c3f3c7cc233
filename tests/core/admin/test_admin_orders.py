"""Orders in the admin: the filtered, keyset-paginated list, the detail page, and Banyu's actions."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import update

from core.auth import create_admin
from core.orders.states import Status
from core.store import RecordingJobs, Store
from core.tables import orders
from tests.conftest import Fakes, StoreFactory, client_for
from tests.core.admin.conftest import ADMIN_PASSWORD, form_post, login, new_order, paid_order, pay
from tests.helpers import drain_recorded

CODE_LINK = re.compile(r'href="/admin/orders/(MADD-[0-9A-Z]{6})"')


def listed(html: str) -> list[str]:
    return CODE_LINK.findall(html)


async def test_list_filters_and_search(admin: httpx.AsyncClient, admin_store: Store) -> None:
    store = admin_store
    paid = await paid_order(store)
    waiting = await new_order(store, whatsapp="0813-1111-2222", user_id="99887766")
    pulsa = await store.orders.create({"product": "S10", "phone": "081299990000", "whatsapp": "085700001111"},
                                      "203.0.113.50")
    everything = listed((await admin.get("/admin/orders")).text)
    assert everything == [pulsa["code"], waiting["code"], paid["code"]]  # newest first

    assert listed((await admin.get("/admin/orders?status=paid")).text) == [paid["code"]]
    assert listed((await admin.get("/admin/orders?status=bogus")).text) == everything
    by_cat = listed((await admin.get("/admin/orders?category=mobile-legends-bang-bang")).text)
    assert by_cat == [waiting["code"], paid["code"]]
    # Search: a code as a buyer types it, a WhatsApp number in local form, a game ID.
    loose = paid["code"].lower().replace("-", " ")
    assert listed((await admin.get("/admin/orders", params={"q": loose})).text) == [paid["code"]]
    assert listed((await admin.get("/admin/orders", params={"q": "0813 1111 2222"})).text) == [waiting["code"]]
    assert listed((await admin.get("/admin/orders", params={"q": "99887766"})).text) == [waiting["code"]]
    assert listed((await admin.get("/admin/orders", params={"q": "MADD-ZZZZZZ"})).text) == []
    # Dates are Jakarta days, "to" inclusive.
    await store.db.execute(update(orders).where(orders.c.id == paid["id"]).values(created_at=1_700_000_000_000))
    page = await admin.get("/admin/orders", params={"from": "2023-11-15", "to": "2023-11-15"})
    assert listed(page.text) == [paid["code"]]  # 2023-11-14 22:13 UTC = 15 Nov 05:13 WIB
    assert listed((await admin.get("/admin/orders", params={"from": "2023-11-16"})).text) == [pulsa["code"],
                                                                                            waiting["code"]]


async def test_keyset_pagination(admin: httpx.AsyncClient, admin_store: Store) -> None:
    made = [(await new_order(admin_store))["code"] for _ in range(33)]
    first = await admin.get("/admin/orders")
    codes1 = listed(first.text)
    assert codes1 == made[::-1][:30]
    nxt = re.search(r'href="/admin/orders\?([^"]*before=\d+[^"]*)"', first.text)
    assert nxt
    second = await admin.get("/admin/orders?" + nxt.group(1).replace("&amp;", "&"))
    assert listed(second.text) == made[::-1][30:]
    assert "Lebih lama" not in second.text


async def test_detail_shows_timeline_payments_messages_and_contact(admin: httpx.AsyncClient,
                                                                   admin_store: Store) -> None:
    order = await paid_order(admin_store)
    r = await admin.get(f"/admin/orders/{order['code']}")
    assert r.status_code == 200
    html = r.text
    assert 'href="https://wa.me/6281234567890"' in html
    assert "Riwayat" in html and "lunas" in html  # the timeline reason of the payment
    assert "Rp 24.000" in html and "Budi" in html
    assert "12345678 / 2001" in html or "2001 / 12345678" in html
    for label in ("Kirim sekarang", "Tahan", "Tandai terkirim", "Batalkan"):
        assert label in html
    assert "Coba kirim ulang" not in html and "Lepas" not in html  # not allowed on a paid order
    # A buyer-typed code redirects to the canonical page; an unknown one is a 404.
    r = await admin.get(f"/admin/orders/{order['code'].lower()}")
    assert r.status_code == 303 and r.headers["location"] == f"/admin/orders/{order['code']}"
    assert (await admin.get("/admin/orders/MADD-ZZZZZZ")).status_code == 404


async def test_actions_hold_release_send_now_and_refusals(admin: httpx.AsyncClient, admin_store: Store,
                                                          fakes: Fakes) -> None:
    store = admin_store
    order = await paid_order(store)
    code = order["code"]
    page = f"/admin/orders/{code}"

    r = await form_post(admin, page, f"/admin/orders/{code}/hold")
    assert r.status_code == 303 and r.headers["location"] == page
    held = await store.orders.get(code)
    assert held["status"] == Status.ON_HOLD and held["fulfil_at"] is None
    html = (await admin.get(page)).text
    assert "Pesanan ditahan." in html and "admin:admin" in html  # notice + who did it in the timeline

    r = await form_post(admin, page, f"/admin/orders/{code}/hold")  # not allowed twice
    assert r.status_code == 303
    html = (await admin.get(page)).text
    assert "Aksi ini tidak bisa dilakukan pada status pesanan saat ini." in html
    assert (await store.orders.get(code))["status"] == Status.ON_HOLD

    await form_post(admin, page, f"/admin/orders/{code}/release")
    released = await store.orders.get(code)
    assert released["status"] == Status.PAID and released["fulfil_at"] is not None

    await form_post(admin, page, f"/admin/orders/{code}/send-now")
    sent = await store.orders.get(code)
    assert sent["status"] == Status.PROCESSING and sent["provider_ref"]
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1

    await form_post(admin, page, f"/admin/orders/{code}/send-now")  # never a second provider order
    assert "tidak bisa dilakukan" in (await admin.get(page)).text
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1

    r = await form_post(admin, page, f"/admin/orders/{code}/explode")
    assert r.status_code == 404


async def test_mark_delivered_needs_a_note(admin: httpx.AsyncClient, admin_store: Store) -> None:
    order = await paid_order(admin_store)
    code = order["code"]
    page = f"/admin/orders/{code}"
    await form_post(admin, page, f"/admin/orders/{code}/mark-delivered", {"note": "  "})
    assert "Catatan / nomor seri wajib diisi." in (await admin.get(page)).text
    assert (await admin_store.orders.get(code))["status"] == Status.PAID
    await form_post(admin, page, f"/admin/orders/{code}/mark-delivered", {"note": "SN 1234-5678 <b>x</b>"})
    done = await admin_store.orders.get(code)
    assert done["status"] == Status.SUCCESS and done["provider_note"] == "SN 1234-5678 <b>x</b>"
    html = (await admin.get(page)).text
    assert "SN 1234-5678 &lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html  # autoescaped


async def test_cancel_with_reason_and_resend_message(admin: httpx.AsyncClient, admin_store: Store) -> None:
    store = admin_store
    order = await paid_order(store)
    code = order["code"]
    page = f"/admin/orders/{code}"
    assert isinstance(store.jobs, RecordingJobs)
    await drain_recorded(store, store.jobs)
    before = len(await store.outbox.for_order(order["id"]))
    assert before >= 1
    await form_post(admin, page, f"/admin/orders/{code}/resend-message")
    assert len(await store.outbox.for_order(order["id"])) == before + 1
    assert "Pesan WhatsApp terakhir dikirim ulang." in (await admin.get(page)).text

    await form_post(admin, page, f"/admin/orders/{code}/cancel", {"reason": "pembeli minta batal"})
    cancelled = await store.orders.get(code)
    assert cancelled["status"] == Status.CANCELLED and cancelled["refund_owed_idr"] == 24000
    html = (await admin.get(page)).text
    assert "pembeli minta batal" in html and "terutang" in html


async def test_underpaid_order_offers_no_send(admin: httpx.AsyncClient, admin_store: Store) -> None:
    order = await new_order(admin_store)
    assert await pay(admin_store, order["code"], 10000) == "matched"
    html = (await admin.get(f"/admin/orders/{order['code']}")).text
    assert "Kurang bayar" in html and "Sebagian" in html
    assert "Kirim sekarang" not in html and "Batalkan" in html


async def test_manual_mode_confirm(make_store: StoreFactory, fakes: Fakes) -> None:
    store = await make_store(fulfilment_mode="manual")
    await create_admin(store.db, "admin", ADMIN_PASSWORD)
    order = await paid_order(store)
    assert order["fulfil_at"] is None
    async with client_for(store) as c:
        assert (await login(c)).status_code == 303
        assert "Menunggu keputusan admin" in (await c.get("/admin")).text
        page = f"/admin/orders/{order['code']}"
        html = (await c.get(page)).text
        assert "Konfirmasi &amp; kirim" in html and "Kirim sekarang" not in html
        await form_post(c, page, f"{page}/confirm")
    after = await store.orders.get(order["code"])
    assert after["status"] == Status.PROCESSING
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1
