"""Banyu's inbox: assign a stray payment to an order, mark payments refunded / ignored, the attention list."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.errors import ApiError
from core.timeutil import now_ms
from tests.core.payments.conftest import new_order, payment_rows, set_order
from tests.helpers import tip


async def _stray(post_tip: Any, amount: int, tx: str, message: str = "buat topup") -> None:
    r = await post_tip(tip(None, amount, message=message, tx=tx))
    assert r.json()["status"] == "unmatched"


async def _payment(store: Any, external_id: str) -> dict[str, Any]:
    return next(p for p in await payment_rows(store) if p["external_id"] == external_id)


async def test_assign_applies_the_payment_to_the_order(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await _stray(post_tip, 24000, "stray")
    p = await _payment(store, "stray")
    short = order["code"].removeprefix("MADD-").lower()
    assert await store.payments.assign(p["id"], f"madd {short}", "banyu") == "matched"
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 24000 and got["fulfil_at"] is not None
    assert store.jobs.of("fulfil")
    p = await _payment(store, "stray")
    assert (p["state"], p["order_id"]) == ("matched", order["id"])
    timeline = await store.orders.timeline(order["id"])
    assert any("ditautkan manual" in e["reason"] and e["actor"] == "banyu" for e in timeline)
    assert [(e["to_status"], e["actor"]) for e in timeline if e["to_status"] == "paid"] == [("paid", "banyu")]
    assert await store.payments.attention() == []


async def test_assign_partial_then_webhook_rest(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await _stray(post_tip, 10000, "part")
    await store.payments.assign((await _payment(store, "part"))["id"], order["code"], "banyu")
    assert (await store.orders.get(order["code"]))["status"] == "underpaid"
    await post_tip(tip(order["code"], 14000, tx="rest"))
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 24000


async def test_double_assignment_is_refused_with_409(store: Any, post_tip: Any) -> None:
    a, b = await new_order(store), await new_order(store)
    await _stray(post_tip, 24000, "once")
    pid = (await _payment(store, "once"))["id"]
    await store.payments.assign(pid, a["code"], "banyu")
    with pytest.raises(ApiError) as err:
        await store.payments.assign(pid, b["code"], "banyu")
    assert err.value.status == 409
    assert (await store.orders.get(b["code"]))["amount_paid_idr"] == 0
    assert (await store.orders.get(a["code"]))["amount_paid_idr"] == 24000


async def test_simultaneous_assignments_one_wins(store: Any, post_tip: Any) -> None:
    a, b = await new_order(store), await new_order(store)
    await _stray(post_tip, 24000, "race")
    pid = (await _payment(store, "race"))["id"]
    results = await asyncio.gather(store.payments.assign(pid, a["code"], "banyu"),
                                   store.payments.assign(pid, b["code"], "admin2"), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["ApiError", "str"]
    assert next(r for r in results if isinstance(r, ApiError)).status == 409
    paid = [(await store.orders.get(o["code"]))["amount_paid_idr"] for o in (a, b)]
    assert sorted(paid) == [0, 24000]


@pytest.mark.parametrize(("pid", "code", "status"), [(999999, "MADD-7KQ2XD", 404), (None, "MADD-ZZZZZZ", 422),
                                                     (None, "not a code", 422)])
async def test_assign_errors(store: Any, post_tip: Any, pid: Any, code: str, status: int) -> None:
    await _stray(post_tip, 5000, "err")
    with pytest.raises(ApiError) as err:
        await store.payments.assign(pid or (await _payment(store, "err"))["id"], code, "banyu")
    assert err.value.status == status
    assert (await _payment(store, "err"))["state"] == "unmatched"


@pytest.mark.parametrize("state", ["refunded", "ignored"])
async def test_mark_an_unmatched_payment(store: Any, post_tip: Any, state: str) -> None:
    await _stray(post_tip, 5000, "m")
    pid = (await _payment(store, "m"))["id"]
    view = await store.payments.mark(pid, state, "banyu", "transfer balik via DANA")
    assert view["state"] == state and view["note"] == f"{state} oleh banyu: transfer balik via DANA"
    assert await store.payments.attention() == []
    with pytest.raises(ApiError) as err:
        await store.payments.mark(pid, "ignored", "banyu")
    assert err.value.status == 409
    with pytest.raises(ApiError) as err:
        await store.payments.assign(pid, (await new_order(store))["code"], "banyu")
    assert err.value.status == 409


async def test_mark_refuses_bad_state_unknown_payment_and_plain_payments(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 24000, tx="plain"))
    pid = (await _payment(store, "plain"))["id"]
    with pytest.raises(ApiError) as err:
        await store.payments.mark(pid, "deleted", "banyu")
    assert err.value.status == 422
    with pytest.raises(ApiError) as err:
        await store.payments.mark(999999, "ignored", "banyu")
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:  # an ordinary payment on a paid order is nothing to settle
        await store.payments.mark(pid, "refunded", "banyu")
    assert err.value.status == 409


async def test_refund_of_a_late_payment_clears_the_attention_item(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 10000, tx="before"))  # underpaid, then expired
    await set_order(store, order["id"], expires_at=now_ms() - 1)
    await store.orders.expire_due()
    await post_tip(tip(order["code"], 14000, tx="after"))
    got = await store.orders.get(order["code"])
    assert (got["status"], got["refund_owed_idr"], got["flag"]) == ("expired", 24000, "late_payment")
    items = await store.payments.attention()
    assert [(i["kind"], i["payment"]["external_id"]) for i in items] == [
        ("closed_order_payment", "after"), ("closed_order_payment", "before")]

    await store.payments.mark(items[0]["payment"]["id"], "refunded", "banyu", "dikembalikan")
    got = await store.orders.get(order["code"])
    assert (got["refund_made_idr"], got["refund_owed_idr"], got["flag"]) == (14000, 10000, "late_payment")
    assert got["amount_paid_idr"] == 24000  # money received stays in the ledger; refund_made says it went back
    await store.payments.mark(items[1]["payment"]["id"], "ignored", "banyu", "buka ulang manual")
    got = await store.orders.get(order["code"])
    assert (got["refund_made_idr"], got["refund_owed_idr"], got["flag"]) == (14000, 10000, None)
    assert got["status"] == "expired"
    assert await store.payments.attention() == []
    notes = [e["reason"] for e in await store.orders.timeline(order["id"])]
    assert any("ditandai refunded, refund Rp 14.000: dikembalikan" in n for n in notes)


async def test_settling_an_overpayment(store: Any, post_tip: Any) -> None:
    a, b = await new_order(store), await new_order(store)
    await post_tip(tip(a["code"], 30000, tx="over-a"))
    await post_tip(tip(b["code"], 25000, tx="over-b"))
    items = await store.payments.attention()
    assert {(i["kind"], i["order"]["code"], i["order"]["overpaid_idr"]) for i in items} == {
        ("overpaid_order", a["code"], 6000), ("overpaid_order", b["code"], 1000)}
    by_code = {i["order"]["code"]: i for i in items}
    await store.payments.mark(by_code[a["code"]]["payment"]["id"], "refunded", "banyu")
    got = await store.orders.get(a["code"])
    assert (got["status"], got["amount_paid_idr"], got["refund_made_idr"]) == ("paid", 30000, 6000)
    await store.payments.mark(by_code[b["code"]]["payment"]["id"], "ignored", "banyu", "anggap tip")
    assert (await store.orders.get(b["code"]))["refund_made_idr"] == 0
    assert await store.payments.attention() == []


async def test_attention_shape(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await _stray(post_tip, 11000, "shape", message="halo kak")
    await post_tip(tip(order["code"], 26000, tx="shape-over"))
    items = await store.payments.attention()
    assert [i["kind"] for i in items] == ["overpaid_order", "unmatched_payment"] or \
        [i["kind"] for i in items] == ["unmatched_payment", "overpaid_order"]
    for item in items:
        assert set(item) == {"kind", "at", "payment", "order", "actions"}
        assert set(item["payment"]) == {"id", "state", "amount_idr", "net_amount_idr", "fee_idr", "is_fee_estimated",
                                        "quantity", "payer_name", "message", "source", "external_id", "paid_at",
                                        "recorded_at", "note"}
        assert item["at"] == item["payment"]["paid_at"] and item["at"].endswith("+00:00")
    stray = next(i for i in items if i["kind"] == "unmatched_payment")
    assert stray["order"] is None and stray["actions"] == ["assign", "refunded", "ignored"]
    assert stray["payment"]["message"] == "halo kak" and stray["payment"]["amount_idr"] == 11000
    over = next(i for i in items if i["kind"] == "overpaid_order")
    assert over["order"] == {"code": order["code"], "status": "paid", "amount_due_idr": 24000,
                             "amount_paid_idr": 26000, "overpaid_idr": 2000, "refund_owed_idr": 0,
                             "refund_made_idr": 0, "flag": None}
    assert over["actions"] == ["refunded", "ignored"]
