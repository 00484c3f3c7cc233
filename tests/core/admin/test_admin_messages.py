"""The WhatsApp message log in the admin: the list, the failures view, resend (once), the dashboard tile."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select, update

from core.notifications import repo as outbox_repo
from core.store import RecordingJobs, Store
from core.tables import outbox
from core.web.admin_messages import failure_count
from tests.conftest import Fakes, client_for
from tests.core.admin.conftest import csrf_of, form_post, new_order, paid_order
from tests.helpers import drain_recorded

CARD = re.compile(r'<article class="panel msgcard[^"]*" id="msg-(\d+)"')
FAILURES = "/admin/messages?view=failures"


def listed(html: str) -> list[int]:
    return [int(x) for x in CARD.findall(html)]


async def outbox_count(store: Store) -> int:
    return int(await store.db.fetch_val(select(func.count()).select_from(outbox)))


async def failed_message(store: Store, fakes: Fakes) -> dict[str, object]:
    """An order whose first buyer message Fonnte refused (permanently: invalid token)."""
    order = await new_order(store)
    buyer = [m for m in await store.outbox.for_order(order["id"]) if m["kind"] == "order_received"][0]
    fakes.whatsapp.fail_next("invalid_token")
    assert await store.outbox.send(buyer["id"]) == "failed"
    return {"order": order, "id": buyer["id"]}


async def test_log_lists_messages_newest_first_with_labels(admin: httpx.AsyncClient, admin_store: Store) -> None:
    store = admin_store
    order = await paid_order(store)
    assert isinstance(store.jobs, RecordingJobs)
    await drain_recorded(store, store.jobs)
    rows = await store.outbox.for_order(order["id"])
    assert len(rows) >= 3
    r = await admin.get("/admin/messages")
    assert r.status_code == 200
    html = r.text
    assert listed(html) == sorted((m["id"] for m in rows), reverse=True)  # newest first
    # Kinds in Indonesian (the buyer's and the owner's), never the internal names.
    for label in ("<b>Pesanan diterima</b>", "<b>Terjadwal</b>", "<b>Ke Banyu: pesanan baru</b>",
                  "<b>Ke Banyu: pembayaran masuk</b>"):
        assert label in html
    assert "order_received" not in html and "owner_new_order" not in html
    newest = html.split(f'id="msg-{rows[-1]["id"]}"')[1].split("</article>")[0]
    assert 'href="https://wa.me/6281234567890"' in newest and "0812****7890" in newest  # masked, linked
    assert f'href="/admin/orders/{order["code"]}"' in newest
    assert '<span class="badge ms-accepted">Diterima WhatsApp</span>' in newest
    body = newest.split("<details")[1].split("</details>")[0]  # the text, collapsible
    assert "<summary>Isi pesan</summary>" in body and "Pesanan akan dikirim pukul" in body
    assert '<a href="/admin/messages" class="on"' in html and 'aria-current="page">Pesan</a>' in html


async def test_status_filter_and_keyset_pagination(admin: httpx.AsyncClient, admin_store: Store,
                                                   fakes: Fakes) -> None:
    store = admin_store
    bad = await failed_message(store, fakes)
    everything = listed((await admin.get("/admin/messages")).text)
    assert listed((await admin.get("/admin/messages?status=failed")).text) == [bad["id"]]
    pending = listed((await admin.get("/admin/messages?status=pending")).text)
    assert pending and bad["id"] not in pending and set(pending) < set(everything)
    assert listed((await admin.get("/admin/messages?status=bogus")).text) == everything

    for _ in range(25):  # 2 messages each (buyer + owner): over one page of 50
        await new_order(store, whatsapp="0813-1111-2222")
    total = await outbox_count(store)
    assert total > 50
    first = await admin.get("/admin/messages")
    page1 = listed(first.text)
    assert len(page1) == 50 and page1 == sorted(page1, reverse=True)
    nxt = re.search(r'href="/admin/messages\?(before=\d+)"', first.text)
    assert nxt
    page2 = listed((await admin.get("/admin/messages?" + nxt.group(1))).text)
    assert len(page1) + len(page2) == total and max(page2) < min(page1)


async def test_failures_view_shows_the_failed_message(admin: httpx.AsyncClient, admin_store: Store,
                                                      fakes: Fakes) -> None:
    store = admin_store
    bad = await failed_message(store, fakes)
    html = (await admin.get(FAILURES)).text
    assert listed(html) == [bad["id"]]  # only the failure, not the pending or sent ones
    card = html.split(f'id="msg-{bad["id"]}"')[1].split("</article>")[0]
    assert "Pesanan diterima" in card and "Gagal" in card and "invalid token" in card
    assert f'/admin/orders/{bad["order"]["code"]}' in card  # type: ignore[index]
    assert f'action="/admin/messages/{bad["id"]}/resend"' in card
    assert "<pre" in card and "<details" in card
    # The dashboard tile counts it and links to this view.
    dash = (await admin.get("/admin")).text
    assert f'href="{FAILURES}"><b>1</b><span>Pesan WA gagal / tidak pasti</span>' in dash


async def test_resend_makes_exactly_one_copy(admin: httpx.AsyncClient, admin_store: Store, fakes: Fakes) -> None:
    store = admin_store
    bad = await failed_message(store, fakes)
    before = await outbox_count(store)
    r = await form_post(admin, FAILURES, f"/admin/messages/{bad['id']}/resend", {"next": FAILURES})
    assert r.status_code == 303 and r.headers["location"] == FAILURES
    assert await outbox_count(store) == before + 1
    copy = await store.db.fetch_one(select(outbox).where(outbox.c.key == f"resend:{bad['id']}"))
    assert copy is not None and copy.status == "pending" and copy.order_id == bad["order"]["id"]  # type: ignore[index]
    html = (await admin.get(FAILURES)).text
    assert f"Pesan #{bad['id']} dikirim ulang sebagai pesan baru #{copy.id}." in html
    assert "Sudah dikirim ulang sebagai" in html and f">#{copy.id}</a>" in html
    assert f'action="/admin/messages/{bad["id"]}/resend"' not in html  # no button for a resent one
    dash = (await admin.get("/admin")).text
    assert f'href="{FAILURES}"><b>0</b>' in dash  # handled: no longer counted

    # The same POST again (double tap, stale tab): no second copy, and Banyu is told why.
    token = csrf_of(html)
    r = await admin.post(f"/admin/messages/{bad['id']}/resend", data={"csrf_token": token, "next": FAILURES})
    assert r.status_code == 303
    assert await outbox_count(store) == before + 1
    assert "sudah pernah dikirim ulang" in (await admin.get(FAILURES)).text

    # The copy goes out for real.
    assert await store.outbox.send(copy.id) == "accepted"
    assert [m["message"] for m in fakes.whatsapp.sent][-1] == copy.body


async def test_resend_of_pending_sends_now_and_unknown_is_404(admin: httpx.AsyncClient, admin_store: Store
                                                              ) -> None:
    store = admin_store
    order = await new_order(store)
    msg = (await store.outbox.for_order(order["id"]))[0]
    await store.db.execute(update(outbox).where(outbox.c.id == msg["id"]).values(next_attempt_at=2**50))
    before = await outbox_count(store)
    r = await form_post(admin, "/admin/messages", f"/admin/messages/{msg['id']}/resend")
    assert r.status_code == 303 and r.headers["location"] == "/admin/messages"
    assert await outbox_count(store) == before  # made due, never copied: the buyer gets it once
    row = await store.db.fetch_one(select(outbox).where(outbox.c.id == msg["id"]))
    assert row is not None and row.next_attempt_at < 2**50
    assert f"Pesan #{msg['id']} masih antre; dijadwalkan kirim sekarang." in (await admin.get("/admin/messages")).text
    r = await form_post(admin, "/admin/messages", "/admin/messages/999999/resend")
    assert r.status_code == 404 and "Pesan tidak ditemukan" in r.text
    # An outside `next` never becomes an open redirect.
    r = await form_post(admin, "/admin/messages", f"/admin/messages/{msg['id']}/resend",
                        {"next": "https://evil.example/"})
    assert r.headers["location"] == "/admin/messages"


async def test_messages_page_refuses_anonymous_and_cross_site(admin: httpx.AsyncClient, admin_store: Store,
                                                              fakes: Fakes) -> None:
    store = admin_store
    bad = await failed_message(store, fakes)
    before = await outbox_count(store)
    async with client_for(store) as anon:
        r = await anon.get(FAILURES)
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=")
        r = await anon.post(f"/admin/messages/{bad['id']}/resend")
        assert r.status_code == 401
    token = csrf_of((await admin.get("/admin/messages")).text)
    r = await admin.post(f"/admin/messages/{bad['id']}/resend", data={"csrf_token": token},
                         headers={"Origin": "https://evil.example", "Accept": "application/json"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = await admin.post(f"/admin/messages/{bad['id']}/resend", data={"csrf_token": "forged" + token[6:]})
    assert r.status_code == 403
    assert await outbox_count(store) == before


async def test_log_queries_on_both_databases(store: Store, fakes: Fakes) -> None:
    """The keyset page and the tile's count (a string concatenation in SQL) on SQLite and PostgreSQL."""
    bad = await failed_message(store, fakes)
    every = [r["id"] for r in await outbox_repo.log_page(store.db, limit=100)]
    assert every == sorted(every, reverse=True) and bad["id"] in every
    assert [r["id"] for r in await outbox_repo.log_page(store.db, status="failed")] == [bad["id"]]
    older = await outbox_repo.log_page(store.db, before_id=every[0], limit=100)
    assert [r["id"] for r in older] == every[1:]
    assert older[-1]["order_code"] == bad["order"]["code"]  # type: ignore[index]

    assert await failure_count(store) == 1
    copy = await store.outbox.resend(bad["id"])  # type: ignore[arg-type]
    assert copy is not None and copy != bad["id"]
    assert await failure_count(store) == 0  # resent: handled
    fakes.whatsapp.fail_next("invalid_token")
    assert await store.outbox.send(copy) == "failed"
    assert await failure_count(store) == 1  # the copy failed too: to do again
    # Older than a week: no longer on the tile (still in the failures view).
    await store.db.execute(update(outbox).values(created_at=1_000))
    assert await failure_count(store) == 0
    assert {r["id"] for r in await store.outbox.failures(10)} == {bad["id"], copy}
