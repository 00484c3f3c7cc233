"""The §3 state table is a contract: every (from, to, trigger) it allows works, everything else is refused.

The table is transcribed here independently of core/orders/states.py. Banyu's actions go through the admin
JSON API (`POST /api/admin/orders/{code}/{action}` → 200 private view, 409 `invalid_transition`); system
triggers through the services the worker and the webhooks call. Every move appends a timeline row
(actor, from, to, reason); a refused one changes neither the order nor its timeline nor the provider."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from core.interfaces import OrderPlacement, PlacementOutcome
from core.orders import states
from core.orders.states import Status
from core.timeutil import now_ms
from tests.conftest import Fakes
from tests.core.lifecycle.life_helpers import (
    ADMIN,
    callback_body,
    claim_without_reply,
    events,
    order_in,
    pay,
    reload,
    set_columns,
    snapshot,
    vip_headers,
)

S = Status
ALL = list(Status)
OPEN = (S.AWAITING_PAYMENT, S.UNDERPAID)

# DESIGN.md §3, row by row: (from statuses, to, triggers).
DESIGN_TABLE: list[tuple[tuple[Status, ...], Status, tuple[str, ...]]] = [
    ((S.AWAITING_PAYMENT,), S.UNDERPAID, ("payment",)),
    ((S.AWAITING_PAYMENT, S.UNDERPAID), S.PAID, ("payment",)),
    ((S.AWAITING_PAYMENT, S.UNDERPAID), S.EXPIRED, ("expire",)),
    ((S.AWAITING_PAYMENT, S.UNDERPAID, S.PAID, S.ON_HOLD, S.FAILED), S.CANCELLED, ("cancel",)),
    ((S.PAID,), S.ON_HOLD, ("hold",)),
    ((S.ON_HOLD,), S.PAID, ("release",)),
    ((S.PAID,), S.PROCESSING, ("claim", "send-now", "confirm")),
    ((S.PROCESSING,), S.SUCCESS, ("provider", "mark-delivered")),
    ((S.PROCESSING,), S.FAILED, ("provider",)),
    ((S.PROCESSING,), S.PAID, ("refused",)),
    ((S.PAID, S.ON_HOLD, S.FAILED), S.SUCCESS, ("mark-delivered",)),
    ((S.FAILED,), S.PAID, ("retry",)),
]
EXPECTED: set[tuple[Status, Status, str]] = {
    (f, to, trig) for froms, to, trigs in DESIGN_TABLE for f in froms for trig in trigs}
TRIGGERS = sorted({t for _, _, t in EXPECTED} | {"resend-message", "poll", "bogus"})

# Banyu's actions: action -> the status it moves to.
ACTIONS: dict[str, Status] = {"send-now": S.PROCESSING, "confirm": S.PROCESSING, "hold": S.ON_HOLD,
                              "release": S.PAID, "cancel": S.CANCELLED, "retry": S.PAID,
                              "mark-delivered": S.SUCCESS}


def allowed(frm: Status, action: str) -> bool:
    return (frm, ACTIONS[action], action) in EXPECTED


@pytest.mark.parametrize(("frm", "to"), list(itertools.product(ALL, ALL)), ids=lambda s: str(s))
def test_life_table_matches_design(frm: Status, to: Status) -> None:
    for trigger in TRIGGERS:
        assert states.is_allowed(frm, to, trigger) == ((frm, to, trigger) in EXPECTED), (frm, to, trigger)
        if (frm, to, trigger) in EXPECTED:
            assert frm in states.sources(to, trigger)
        else:
            assert frm not in states.sources(to, trigger)


def test_life_table_has_nothing_extra() -> None:
    actual = {(f, t, trig) for (f, t), trigs in states.TRANSITIONS.items() for trig in trigs}
    assert actual == EXPECTED
    assert not states.is_allowed("nonsense", "paid", "payment")


async def _provider_orders(fakes: Fakes) -> int:
    return len(fakes.vip.calls_of("game-feature", "order"))


@pytest.mark.parametrize("frm", ALL, ids=str)
async def test_life_admin_actions_from_every_status(frm: Status, store: Any, client: httpx.AsyncClient,
                                                    fakes: Fakes) -> None:
    for action, to in ACTIONS.items():
        order = await order_in(store, frm, fakes)
        before, n_events = await snapshot(store, order["id"])
        bought = await _provider_orders(fakes)
        body = {"note": "dibeli manual, SN 1234"} if action == "mark-delivered" else None
        r = await client.post(f"/api/admin/orders/{order['code'].lower()}/{action}", json=body, headers=ADMIN)
        if allowed(frm, action):
            assert r.status_code == 200, (frm, action, r.text)
            view = r.json()
            assert view["code"] == order["code"] and view["status"] == to and "provider_ref" in view
            after = await reload(store, order)
            assert after["status"] == to
            new_rows = (await events(store, order["id"]))[n_events:]
            move = [e for e in new_rows if e["to_status"]]
            assert len(move) == 1, (frm, action, new_rows)
            assert (move[0]["actor"], move[0]["from_status"], move[0]["to_status"]) == ("admin-api", frm, to)
            assert move[0]["reason"] and move[0]["at"] >= before["updated_at"]
            assert await _provider_orders(fakes) == bought + (1 if to == S.PROCESSING else 0)
            _check_side_effects(before, after, action)
        else:
            assert r.status_code == 409, (frm, action, r.text)
            assert r.json()["error"]["code"] == "invalid_transition"
            assert await snapshot(store, order["id"]) == (before, n_events), (frm, action)
            assert await _provider_orders(fakes) == bought  # never a second provider order


def _check_side_effects(before: dict[str, Any], after: dict[str, Any], action: str) -> None:
    now = now_ms()
    if action == "hold":
        assert after["fulfil_at"] is None
    elif action == "release":
        assert abs(after["fulfil_at"] - (now + 420_000)) < 60_000 and after["flag"] is None
    elif action == "retry":
        assert after["fulfil_at"] <= now and after["refund_owed_idr"] == 0  # no second cooldown
    elif action == "cancel":
        assert after["refund_owed_idr"] == before["amount_paid_idr"] and after["fulfil_at"] is None
    elif action == "mark-delivered":
        assert after["provider_note"] == "dibeli manual, SN 1234"
    elif action in ("send-now", "confirm"):
        assert after["provider_ref"] and after["claimed_at"]


async def test_life_mark_delivered_needs_a_note(store: Any, client: httpx.AsyncClient, fakes: Fakes) -> None:
    order = await order_in(store, S.PAID, fakes)
    before = await snapshot(store, order["id"])
    for body in (None, {}, {"note": "   "}, {"note": 5}):
        r = await client.post(f"/api/admin/orders/{order['code']}/mark-delivered", json=body, headers=ADMIN)
        assert r.status_code == 422 and r.json()["error"]["field"] == "note"
    assert await snapshot(store, order["id"]) == before


async def test_life_admin_api_auth(make_store: Any, fakes: Fakes) -> None:
    from tests.conftest import client_for

    store = await make_store()
    order = await order_in(store, S.PAID, fakes)
    before = await snapshot(store, order["id"])
    url = f"/api/admin/orders/{order['code']}/send-now"
    async with client_for(store) as client:
        assert (await client.post(url)).status_code == 401
        assert (await client.post(url, headers={"Authorization": "Bearer nope"})).status_code == 401
        assert (await client.post(url, headers={"Authorization": "Basic test-admin-token"})).status_code == 401
        assert (await client.post("/api/admin/orders/MADD-ZZZZZZ/send-now", headers=ADMIN)).status_code == 404
        r = await client.post(f"/api/admin/orders/{order['code']}/explode", headers=ADMIN)
        assert r.status_code == 404
    disabled = await make_store(admin_api_token="", sync=False)
    async with client_for(disabled) as client:
        r = await client.post(url, headers=ADMIN)
        assert r.status_code == 403 and r.json()["error"]["code"] == "admin_api_disabled"
    assert await snapshot(store, order["id"]) == before
    assert await _provider_orders(fakes) == 0


# ---- system triggers ---------------------------------------------------------------------------------

async def _payment(store: Any, fakes: Fakes, frm: Status) -> None:
    order = await order_in(store, frm, fakes)
    _, n_events = await snapshot(store, order["id"])
    rest = order["amount_due_idr"] - order["amount_paid_idr"]
    await pay(store, order["code"], rest if frm in OPEN else 1000)
    after = await reload(store, order)
    new = (await events(store, order["id"]))[n_events:]
    assert after["amount_paid_idr"] == order["amount_paid_idr"] + (rest if frm in OPEN else 1000)
    if frm in OPEN:
        assert after["status"] == S.PAID and after["fulfil_at"] is not None
        assert [(e["actor"], e["from_status"], e["to_status"]) for e in new] == [("webhook", frm, "paid")]
    else:
        assert after["status"] == frm  # money is recorded, the status never moves
        assert len(new) == 1 and new[0]["to_status"] is None and new[0]["reason"]
        if frm in (S.EXPIRED, S.CANCELLED):
            assert after["flag"] == "late_payment" and after["refund_owed_idr"] == after["amount_paid_idr"]
    if frm == S.AWAITING_PAYMENT:
        partial = await order_in(store, frm, fakes)
        await pay(store, partial["code"], 1000)
        assert (await reload(store, partial))["status"] == S.UNDERPAID
        assert [(e["from_status"], e["to_status"]) for e in await events(store, partial["id"])][-1] == \
            ("awaiting_payment", "underpaid")


async def _expire(store: Any, fakes: Fakes, frm: Status) -> None:
    order = await order_in(store, frm, fakes)
    await set_columns(store, order["id"], expires_at=now_ms() - 1)
    before, n_events = await snapshot(store, order["id"])
    await store.orders.expire_due()
    after = await reload(store, order)
    if frm in OPEN:
        assert after["status"] == S.EXPIRED and after["refund_owed_idr"] == order["amount_paid_idr"]
        new = (await events(store, order["id"]))[n_events:]
        assert [(e["actor"], e["from_status"], e["to_status"]) for e in new] == [("system", frm, "expired")]
    else:
        assert await snapshot(store, order["id"]) == (before, n_events)


async def _claim(store: Any, fakes: Fakes, frm: Status) -> None:
    order = await order_in(store, frm, fakes)
    await set_columns(store, order["id"], fulfil_at=now_ms() - 1)
    before, n_events = await snapshot(store, order["id"])
    bought = await _provider_orders(fakes)
    await store.fulfilment.fulfil_due(order["id"])
    await store.fulfilment.sweep_due()
    if frm == S.PAID:
        assert (await reload(store, order))["status"] == S.PROCESSING
        new = (await events(store, order["id"]))[n_events:]
        assert [(e["actor"], e["from_status"], e["to_status"]) for e in new if e["to_status"]] == \
            [("system", "paid", "processing")]
        assert await _provider_orders(fakes) == bought + 1
    else:
        assert await snapshot(store, order["id"]) == (before, n_events)
        assert await _provider_orders(fakes) == bought


async def _provider_news(store: Any, client: httpx.AsyncClient, fakes: Fakes, frm: Status) -> None:
    for word, to in (("success", S.SUCCESS), ("error", S.FAILED)):
        order = await order_in(store, frm, fakes)
        if not order["provider_ref"]:
            # Nothing was bought for this order: a callback cannot name it (unknown trxid is kept, see the
            # callback tests); a status poll has nothing to ask.
            assert await store.fulfilment.poll(order["id"]) == order
            continue
        fakes.vip.set_status(order["provider_ref"], word, "SN-9" if word == "success" else "Gagal")
        before, n_events = await snapshot(store, order["id"])
        r = await client.post("/webhooks/vipreseller", content=callback_body(fakes, order["provider_ref"]),
                              headers=vip_headers())
        assert r.status_code == 200
        after = await reload(store, order)
        if frm == S.PROCESSING:
            assert after["status"] == to
            new = (await events(store, order["id"]))[n_events:]
            assert [(e["actor"], e["from_status"], e["to_status"]) for e in new] == [("provider", frm, to)]
            if to == S.FAILED:
                assert after["refund_owed_idr"] == after["amount_paid_idr"]
            else:
                assert after["provider_note"] == "SN-9"
        elif frm == S.FAILED and to == S.SUCCESS:
            # forward-only: still failed, but flagged and explained so Banyu does not refund a delivered item
            assert after["status"] == S.FAILED and after["flag"] == "late_success"
            new = (await events(store, order["id"]))[n_events:]
            assert [(e["actor"], e["from_status"], e["to_status"]) for e in new] == [("provider", None, None)]
            assert "SUKSES setelah gagal" in new[0]["reason"]
        else:
            assert await snapshot(store, order["id"]) == (before, n_events)  # forward-only


async def _refused(store: Any, fakes: Fakes, frm: Status) -> None:
    placement = OrderPlacement(PlacementOutcome.REFUSED, reason="Saldo tidak cukup", flag="needs_deposit")
    if frm == S.PROCESSING:
        # The refusal answers the order call: the order is claimed and has no provider order yet.
        order = await order_in(store, S.PAID, fakes)
        await claim_without_reply(store, order["id"], claimed_ago_ms=5)
        n_events = len(await events(store, order["id"]))
        await store.fulfilment.apply_placement(order, placement)
        after = await reload(store, order)
        assert after["status"] == S.PAID and after["flag"] == "needs_deposit" and after["fulfil_at"] is None
        new = [e for e in (await events(store, order["id"]))[n_events:] if e["to_status"]]
        assert [(e["actor"], e["from_status"], e["to_status"]) for e in new] == [("provider", frm, "paid")]
    # Every other status — and a processing order whose provider order is known — ignores a refusal.
    order = await order_in(store, frm, fakes)
    before, n_events = await snapshot(store, order["id"])
    await store.fulfilment.apply_placement(order, placement)
    assert await snapshot(store, order["id"]) == (before, n_events)


@pytest.mark.parametrize("frm", ALL, ids=str)
async def test_life_system_triggers_from_every_status(frm: Status, store: Any, client: httpx.AsyncClient,
                                                      fakes: Fakes) -> None:
    await _payment(store, fakes, frm)
    await _expire(store, fakes, frm)
    await _claim(store, fakes, frm)
    await _provider_news(store, client, fakes, frm)
    await _refused(store, fakes, frm)
