"""Matching and the ledger: exact pay, underpay then the rest, overpay, no code, a code inside a sentence,
two payments summed, a payment on an expired order, and the fee of each payment."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from core.tables import orders
from core.timeutil import now_ms
from tests.core.payments.conftest import fixture_json, new_order, payment_rows, set_order
from tests.helpers import drain_recorded, tip

BUYER = "6281234567890"


async def _sent_to(store: Any, fakes: Any, number: str) -> list[str]:
    await drain_recorded(store, store.jobs, ("send_message",))
    return [m["message"] for m in fakes.whatsapp.sent if m["target"].lstrip("+").endswith(number[2:])]


async def test_exact_payment_pays_the_order(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    body = fixture_json("webhook-tip.json") | {"supporter_message": order["code"]}
    r = await post_tip(body)
    assert r.status_code == 200 and r.json()["status"] == "matched"
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 24000
    assert got["fulfil_at"] == got["updated_at"] + 420_000
    [p] = await payment_rows(store)
    assert (p["order_id"], p["state"], p["amount_idr"], p["net_amount_idr"]) == (order["id"], "matched", 24000, 22612)
    assert p["fee_idr"] == 24000 - 22612 and p["is_fee_estimated"] is False
    assert p["external_id"] == "3f6a2c1e-8d4b-4f5a-9c7e-1b2d3e4f5a6b" and p["source"] == "webhook"
    assert p["quantity"] == 24 and p["payer_name"] == "Budi"
    r = await store.payments.payments_of(order["id"])
    assert r[0]["paid_at"] == "2026-11-20T07:50:10+00:00"  # 14:50:10 WIB


async def test_underpay_then_the_rest(store: Any, post_tip: Any, fakes: Any) -> None:
    order = await new_order(store)  # Rp 24.000
    await post_tip(tip(order["code"], 19500, tx="tx-under", unit=500) | {"quantity": 19})
    got = await store.orders.get(order["code"])
    assert got["status"] == "underpaid" and got["amount_paid_idr"] == 19500
    texts = await _sent_to(store, fakes, BUYER)
    [under] = [t for t in texts if "belum lunas" in t]
    assert "Masih kurang: Rp 4.500" in under and order["code"] in under
    link = next(w for w in under.split() if w.startswith("https://trakteer.id/maddstore/tip?"))
    query = parse_qs(urlsplit(link).query)
    assert query["quantity"] == ["5"]  # ceil(4.500 / 1.000)
    assert query["supporter_message"] == [order["code"]]  # the same code

    await post_tip(tip(order["code"], 5000, tx="tx-rest"))
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 24500
    view = (await store.orders.get(order["code"]))
    assert view["fulfil_at"] is not None
    moves = [(e["from_status"], e["to_status"]) for e in await store.orders.timeline(order["id"]) if e["to_status"]]
    assert moves[1:] == [("awaiting_payment", "underpaid"), ("underpaid", "paid")]
    texts = await _sent_to(store, fakes, BUYER)
    assert len([t for t in texts if "belum lunas" in t]) == 1  # no second shortfall message once paid


async def test_two_partial_payments_each_get_a_shortfall_message(store: Any, post_tip: Any, fakes: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 10000, tx="p1"))
    await post_tip(tip(order["code"], 10000, tx="p2"))
    got = await store.orders.get(order["code"])
    assert got["status"] == "underpaid" and got["amount_paid_idr"] == 20000
    unders = [t for t in await _sent_to(store, fakes, BUYER) if "belum lunas" in t]
    assert len(unders) == 2 and "Masih kurang: Rp 4.000" in unders[1] and "quantity=4" in unders[1]
    notes = [e["reason"] for e in await store.orders.timeline(order["id"]) if not e["to_status"]]
    assert any("masih kurang Rp 4.000" in n for n in notes)


async def test_overpay_is_paid_with_payment_state_over(store: Any, client: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 30000, tx="tx-over"))
    view = (await client.get(f"/api/orders/{order['code']}")).json()
    assert view["status"] == "paid" and view["payment_state"] == "over" and view["amount_paid_idr"] == 30000
    [item] = await store.payments.attention()
    assert item["kind"] == "overpaid_order" and item["order"]["overpaid_idr"] == 6000
    moves = [e["reason"] for e in await store.orders.timeline(order["id"]) if e["to_status"] == "paid"]
    assert "kelebihan bayar Rp 6.000" in moves[0]


async def test_payment_after_paid_is_recorded_as_overpayment(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 24000, tx="a"))
    await post_tip(tip(order["code"], 2000, tx="b"))
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 26000
    [item] = await store.payments.attention()
    assert item["kind"] == "overpaid_order" and item["order"]["overpaid_idr"] == 2000
    assert item["payment"]["external_id"] == "b"


async def test_no_code_goes_to_the_unmatched_inbox(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    r = await post_tip(fixture_json("webhook-tip-no-code.json"))
    assert r.status_code == 200 and r.json()["status"] == "unmatched"
    [p] = await payment_rows(store)
    assert p["state"] == "unmatched" and p["order_id"] is None and p["amount_idr"] == 11000
    assert p["fee_idr"] == 11000 - 10365
    assert (await store.orders.get(order["code"]))["amount_paid_idr"] == 0
    [item] = await store.payments.attention()
    assert item["kind"] == "unmatched_payment" and item["payment"]["id"] == p["id"]


async def test_lower_case_code_inside_a_sentence_with_emoji(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    short = order["code"].removeprefix("MADD-").lower()
    body = fixture_json("webhook-tip-underpaid.json") | {"supporter_message": f"madd {short} 🙏 topup ml"}
    r = await post_tip(body)
    assert r.json()["status"] == "matched"
    got = await store.orders.get(order["code"])
    assert got["status"] == "underpaid" and got["amount_paid_idr"] == 20000
    await post_tip(tip(None, 4000, message=f"Kak ini sisanya ya 🙏🙏 Madd-{short}!!", tx="rest"))
    assert (await store.orders.get(order["code"]))["status"] == "paid"


async def test_a_wrong_code_first_does_not_hide_the_right_one(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(None, 24000, message=f"MADD-ZZZZZZ eh salah, {order['code']}"))
    assert (await store.orders.get(order["code"]))["status"] == "paid"


async def test_two_payments_with_the_same_code_and_amount_are_summed(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 12000, tx="same-1"))
    await post_tip(tip(order["code"], 12000, tx="same-2"))  # same code, same amount, same minute
    got = await store.orders.get(order["code"])
    assert got["amount_paid_idr"] == 24000 and got["status"] == "paid"
    assert [p["external_id"] for p in await payment_rows(store)] == ["same-1", "same-2"]


async def test_payment_on_an_expired_order_is_recorded_and_flagged(store: Any, post_tip: Any, fakes: Any) -> None:
    order = await new_order(store)
    await set_order(store, order["id"], expires_at=now_ms() - 1)
    assert await store.orders.expire_due() == 1
    r = await post_tip(tip(order["code"], 24000, tx="late"))
    assert r.status_code == 200 and r.json()["status"] == "matched"
    got = await store.orders.get(order["code"])
    assert got["status"] == "expired"  # never reopened by a payment
    assert got["amount_paid_idr"] == 24000 and got["refund_owed_idr"] == 24000 and got["flag"] == "late_payment"
    assert got["fulfil_at"] is None and store.jobs.of("fulfil") == []
    [p] = await payment_rows(store)
    assert p["order_id"] == order["id"] and p["state"] == "matched"
    [item] = await store.payments.attention()
    assert item["kind"] == "closed_order_payment" and item["order"]["code"] == order["code"]
    assert item["order"]["status"] == "expired" and item["payment"]["amount_idr"] == 24000
    owner = await _sent_to(store, fakes, "6281200000001")
    assert any(order["code"] in t and "expired" in t for t in owner)


async def test_payment_on_a_cancelled_order(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await store.orders.act(order["code"], "cancel", "banyu")
    await post_tip(tip(order["code"], 5000, tx="late-c"))
    got = await store.orders.get(order["code"])
    assert (got["status"], got["amount_paid_idr"], got["refund_owed_idr"]) == ("cancelled", 5000, 5000)


async def test_fee_is_price_minus_net_or_the_estimate(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    with_net = tip(order["code"], 10000, net=9431, tx="net")
    without_net = tip(order["code"], 11000, tx="no-net")
    del without_net["net_amount"]
    null_net = tip(order["code"], 3000, tx="null-net") | {"net_amount": None}
    for body in (with_net, without_net, null_net):
        assert (await post_tip(body)).status_code == 200
    fees = {p["external_id"]: (p["fee_idr"], p["is_fee_estimated"], p["net_amount_idr"])
            for p in await payment_rows(store)}
    assert fees["net"] == (569, False, 9431)
    assert fees["no-net"] == (627, True, None)  # 5.7 % of 11.000
    assert fees["null-net"] == (171, True, None)  # 5.7 % of 3.000


async def test_fee_estimate_rounds_up_to_a_whole_rupiah(make_store: Any, tmp_path: Any) -> None:
    store = await make_store(sync=False)
    from datetime import UTC, datetime

    from core.interfaces import PaymentNotice

    fee, estimated = store.payments.fee_of(PaymentNotice("x", 1500, datetime.now(UTC)))
    assert (fee, estimated) == (86, True)  # 85.5 -> 86: costs are rounded up
    assert isinstance(fee, int)


async def test_ledger_amounts_are_integers_in_the_database(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 24000, tx="i"))
    row = await store.db.fetch_one(select(orders.c.amount_paid_idr).where(orders.c.id == order["id"]))
    assert type(row.amount_paid_idr) is int
