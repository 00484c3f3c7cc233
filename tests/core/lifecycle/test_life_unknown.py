"""Unknown provider results and refusals (DESIGN §3): never placed twice, never lost.

- a timeout after the provider accepted leaves the order `processing` + `unsettled` until the status list
  names its trxid; a worker dying between claim and reply is recovered by the sweep;
- refusals before buying park the order (`needs_deposit` / `needs_attention`) until Banyu acts or the
  balance watchdog sees a top-up; a connect error retries by itself;
- status polling backs off and stops after `status_poll_max_age_seconds` (flag + one owner alert)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from core.errors import ApiError
from core.interfaces import ProviderOrderRequest
from core.orders.states import Status
from core.queue import run_sweep, watch_balance
from core.timeutil import now_ms
from tests.conftest import Fakes
from tests.core.lifecycle.life_helpers import (
    ML_DUE,
    claim_without_reply,
    events,
    moves,
    new_order,
    order_in,
    owner_messages,
    pay,
    record_alerts,
    reload,
    set_columns,
)
from tests.helpers import drain_recorded, end_cooldown


def bought(fakes: Fakes) -> int:
    """Orders the provider actually took (refused calls are not orders)."""
    return len(fakes.vip.orders)


async def paid_order(store: Any, due_now: bool = True) -> dict[str, Any]:
    order = await new_order(store)
    await pay(store, order["code"], ML_DUE)
    if due_now:
        await end_cooldown(store, order["id"])
    return await reload(store, order)


async def nothing_claims(store: Any, order: dict[str, Any]) -> None:
    """The cooldown task, the sweep and the whole periodic sweep leave a parked order alone."""
    assert await store.fulfilment.fulfil_due(order["id"]) is None
    assert await store.fulfilment.sweep_due() == 0
    await run_sweep(store)
    for oid, _ in store.jobs.of("fulfil"):
        await store.fulfilment.fulfil_due(oid)
    assert (await reload(store, order))["status"] == Status.PAID


async def poll_until_final(store: Any, order_id: int, tries: int = 5) -> dict[str, Any]:
    for _ in range(tries):
        after = await store.fulfilment.poll(order_id)
        if after and after["status"] != Status.PROCESSING:
            return after  # type: ignore[no-any-return]
    return await reload(store, order_id)


@pytest.mark.parametrize("path", ["settle", "sweep"])
async def test_life_timeout_after_accept_settles_through_status_list(path: str, store: Any, fakes: Fakes) -> None:
    order = await paid_order(store)
    fakes.vip.timeout_next_order()
    if path == "settle":
        after = await store.orders.act(order["code"], "send-now", "admin")
    else:
        after = await store.fulfilment.fulfil_due(order["id"])
    assert after["status"] == Status.PROCESSING and after["flag"] == "unsettled" and after["provider_ref"] is None
    assert bought(fakes) == 1  # the provider took it; the store does not know its trxid yet
    assert (order["id"], 60.0) in store.jobs.of("settle")

    # Nothing re-orders it meanwhile.
    with pytest.raises(ApiError) as refused:
        await store.orders.act(order["code"], "send-now", "admin")
    assert refused.value.status == 409
    assert await store.fulfilment.fulfil_due(order["id"]) is None
    assert await store.fulfilment.sweep_due() == 0

    if path == "settle":
        settled = await store.fulfilment.settle(order["id"])
    else:
        assert await store.fulfilment.sweep_unsettled() == 0  # too early: a settle job comes back later
        assert fakes.vip.calls_of("game-feature", "status") == []
        await set_columns(store, order["id"], claimed_at=now_ms() - store.fulfilment.claim_grace_ms - 1)
        assert await store.fulfilment.sweep_unsettled() == 1
        settled = await reload(store, order)
    trxid = fakes.vip.orders[0]["trxid"]
    assert settled["provider_ref"] == trxid and settled["flag"] is None
    status_call = fakes.vip.calls_of("game-feature", "status")[-1]
    assert status_call.get("limit") == "50" and not status_call.get("trxid")  # list mode, not a guess
    assert "diterima provider: " + trxid in [e["reason"] for e in await events(store, order["id"])]

    final = await poll_until_final(store, order["id"])
    assert final["status"] == Status.SUCCESS
    assert bought(fakes) == 1 and len(fakes.vip.calls_of("game-feature", "order")) == 1
    # Settling again is a no-op.
    assert (await store.fulfilment.settle(order["id"]))["status"] == Status.SUCCESS
    assert bought(fakes) == 1


async def test_life_crash_after_provider_took_it_is_recovered_by_sweep(store: Any, fakes: Fakes) -> None:
    order = await paid_order(store)
    await claim_without_reply(store, order["id"], claimed_ago_ms=600_000)
    # The dead worker's call reached the provider; its reply was lost with the process.
    request = ProviderOrderRequest(order_code=order["code"], product_code="ML86-S24", section="game",
                                   target={"user_id": "12345678", "zone_id": "2001"},
                                   claimed_at=datetime.now(UTC))
    await store.provider.place_order(request)
    assert bought(fakes) == 1

    await run_sweep(store)
    after = await reload(store, order)
    assert after["provider_ref"] == fakes.vip.orders[0]["trxid"]
    final = await poll_until_final(store, order["id"])
    assert final["status"] == Status.SUCCESS
    assert bought(fakes) == 1 and len(fakes.vip.calls_of("game-feature", "order")) == 1
    assert await moves(store, order["id"]) == [(None, "awaiting_payment"), ("awaiting_payment", "paid"),
                                               ("paid", "processing"), ("processing", "success")]


async def test_life_crash_before_the_call_parks_order_for_banyu(store: Any, fakes: Fakes) -> None:
    order = await paid_order(store)
    alerts = record_alerts(store)
    await claim_without_reply(store, order["id"], claimed_ago_ms=600_000)
    await run_sweep(store)
    after = await reload(store, order)
    # The provider lists no such order: nothing was bought. Re-buying is Banyu's call, not the sweep's.
    assert after["status"] == Status.PAID and after["flag"] == "needs_attention" and after["fulfil_at"] is None
    assert [a[0] for a in alerts] == ["needs_attention"]
    assert bought(fakes) == 0
    await nothing_claims(store, after)
    assert bought(fakes) == 0
    sent = await store.orders.act(order["code"], "send-now", "admin")
    assert sent["status"] == Status.PROCESSING and sent["flag"] is None and bought(fakes) == 1


async def test_life_recent_claim_is_left_to_its_worker(store: Any, fakes: Fakes) -> None:
    """A claim without a reply may be a live worker still waiting on the provider: no lookup before its
    call must have ended (2 × the provider timeout + 5 s), then the lookup decides."""
    order = await paid_order(store)
    await claim_without_reply(store, order["id"], claimed_ago_ms=1_000)
    grace = store.fulfilment.claim_grace_ms
    assert grace == 85_000  # vip-reseller timeout_seconds 40 by default
    status_calls = len(fakes.vip.calls_of("game-feature", "status"))
    assert await store.fulfilment.sweep_unsettled() == 0
    assert (await store.fulfilment.settle(order["id"]))["status"] == Status.PROCESSING
    assert len(fakes.vip.calls_of("game-feature", "status")) == status_calls
    delays = [d for oid, d in store.jobs.of("settle") if oid == order["id"]]
    assert len(delays) == 2 and all(80 < d <= 84 for d in delays)
    await set_columns(store, order["id"], claimed_at=now_ms() - grace - 1)
    await store.fulfilment.settle(order["id"])
    assert (await reload(store, order))["flag"] == "needs_attention"


@pytest.mark.parametrize("resolver", ["watchdog", "send-now"])
async def test_life_insufficient_balance_waits_for_deposit(resolver: str, store: Any, fakes: Fakes) -> None:
    order = await paid_order(store)
    alerts = record_alerts(store)
    fakes.vip.balance_idr = 1_000
    after = await store.fulfilment.fulfil_due(order["id"])
    assert after["status"] == Status.PAID and after["flag"] == "needs_deposit" and after["fulfil_at"] is None
    assert (await moves(store, order["id"]))[-1] == ("processing", "paid")
    assert [a[0] for a in alerts] == ["needs_deposit"]
    await nothing_claims(store, after)
    assert await watch_balance(store) == 1_000  # still short: stays parked
    await nothing_claims(store, after)
    assert [a[0] for a in alerts if a[0] == "needs_deposit"] == ["needs_deposit"]  # alerted once
    await drain_recorded(store, store.jobs)
    assert len(await owner_messages(store, "owner_needs_deposit")) == 1
    assert bought(fakes) == 0 and len(fakes.vip.calls_of("game-feature", "order")) == 1

    fakes.vip.balance_idr = 500_000  # Banyu tops up at the provider
    if resolver == "watchdog":
        assert await watch_balance(store) == 500_000
        released = await reload(store, order)
        assert released["flag"] is None and released["fulfil_at"] <= now_ms()
        assert (order["id"], 0) in store.jobs.of("fulfil")
        done = await store.fulfilment.fulfil_due(order["id"])
    else:
        done = await store.orders.act(order["code"], "send-now", "admin")
    assert done["status"] == Status.PROCESSING and done["flag"] is None and bought(fakes) == 1


async def test_life_known_short_balance_is_not_even_tried(store: Any, fakes: Fakes) -> None:
    await store.kv_set("provider_balance_idr", "5000")
    order = await paid_order(store)
    alerts = record_alerts(store)
    for _ in range(3):
        assert await store.fulfilment.fulfil_due(order["id"]) is None
    after = await reload(store, order)
    assert after["status"] == Status.PAID and after["flag"] == "needs_deposit"
    assert [a[0] for a in alerts] == ["needs_deposit"]
    assert fakes.vip.calls_of("game-feature", "order") == []
    fakes.vip.balance_idr = 300_000
    await watch_balance(store)  # the top-up: 5.000 -> 300.000
    assert (await store.fulfilment.fulfil_due(order["id"]))["status"] == Status.PROCESSING
    assert bought(fakes) == 1


async def test_life_ip_not_allowed_needs_banyu(store: Any, fakes: Fakes) -> None:
    order = await paid_order(store)
    alerts = record_alerts(store)
    fakes.vip.block_ip("203.0.113.7")
    after = await store.fulfilment.fulfil_due(order["id"])
    assert after["status"] == Status.PAID and after["flag"] == "needs_attention"
    assert [a[0] for a in alerts] == ["needs_attention"] and "tidak diizinkan" in alerts[0][1]["reason"]
    await nothing_claims(store, after)
    fakes.vip.block_ip(None)
    fakes.vip.balance_idr = 2_000_000
    await store.kv_set("provider_balance_idr", "1")
    await watch_balance(store)  # a top-up does not release an order the provider refused for another reason
    assert (await reload(store, order))["flag"] == "needs_attention"
    await nothing_claims(store, after)
    assert bought(fakes) == 0 and len(alerts) == 1
    sent = await store.orders.act(order["code"], "send-now", "admin")
    assert sent["status"] == Status.PROCESSING and sent["flag"] is None and bought(fakes) == 1


async def test_life_connect_error_retries_by_itself(store: Any, fakes: Fakes) -> None:
    order = await paid_order(store)
    alerts = record_alerts(store)
    fakes.vip.connect_error_next()
    after = await store.fulfilment.fulfil_due(order["id"])
    assert after["status"] == Status.PAID and after["flag"] == "retry_later"
    assert 55_000 < after["fulfil_at"] - now_ms() <= 60_000
    assert [d for oid, d in store.jobs.of("fulfil") if oid == order["id"]][-1] > 55
    assert alerts == [] and fakes.vip.calls_of("game-feature", "order") == []
    assert await store.fulfilment.fulfil_due(order["id"]) is None  # not yet due
    await end_cooldown(store, order["id"])
    assert await store.fulfilment.sweep_due() == 1  # the sweep (or the queued task) claims it again
    done = await reload(store, order)
    assert done["status"] == Status.PROCESSING and done["flag"] is None and bought(fakes) == 1


async def test_life_status_poll_backs_off_and_stops(store: Any, fakes: Fakes) -> None:
    order = await order_in(store, Status.PROCESSING, fakes)
    fakes.vip.auto_advance = False
    alerts = record_alerts(store)
    delays = []
    for _ in range(7):
        store.jobs.calls.clear()
        await store.fulfilment.poll(order["id"])
        delays.append(store.jobs.of("poll")[0][1])
    assert delays == [15, 30, 60, 120, 240, 300, 300]
    # A living chain is not polled again by the sweep; a lost one is.
    assert await store.fulfilment.sweep_processing() == 0
    await set_columns(store, order["id"], last_polled_at=now_ms() - 400_000)
    assert await store.fulfilment.sweep_processing() == 1

    await set_columns(store, order["id"], claimed_at=now_ms() - 7_201_000)
    status_calls = len(fakes.vip.calls_of("game-feature", "status"))
    store.jobs.calls.clear()
    for _ in range(3):
        await store.fulfilment.poll(order["id"])
    await run_sweep(store)
    after = await reload(store, order)
    assert after["status"] == Status.PROCESSING and after["flag"] == "poll_expired"
    assert len(fakes.vip.calls_of("game-feature", "status")) == status_calls  # stopped asking
    assert store.jobs.of("poll") == []
    assert [a[0] for a in alerts] == ["needs_attention"] and "batas waktu" in alerts[0][1]["reason"]


async def test_life_deposit_refusal_does_not_loop_on_a_stale_estimate(store: Any, fakes: Fakes) -> None:
    """The estimate says the balance covers it, the provider says no (its price rose): the watchdog releases
    the order only after a real top-up, not on every reading of the same balance."""
    order = await paid_order(store)
    fakes.vip.set_service("game", "ML86-S24", price={"basic": 30_000, "premium": 30_000, "special": 30_000})
    fakes.vip.balance_idr = 25_000  # >= the 22.000 estimate, < the new 30.000 price
    alerts = record_alerts(store)
    assert (await store.fulfilment.fulfil_due(order["id"]))["flag"] == "needs_deposit"
    for _ in range(3):
        await watch_balance(store)
        await run_sweep(store)
        for oid, _ in store.jobs.of("fulfil"):
            await store.fulfilment.fulfil_due(oid)
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1
    assert [a[0] for a in alerts if a[0] == "needs_deposit"] == ["needs_deposit"]
    fakes.vip.balance_idr = 100_000
    await watch_balance(store)
    assert (await store.fulfilment.fulfil_due(order["id"]))["status"] == Status.PROCESSING
    assert bought(fakes) == 1


async def test_life_settle_after_retry_ignores_the_earlier_failed_attempt(store: Any, fakes: Fakes) -> None:
    """After a retry the first (failed) provider order is still in the provider's list, same target and
    product: settling the retry's unknown result must not adopt it."""
    order = await order_in(store, Status.FAILED, fakes)
    first = order["provider_ref"]
    await store.orders.act(order["code"], "retry", "admin")
    fakes.vip.server_error_next()  # the retry's order call: HTTP 500, nothing taken
    after = await store.fulfilment.fulfil_due(order["id"])
    assert after["status"] == Status.PROCESSING and after["flag"] == "unsettled"
    settled = await store.fulfilment.settle(order["id"])
    assert settled["status"] == Status.PAID and settled["flag"] == "needs_attention"
    assert settled["provider_ref"] is None and bought(fakes) == 1 and fakes.vip.orders[0]["trxid"] == first


async def test_life_two_settles_at_once_decide_once(store: Any, fakes: Fakes) -> None:
    """Two settle jobs fire together (the start-up sweep's and the minute sweep's): one looks, the other
    stands aside; and a stale "not placed" never undoes the reference the first one adopted."""
    from core.interfaces import OrderPlacement, PlacementOutcome

    order = await paid_order(store)
    fakes.vip.timeout_next_order()
    unsettled = await store.fulfilment.fulfil_due(order["id"])
    assert unsettled["flag"] == "unsettled"
    results = await asyncio.gather(*[store.fulfilment.settle(order["id"]) for _ in range(5)])
    assert len(fakes.vip.calls_of("game-feature", "status")) == 1  # one lookup, not five
    after = await reload(store, order)
    assert after["status"] == Status.PROCESSING and after["provider_ref"] == fakes.vip.orders[0]["trxid"]
    assert all(r["status"] == Status.PROCESSING for r in results)

    stale = OrderPlacement(PlacementOutcome.NOT_PLACED, flag="needs_attention", reason="tidak ada")
    await store.fulfilment.apply_placement(unsettled, stale)  # decided from a list read a moment too late
    again = await reload(store, order)
    assert again["status"] == Status.PROCESSING and again["provider_ref"] == after["provider_ref"]
    assert (await poll_until_final(store, order["id"]))["status"] == Status.SUCCESS and bought(fakes) == 1
