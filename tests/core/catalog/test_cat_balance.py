"""The provider balance watchdog: balance kept in kv, Banyu alerted once per low spell (not every poll)."""

from __future__ import annotations

from core.queue import watch_balance
from core.store import Store
from tests.conftest import Fakes
from tests.core.catalog.cat_helpers import AlertRecorder


async def test_low_balance_alerts_once_per_spell(sqlite_store: Store, fakes: Fakes) -> None:
    alerts = AlertRecorder(sqlite_store)
    fakes.vip.balance_idr = 250_000
    assert await watch_balance(sqlite_store) == 250_000
    assert await sqlite_store.kv_int("provider_balance_idr") == 250_000
    assert alerts.of("low_balance") == []

    fakes.vip.balance_idr = 60_000  # under the Rp 100.000 default
    for _ in range(3):
        assert await watch_balance(sqlite_store) == 60_000
    assert alerts.of("low_balance") == [{"balance_idr": 60_000, "threshold_idr": 100_000}]
    assert await sqlite_store.kv_int("provider_balance_idr") == 60_000

    fakes.vip.balance_idr = 500_000  # Banyu topped up
    await watch_balance(sqlite_store)
    fakes.vip.balance_idr = 40_000  # and it ran low again: a new spell, a new alert
    await watch_balance(sqlite_store)
    await watch_balance(sqlite_store)
    assert [a["balance_idr"] for a in alerts.of("low_balance")] == [60_000, 40_000]
    assert len({key for kind, _, key in alerts.calls if kind == "low_balance"}) == 2  # distinct outbox keys


async def test_a_drop_seen_first_by_fulfilment_still_alerts(sqlite_store: Store, fakes: Fakes) -> None:
    alerts = AlertRecorder(sqlite_store)
    fakes.vip.balance_idr = 300_000
    await watch_balance(sqlite_store)
    # An order reply reported the new balance first (fulfilment writes the same kv key).
    await sqlite_store.kv_set("provider_balance_idr", "80000")
    fakes.vip.balance_idr = 80_000
    await watch_balance(sqlite_store)
    assert [a["balance_idr"] for a in alerts.of("low_balance")] == [80_000]


async def test_first_reading_already_low_alerts(sqlite_store: Store, fakes: Fakes) -> None:
    alerts = AlertRecorder(sqlite_store)
    fakes.vip.balance_idr = 5_000
    await watch_balance(sqlite_store)
    assert len(alerts.of("low_balance")) == 1


async def test_unreadable_balance_changes_nothing(sqlite_store: Store, fakes: Fakes) -> None:
    alerts = AlertRecorder(sqlite_store)
    fakes.vip.balance_idr = 200_000
    await watch_balance(sqlite_store)
    fakes.vip.server_error_next()
    assert await watch_balance(sqlite_store) is None
    assert await sqlite_store.kv_int("provider_balance_idr") == 200_000
    assert alerts.of("low_balance") == []
