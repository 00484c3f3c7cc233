"""The payments inbox: assign a stray payment to its order, mark one refunded / ignored, unreadable deliveries."""

from __future__ import annotations

import httpx

from core.orders.states import Status
from core.store import Store
from tests.conftest import TRAKTEER_TOKEN
from tests.core.admin.conftest import form_post, new_order, paid_order, pay
from tests.helpers import webhook_headers


async def test_assign_unmatched_payment_to_its_order(admin: httpx.AsyncClient, admin_store: Store) -> None:
    store = admin_store
    order = await new_order(store)
    assert await pay(store, "buat pesanan kemarin ya kak", 24000, name="Siti") == "unmatched"
    page = await admin.get("/admin/payments")
    assert "buat pesanan kemarin ya kak" in page.text and "Siti" in page.text
    assert "<b>1</b><span>Pembayaran tak cocok</span>" in (await admin.get("/admin")).text
    pid = (await store.payments.attention())[0]["payment"]["id"]
    assert f'action="/admin/payments/{pid}/assign"' in page.text

    r = await form_post(admin, "/admin/payments", f"/admin/payments/{pid}/assign",
                        {"order_code": order["code"].lower()})
    assert r.status_code == 303
    html = (await admin.get("/admin/payments")).text
    assert f"Pembayaran dimasukkan ke pesanan {order['code']}." in html
    assert "buat pesanan kemarin ya kak" not in html  # no longer unmatched
    after = await store.orders.get(order["code"])
    assert after["status"] == Status.PAID and after["amount_paid_idr"] == 24000

    # A second assignment of the same payment is refused with a readable reason.
    await form_post(admin, "/admin/payments", f"/admin/payments/{pid}/assign", {"order_code": order["code"]})
    assert "sudah" in (await admin.get("/admin/payments")).text
    assert (await store.orders.get(order["code"]))["amount_paid_idr"] == 24000


async def test_assign_to_unknown_order_is_refused(admin: httpx.AsyncClient, admin_store: Store) -> None:
    await pay(admin_store, "tanpa kode", 5000)
    pid = (await admin_store.payments.attention())[0]["payment"]["id"]
    await form_post(admin, "/admin/payments", f"/admin/payments/{pid}/assign", {"order_code": "MADD-ZZZZZZ"})
    html = (await admin.get("/admin/payments")).text
    assert "Pesanan MADD-ZZZZZZ tidak ditemukan." in html and "tanpa kode" in html


async def test_mark_ignored_and_refunded(admin: httpx.AsyncClient, admin_store: Store) -> None:
    store = admin_store
    await pay(store, "salah transfer", 7000)
    pid = (await store.payments.attention())[0]["payment"]["id"]
    await form_post(admin, "/admin/payments", f"/admin/payments/{pid}/mark", {"state": "ignored", "note": "tes"})
    html = (await admin.get("/admin/payments")).text
    assert "Pembayaran ditandai diabaikan." in html and "salah transfer" not in html

    # A payment on a cancelled order shows in the attention list and can be marked refunded.
    order = await paid_order(store)
    await store.orders.act(order["code"], "cancel", "test")
    late = await pay(store, order["code"], 3000)
    assert late == "matched"
    html = (await admin.get("/admin/payments")).text
    assert "Perlu diselesaikan" in html and order["code"] in html
    items = [a for a in await store.payments.attention() if a.get("order")]
    assert items
    await form_post(admin, "/admin/payments", f"/admin/payments/{items[0]['payment']['id']}/mark",
                    {"state": "refunded"})
    assert "Pembayaran ditandai sudah dikembalikan." in (await admin.get("/admin/payments")).text
    assert (await store.orders.get(order["code"]))["refund_made_idr"] > 0


async def test_unreadable_deliveries_are_shown_escaped(admin: httpx.AsyncClient) -> None:
    r = await admin.post("/webhooks/trakteer", content=b"<script>alert(1)</script> not json",
                         headers=webhook_headers(TRAKTEER_TOKEN))
    assert r.status_code < 300
    html = (await admin.get("/admin/payments")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; not json" in html
    assert "<script>alert(1)" not in html
