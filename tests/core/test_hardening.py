"""Findings of the attack review, each pinned by a test."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from core.settings import ConfigError, load_settings
from tests.helpers import tip, webhook_headers

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812-3456-7890"}


async def test_half_an_emoji_in_the_payment_message_is_still_credited(client: Any, store: Any) -> None:
    code = (await client.post("/api/orders", json=GOOD)).json()["code"]
    raw = (b'{"transaction_id": "tx-sur-1", "type": "tip", "supporter_name": "Budi \\ud83d", '
           b'"supporter_message": "' + code.encode() + b' makasih \\ud83d", "quantity": 24, "price": 24000, '
           b'"net_amount": 22612, "created_at": "2026-11-20T14:50:10+07:00"}')
    r = await client.post("/webhooks/trakteer", content=raw, headers=webhook_headers("test-webhook-token"))
    assert r.status_code == 200
    status = (await client.get(f"/api/orders/{code}")).json()
    assert status["status"] == "paid" and status["amount_paid_idr"] == 24000


async def test_absurd_amounts_never_mark_an_order_paid(client: Any) -> None:
    code = (await client.post("/api/orders", json=GOOD)).json()["code"]
    for price in (10**20, 2**63 - 1, "24.000"):
        body = tip(code, 24000)
        body["price"] = price
        r = await client.post("/webhooks/trakteer", json=body, headers=webhook_headers("test-webhook-token"))
        assert r.status_code == 200
    status = (await client.get(f"/api/orders/{code}")).json()
    assert status["status"] == "awaiting_payment" and status["amount_paid_idr"] == 0


def test_a_live_provider_with_an_emulated_tip_page_does_not_start() -> None:
    from core.store import Store

    env = {"VIPRESELLER_API_ID": "id", "VIPRESELLER_API_KEY": "key"}
    with pytest.raises(ConfigError, match="TRAKTEER_PAGE_URL"):
        Store(load_settings(ROOT / "settings.yaml", env))
    # explicit MADD_SANDBOX=1: everything emulated, on purpose
    assert Store(load_settings(ROOT / "settings.yaml", {**env, "MADD_SANDBOX": "1"})).sandboxes


async def test_public_order_view_masks_the_target_phone(client: Any) -> None:
    r = await client.post("/api/orders", json={"product": "S10", "phone": "0812-9876-5432", "whatsapp": "081234567890"})
    assert r.status_code == 201
    public = (await client.get(f"/api/orders/{r.json()['code']}")).json()
    assert public["target"] == {"phone": "0812****5432"}
    private = (await client.get(f"/api/admin/orders/{r.json()['code']}",
                                headers={"Authorization": "Bearer test-admin-token"})).json()
    assert private["target"] == {"phone": "6281298765432"}


async def test_signed_garbage_callbacks_are_a_2xx_not_a_500(client: Any) -> None:
    sign = hashlib.md5(b"test-vip-idtest-vip-key").hexdigest()
    bodies = [b"[" * 5000 + b"]" * 5000, b'{"data": {"trxid": "VP1\\u0000", "status": "success", "price": 1e30}}',
              b'{"data": {"trxid": "VP2", "status": "success", "note": "\\ud83d", "price": 99999999999999999999}}']
    for body in bodies:
        r = await client.post("/webhooks/vipreseller", content=body, headers={"X-Client-Signature": sign})
        assert r.status_code == 200, body[:40]


async def test_same_transaction_id_with_another_amount_is_kept_for_review(client: Any, store: Any) -> None:
    code = (await client.post("/api/orders", json=GOOD)).json()["code"]
    first = tip(code, 24000, tx="tx-same")
    second = {**first, "price": 90000, "quantity": 90}
    for body in (first, second, second):
        r = await client.post("/webhooks/trakteer", json=body, headers=webhook_headers("test-webhook-token"))
        assert r.status_code == 200
    status = (await client.get(f"/api/orders/{code}")).json()
    assert status["amount_paid_idr"] == 24000  # credited once, with the first amount
    from sqlalchemy import select

    from core.tables import payment_events
    kept = await store.db.fetch_all(select(payment_events.c.id).where(payment_events.c.external_id.like("conflict:%")))
    assert len(kept) == 1  # the conflicting body is visible to Banyu (once), never credited


def test_account_targets_are_masked_in_the_public_view() -> None:
    import json

    from core.orders.service import public_view

    base = {"code": "MADD-7KQ2XD", "status": "success", "amount_paid_idr": 1, "amount_due_idr": 1,
            "product_code": "NF1", "product_name": "Netflix", "category_slug": "netflix", "category_name": "Netflix",
            "nickname": None, "whatsapp": "6281234567890", "fulfil_at": None, "expires_at": 0, "note": "",
            "provider_note": "CODE-ABCD-1234", "created_at": 0, "updated_at": 0}
    view = public_view({**base, "kind": "streaming", "target_json": json.dumps({"user_id": "budi.santoso@gmail.com"})})
    assert view["target"] == {"user_id": "bu***@gmail.com"} and view["note"].endswith("1234")
    assert "ABCD" not in view["note"]
    game = public_view({**base, "kind": "game", "target_json": json.dumps({"user_id": "12345678"})})
    assert game["target"] == {"user_id": "12345678"}


def test_a_free_listing_is_never_sellable() -> None:
    from core.catalog.pricing import is_below_floor

    assert is_below_floor(0, 0, 570, 0) and is_below_floor(1000, 0, 570, 0)
    assert not is_below_floor(24000, 22000, 570, 0)


async def test_the_transition_function_refuses_moves_outside_the_state_table(store: Any, client: Any) -> None:
    from core.orders import repo

    code = (await client.post("/api/orders", json=GOOD)).json()["code"]
    order = await store.orders.get(code)
    # awaiting_payment -> success is not in DESIGN §3 for any trigger: refused even if a caller asks for it
    assert await repo.transition(store.db, order["id"], to="success", trigger="provider", actor="test",
                                 from_statuses=["awaiting_payment"]) is None
    assert (await store.orders.get(code))["status"] == "awaiting_payment"


def test_fees_are_never_negative(sqlite_store: Any) -> None:
    from core.interfaces import PaymentNotice
    from core.timeutil import now

    notice = PaymentNotice(external_id="x", amount_idr=5000, net_amount_idr=5100, paid_at=now())
    assert sqlite_store.payments.fee_of(notice) == (0, False)


async def test_retry_is_refused_after_a_late_success(client: Any, store: Any) -> None:
    from sqlalchemy import update

    from core.errors import ApiError
    from core.tables import orders

    code = (await client.post("/api/orders", json=GOOD)).json()["code"]
    order = await store.orders.get(code)
    await store.db.execute(update(orders).where(orders.c.id == order["id"]).values(status="failed",
                                                                                   flag="late_success"))
    with pytest.raises(ApiError) as refused:
        await store.orders.act(code, "retry", "test")
    assert refused.value.status == 409 and refused.value.code == "late_success"


async def test_a_refund_stays_in_the_month_it_was_made(client: Any, store: Any) -> None:
    from datetime import datetime

    from sqlalchemy import update

    from core.tables import orders, refunds
    from core.timeutil import WIB, to_ms

    code = (await client.post("/api/orders", json=GOOD)).json()["code"]
    body = tip(code, 30000)
    r = await client.post("/webhooks/trakteer", json=body, headers=webhook_headers("test-webhook-token"))
    assert r.status_code == 200
    over = [a for a in await store.payments.attention() if a["kind"] == "overpaid_order"]
    await store.payments.mark(over[0]["payment"]["id"], "refunded", "admin", "kelebihan 6.000")
    march = to_ms(datetime(2026, 3, 31, 23, 0, tzinfo=WIB))
    april = to_ms(datetime(2026, 4, 1, 9, 0, tzinfo=WIB))
    await store.db.execute(update(refunds).values(made_at=march))
    await store.db.execute(update(orders).values(updated_at=april))  # e.g. delivered the next morning
    assert (await store.ledger.monthly_report(2026, 3)).total("refunds_idr") == 6000
    assert (await store.ledger.monthly_report(2026, 4)).total("refunds_idr") == 0
