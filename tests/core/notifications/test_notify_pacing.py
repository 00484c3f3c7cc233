"""Pacing and privacy of sends: `min_interval_seconds` between two sends on a channel (an unofficial gateway
drives a normal WhatsApp account), and buyers' numbers masked in logs and on the public order API."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import pytest

from tests.core.notifications.conftest import Notify


def _record_send_times(notify: Notify, clock: Any) -> list[float]:
    """Wrap the notifier so each send notes the (outbox) clock when the gateway is called."""
    notifier = notify.store.notifiers["whatsapp"]
    times: list[float] = []
    real_send = notifier.send

    async def send(message: Any) -> Any:
        times.append(clock())
        return await real_send(message)

    notifier.send = send  # type: ignore[method-assign]
    return times


async def test_sends_wait_min_interval_seconds(sqlite_notify: Notify, monkeypatch: pytest.MonkeyPatch) -> None:
    notify = sqlite_notify
    notifier = notify.store.notifiers["whatsapp"]
    monkeypatch.setattr(notifier, "min_interval_seconds", 30.0)
    now = [1000.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:  # time passes only when the outbox asks for it
        waits.append(seconds)
        now[0] += seconds

    outbox = notify.store.outbox
    monkeypatch.setattr(outbox, "clock", lambda: now[0])
    monkeypatch.setattr(outbox, "sleep", fake_sleep)
    times = _record_send_times(notify, outbox.clock)

    order = await notify.order()
    await notify.pay(order["code"], 20_000)
    await notify.drain()
    assert len(times) == 4
    assert waits == [30.0, 30.0, 30.0]  # the first send does not wait
    assert all(b - a >= 30.0 for a, b in zip(times, times[1:], strict=False))

    # Time already spent since the last send counts: only the rest is waited.
    now[0] += 12.0
    await notify.store.emit("order_status_changed", order={**order, "status": "cancelled"}, old="underpaid",
                            new="cancelled", reason="")
    await notify.drain()
    assert waits[-1] == pytest.approx(18.0)
    await notify.assert_each_delivered_once()


async def test_failed_attempts_count_for_the_pacing_too(sqlite_notify: Notify, fakes: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    notify = sqlite_notify
    monkeypatch.setattr(notify.store.notifiers["whatsapp"], "min_interval_seconds", 5.0)
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(notify.store.outbox, "clock", lambda: 50.0)
    monkeypatch.setattr(notify.store.outbox, "sleep", fake_sleep)
    fakes.whatsapp.fail_next("disconnected")
    await notify.order()
    await notify.drain()
    assert waits == [5.0]  # the refused first send still hit the gateway: the second one waits


async def test_real_clock_gaps_are_at_least_the_interval(sqlite_notify: Notify,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    notify = sqlite_notify
    monkeypatch.setattr(notify.store.notifiers["whatsapp"], "min_interval_seconds", 0.05)
    times = _record_send_times(notify, time.monotonic)
    order = await notify.order()
    await notify.pay(order["code"], 20_000)
    await notify.drain()
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3 and min(gaps) >= 0.05 - 0.002  # a lower bound only: never flaky


# -- 9. numbers masked -----------------------------------------------------------------------------------

async def test_send_logs_show_masked_numbers_only(sqlite_notify: Notify, fakes: Any,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fakes.whatsapp.fail_next("read_timeout")  # the failure paths log the recipient too
    order = await sqlite_notify.order()
    await sqlite_notify.drain()
    await sqlite_notify.store.outbox.resend((await sqlite_notify.rows())[0]["id"])
    await sqlite_notify.drain()
    await sqlite_notify.store.orders.act(order["code"], "resend-message", "banyu")
    await sqlite_notify.drain()
    # Everything the store itself logs, at any level, and every library line at production level (INFO).
    # (`databases` prints query arguments at DEBUG: core/logs.py should keep it at WARNING.)
    lines = [r.getMessage() for r in caplog.records
             if r.name.startswith(("core", "plugins")) or r.levelno >= logging.INFO]
    sends = [line for line in lines if line.startswith("message ") and "order_received" in line]
    assert len(sends) >= 3 and all("0812****7890" in line for line in sends), sends
    assert any("unknown" in line for line in sends) and any("accepted" in line for line in sends)
    for line in lines:
        assert "81234567890" not in line, line  # neither 6281234567890 nor 081234567890
        assert "81200000001" not in line, line  # nor the owner's


async def test_public_order_api_masks_the_number(sqlite_notify: Notify, sqlite_client: httpx.AsyncClient) -> None:
    order = await sqlite_notify.order()
    r = await sqlite_client.get(f"/api/orders/{order['code']}")
    assert r.status_code == 200 and r.json()["whatsapp"] == "0812****7890"
    assert "81234567890" not in r.text
