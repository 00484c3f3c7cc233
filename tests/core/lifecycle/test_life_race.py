"""Exactly once under contention (DESIGN §4): 50 "Kirim sekarang" presses, the cooldown task, the sweep and a
retry race for one order — on SQLite and PostgreSQL — and the provider receives exactly one order."""

from __future__ import annotations

import asyncio
from typing import Any

from core.errors import ApiError
from core.orders.states import Status
from tests.conftest import Fakes
from tests.core.lifecycle.life_helpers import ML_DUE, moves, new_order, order_in, pay, reload
from tests.helpers import end_cooldown


def _outcomes(results: list[Any]) -> tuple[list[dict[str, Any]], list[ApiError]]:
    """Split gather results into claims that won and 409s; anything else (a database error) fails the test."""
    won: list[dict[str, Any]] = []
    refused: list[ApiError] = []
    for r in results:
        if isinstance(r, ApiError) and r.status == 409:
            refused.append(r)
        elif isinstance(r, BaseException):
            raise AssertionError(f"unexpected error in the race: {r!r}") from r
        elif isinstance(r, dict) and r.get("status") == Status.PROCESSING:
            won.append(r)
        else:
            assert r is None, r  # the cooldown task / sweep found nothing to do
    return won, refused


async def test_life_race_send_now_cooldown_and_retry_on_paid(database_url: str, make_store: Any,
                                                             fakes: Fakes) -> None:
    store = await make_store(database_url=database_url)
    order = await new_order(store)
    await pay(store, order["code"], ML_DUE)
    await end_cooldown(store, order["id"])
    code = order["code"]

    racers = [store.orders.act(code, "send-now", "admin") for _ in range(50)]
    racers.insert(25, store.fulfilment.fulfil_due(order["id"]))
    racers.insert(10, store.orders.act(code, "retry", "admin"))  # paid is not failed: a 409, never an order
    racers.append(store.fulfilment.sweep_due())
    results = await asyncio.gather(*racers, return_exceptions=True)
    sweep_count = results.pop()
    won, refused = _outcomes(results)

    assert len(fakes.vip.calls_of("game-feature", "order")) == 1
    assert len(won) + int(sweep_count) == 1
    assert len(refused) >= 50  # 49 send-now + the retry (+ the cooldown task returns None)
    after = await reload(store, order)
    assert after["status"] == Status.PROCESSING and after["provider_ref"] == fakes.vip.orders[0]["trxid"]
    assert await moves(store, order["id"]) == [(None, "awaiting_payment"), ("awaiting_payment", "paid"),
                                               ("paid", "processing")]

    # The order is processing now: more presses are 409s and buy nothing.
    again = await asyncio.gather(*[store.orders.act(code, "send-now", "admin") for _ in range(10)],
                                 store.fulfilment.fulfil_due(order["id"]), return_exceptions=True)
    assert all(isinstance(r, ApiError) and r.status == 409 for r in again[:-1]) and again[-1] is None
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1


async def test_life_race_retry_of_failed_order_buys_once(database_url: str, make_store: Any,
                                                         fakes: Fakes) -> None:
    store = await make_store(database_url=database_url)
    order = await order_in(store, Status.FAILED, fakes)
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1
    code = order["code"]

    # Banyu's retry races presses of "send now" and the cooldown task: retry makes it paid and due now,
    # then exactly one of the claimers buys again.
    racers: list[Any] = [store.orders.act(code, "retry", "admin")]
    racers += [store.orders.act(code, "send-now", "admin") for _ in range(50)]
    racers += [store.fulfilment.fulfil_due(order["id"]) for _ in range(3)]
    results = await asyncio.gather(*racers, return_exceptions=True)
    assert not isinstance(results[0], BaseException), results[0]
    assert results[0]["status"] == Status.PAID
    _outcomes(results[1:])
    # Whatever did not win while the order was still failed, the queued retry task finishes.
    for _ in range(2):
        for oid, _delay in store.jobs.of("fulfil"):
            await store.fulfilment.fulfil_due(oid)

    assert len(fakes.vip.calls_of("game-feature", "order")) == 2  # the failed one + exactly one retry
    after = await reload(store, order)
    assert after["status"] == Status.PROCESSING and after["provider_ref"] == fakes.vip.orders[1]["trxid"]
    assert after["refund_owed_idr"] == 0
    # Every timeline row tells the truth about where the order came from (read under the row lock).
    assert await moves(store, order["id"]) == [
        (None, "awaiting_payment"), ("awaiting_payment", "paid"), ("paid", "processing"), ("processing", "failed"),
        ("failed", "paid"), ("paid", "processing")]
