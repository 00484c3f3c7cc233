"""Manual mode (`MADD_FULFILMENT_MODE=manual`): a paid order has no due time, nothing automatic ever claims
it, and Banyu's confirm does — once."""

from __future__ import annotations

import asyncio
from typing import Any

from core.errors import ApiError
from core.orders.states import Status
from core.queue import run_sweep, watch_balance
from core.timeutil import now_ms
from tests.conftest import Fakes
from tests.core.lifecycle.life_helpers import ML_DUE, moves, new_order, order_in, pay, reload, set_columns


async def _never_claimed(store: Any, order: dict[str, Any]) -> None:
    assert await store.fulfilment.fulfil_due(order["id"]) is None
    assert await store.fulfilment.sweep_due() == 0
    await run_sweep(store)
    assert (await reload(store, order))["status"] == Status.PAID


async def test_life_manual_paid_waits_for_confirm(make_store: Any, fakes: Fakes) -> None:
    store = await make_store(fulfilment_mode="manual")
    order = await new_order(store)
    await pay(store, order["code"], ML_DUE)
    paid = await reload(store, order)
    assert paid["status"] == Status.PAID and paid["fulfil_at"] is None
    assert store.jobs.of("fulfil") == []
    await _never_claimed(store, paid)
    # Even a due time written by hand (an old row, a stray job) does not make the worker claim.
    await set_columns(store, order["id"], fulfil_at=now_ms() - 1)
    await _never_claimed(store, paid)
    assert fakes.vip.calls_of("game-feature", "order") == []

    results = await asyncio.gather(*[store.orders.act(order["code"], "confirm", "admin") for _ in range(20)],
                                   store.fulfilment.fulfil_due(order["id"]), return_exceptions=True)
    won = [r for r in results if isinstance(r, dict)]
    assert len(won) == 1 and won[0]["status"] == Status.PROCESSING
    assert all(isinstance(r, ApiError) and r.status == 409 for r in results[:-1] if not isinstance(r, dict))
    assert len(fakes.vip.calls_of("game-feature", "order")) == 1
    last = [m for m in await moves(store, order["id"])][-1]
    assert last == ("paid", "processing")


async def test_life_manual_release_retry_and_watchdog_leave_it_to_banyu(make_store: Any, fakes: Fakes) -> None:
    store = await make_store(fulfilment_mode="manual")
    held = await order_in(store, Status.ON_HOLD, fakes)
    released = await store.orders.act(held["code"], "release", "admin")
    assert released["status"] == Status.PAID and released["fulfil_at"] is None
    await _never_claimed(store, released)

    failed = await order_in(store, Status.FAILED, fakes)
    retried = await store.orders.act(failed["code"], "retry", "admin")
    assert retried["status"] == Status.PAID and retried["fulfil_at"] is None
    for oid, _ in store.jobs.of("fulfil"):
        await store.fulfilment.fulfil_due(oid)
    await _never_claimed(store, retried)

    fakes.vip.balance_idr = 1_000
    short = await order_in(store, Status.PAID, fakes)
    refused = await store.orders.act(short["code"], "confirm", "admin")
    assert refused["status"] == Status.PAID and refused["flag"] == "needs_deposit"
    fakes.vip.balance_idr = 900_000
    await watch_balance(store)
    after = await reload(store, short)
    assert after["flag"] is None and after["fulfil_at"] is None  # covered again, still Banyu's confirm
    await _never_claimed(store, after)
    confirmed = await store.orders.act(short["code"], "confirm", "admin")
    assert confirmed["status"] == Status.PROCESSING
