"""The outbox against a misbehaving Fonnte (the plugin's emulator): every message reaches the gateway exactly
once — through outages, retries, sweeps racing queued tasks, read timeouts and Banyu's resends — and what
could not be sent ends `failed` / `unknown`, visible to Banyu. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import update

from core.notifications import repo
from core.notifications.outbox import BACKOFF_SECONDS, MAX_ATTEMPTS
from core.tables import outbox
from core.timeutil import now_ms
from tests.core.notifications.conftest import BUYER, OWNER, Notify


async def _sweep_until_quiet(notify: Notify, rounds: int = 50) -> int:
    """Run queued sends, let the back-off pass, sweep — until nothing is pending. Returns the rounds."""
    for n in range(rounds):
        await notify.drain()
        if not await notify.rows(status="pending"):
            return n
        await notify.time_passes()
        await notify.store.outbox.send_due()
    raise AssertionError("messages still pending")


# -- 1. outages end, every message goes out once ---------------------------------------------------------

async def test_gateway_down_then_back_delivers_each_message_exactly_once(notify: Notify, fakes: Any) -> None:
    wa = fakes.whatsapp
    wa.fail_next("connect_error", 2)  # nothing leaves the machine
    wa.fail_next("http_500", 2)
    wa.fail_next("disconnected", 3)  # the phone is offline: Fonnte says so with HTTP 200
    order = await notify.order()
    await notify.pay(order["code"], 20_000)  # underpaid + owner payment
    await _sweep_until_quiet(notify)

    rows = await notify.assert_each_delivered_once()
    assert len(rows) == 4
    assert sum(r["attempts"] for r in rows) == 4 + 7  # each failed attempt was retried, no more
    assert len(wa.requests) == 4 + 5  # the two connect errors never reached Fonnte
    assert all(r["delivery_status"] == "sent" and r["error"] is None for r in rows)


async def test_a_long_outage_backs_off_and_recovers(notify: Notify, fakes: Any) -> None:
    wa = fakes.whatsapp
    wa.is_connected = False
    order = await notify.order()
    queued = notify.jobs.of("send_message")
    notify.jobs.calls.clear()
    for message_id, _ in queued:
        assert await notify.store.outbox.send(message_id) == "pending"
    buyer = (await notify.rows(recipient=BUYER))[0]
    assert (buyer["status"], buyer["attempts"], buyer["error"]) == ("pending", 1, "disconnected device")
    # Back-off lives in the database (a restarted worker keeps it) and the retry is queued with it.
    assert buyer["next_attempt_at"] - buyer["updated_at"] == BACKOFF_SECONDS[0] * 1000
    assert (buyer["id"], BACKOFF_SECONDS[0]) in notify.jobs.of("send_message")

    await notify.drain()  # the queued retry runs early: not due, so nothing is sent
    assert len(wa.requests) == 2
    for attempt in range(2, 5):
        await notify.time_passes()
        await notify.store.outbox.send_due()
        buyer = await notify.row(buyer["id"])
        assert buyer["attempts"] == attempt
        assert buyer["next_attempt_at"] - buyer["updated_at"] == BACKOFF_SECONDS[attempt - 1] * 1000
    assert wa.sent == []

    wa.is_connected = True
    await notify.time_passes()
    await notify.store.outbox.send_due()
    await notify.drain()
    await notify.store.outbox.send_due()  # nothing left to do
    rows = await notify.assert_each_delivered_once()
    assert {r["key"] for r in rows} == {f"{order['code']}:order_received:1", f"{order['code']}:owner_new_order:1"}


async def test_sweep_and_queued_tasks_racing_send_each_message_once(notify: Notify, make_store: Any,
                                                                    fakes: Any) -> None:
    """The web process queues a task, the worker's sweep finds the same due message, and a second worker
    store (another process: its own lock) sweeps too. The claim lets exactly one of them send."""
    store = notify.store
    other = await make_store(store.settings, sync=False)
    for _ in range(5):
        await notify.order()
    ids = [r["id"] for r in await notify.rows()]
    assert len(ids) == 10
    work = [store.outbox.send_due(), other.outbox.send_due(), store.outbox.send_due()]
    for message_id in ids:
        work += [store.outbox.send(message_id), other.outbox.send(message_id)]
    results = await asyncio.gather(*work)
    await notify.drain()
    await other.outbox.send_due()

    await notify.assert_each_delivered_once()
    assert len(fakes.whatsapp.requests) == 10  # the gateway was called once per message, not per racer
    assert all(r in (None, "accepted") for r in results[3:])


async def test_the_claim_is_single_winner(notify: Notify) -> None:
    await notify.order()
    [first, _] = await notify.rows()
    claims = await asyncio.gather(*[repo.claim(notify.store.db, first["id"], now_ms()) for _ in range(20)])
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1 and winners[0]["status"] == "sending" and winners[0]["attempts"] == 1
    assert await notify.store.outbox.send(first["id"]) is None  # being sent elsewhere: hands off


# -- 2. a read timeout after Fonnte queued the message -----------------------------------------------------

async def test_read_timeout_is_unknown_never_retried_and_banyu_resends_once(notify: Notify, fakes: Any) -> None:
    wa = fakes.whatsapp
    wa.fail_next("read_timeout")
    order = await notify.order()
    await notify.drain()
    buyer = (await notify.rows(recipient=BUYER))[0]
    assert buyer["status"] == "unknown" and "ReadTimeout" in buyer["error"]
    assert buyer["message_id"] is None
    assert notify.delivered()[(BUYER, buyer["body"])] == 1  # Fonnte had queued it anyway

    for _ in range(3):  # no sweep, no queued task ever sends it again
        await notify.time_passes()
        assert await notify.store.outbox.send_due() == 0
        assert await notify.store.outbox.send(buyer["id"]) is None
    assert notify.delivered()[(BUYER, buyer["body"])] == 1

    [failure] = await notify.store.outbox.failures()
    assert (failure["id"], failure["status"], failure["order_code"]) == (buyer["id"], "unknown", order["code"])
    assert failure["can_resend"] is True and failure["resent_as"] is None
    assert failure["recipient_masked"] == "0812****7890"

    # Banyu resends (a double click): exactly one new copy.
    copy_id = await notify.store.outbox.resend(buyer["id"])
    assert copy_id is not None and await notify.store.outbox.resend(buyer["id"]) == copy_id
    await notify.drain()
    await notify.time_passes()
    await notify.store.outbox.send_due()
    assert notify.delivered()[(BUYER, buyer["body"])] == 2
    copy = await notify.row(copy_id)
    assert (copy["status"], copy["key"], copy["body"]) == ("accepted", f"resend:{buyer['id']}", buyer["body"])
    [failure] = await notify.store.outbox.failures()
    assert failure["resent_as"] == copy_id and failure["can_resend"] is False


async def test_banyu_resend_message_action_sends_the_last_buyer_message_again(notify: Notify) -> None:
    order = await notify.order()
    await notify.drain()
    await notify.store.orders.act(order["code"], "resend-message", "banyu")
    await notify.drain()
    received = (await notify.rows(recipient=BUYER))[0]
    assert notify.delivered()[(BUYER, received["body"])] == 2
    assert notify.delivered()[(OWNER, (await notify.rows(recipient=OWNER))[0]["body"])] == 1


async def test_resend_of_a_message_still_waiting_sends_it_now_not_twice(notify: Notify, fakes: Any) -> None:
    fakes.whatsapp.fail_next("disconnected")
    await notify.order()
    await notify.drain()
    buyer = (await notify.rows(recipient=BUYER))[0]
    assert buyer["status"] == "pending"
    assert await notify.store.outbox.resend(buyer["id"]) == buyer["id"]
    await notify.drain()
    await notify.assert_each_delivered_once()


async def test_a_worker_dying_mid_send_leaves_unknown_not_a_resend(notify: Notify, fakes: Any) -> None:
    await notify.order()
    [first, _] = await notify.rows()
    assert await repo.claim(notify.store.db, first["id"], now_ms())  # the worker claimed it, then died
    await notify.store.db.execute(update(outbox).where(outbox.c.id == first["id"])
                                  .values(updated_at=now_ms() - 6 * 60_000))
    await notify.store.outbox.send_due()
    assert (await notify.row(first["id"]))["status"] == "unknown"
    assert [m["target"] for m in fakes.whatsapp.sent] == [OWNER]


# -- 3. permanent failures, and giving up ------------------------------------------------------------------

async def test_invalid_token_and_bad_target_fail_at_once_with_the_reason(notify: Notify, fakes: Any) -> None:
    wa = fakes.whatsapp
    wa.fail_next("invalid_token")
    wa.fail_next("bad_target")  # /send checks the token first: buyer -> invalid token, owner -> bad target
    await notify.order()
    await notify.drain()
    buyer, owner = await notify.rows()
    assert (buyer["status"], buyer["error"], buyer["attempts"]) == ("failed", "invalid token", 1)
    assert (owner["status"], owner["error"], owner["attempts"]) == ("failed", "target input invalid", 1)
    assert notify.jobs.of("send_message") == []  # no retry queued
    await notify.time_passes()
    assert await notify.store.outbox.send_due() == 0
    assert len(wa.requests) == 2 and wa.sent == []
    failures = await notify.store.outbox.failures()
    assert [(f["kind"], f["status"], f["error"]) for f in failures] == [
        ("owner_new_order", "failed", "target input invalid"), ("order_received", "failed", "invalid token")]


async def test_retries_stop_after_max_attempts_and_end_failed(notify: Notify, fakes: Any) -> None:
    wa = fakes.whatsapp
    wa.is_connected = False
    await notify.order()
    rounds = await _sweep_until_quiet(notify, rounds=MAX_ATTEMPTS + 5)
    assert rounds == MAX_ATTEMPTS - 1
    rows = await notify.rows()
    assert [(r["status"], r["attempts"]) for r in rows] == [("failed", MAX_ATTEMPTS)] * 2
    assert all(r["error"].startswith("disconnected device") and str(MAX_ATTEMPTS) in r["error"] for r in rows)
    assert len(wa.requests) == 2 * MAX_ATTEMPTS

    wa.is_connected = True  # back, but failed stays failed: only Banyu's resend sends it now
    await notify.time_passes()
    assert await notify.store.outbox.send_due() == 0
    assert wa.sent == []
    assert [f["attempts"] for f in await notify.store.outbox.failures(limit=1)] == [MAX_ATTEMPTS]


async def test_failures_include_messages_reported_undeliverable(notify: Notify) -> None:
    await notify.order()
    await notify.drain()
    buyer, owner = await notify.rows()
    assert await notify.store.outbox.failures() == []
    assert await notify.store.outbox.mark_delivery("whatsapp", buyer["message_id"], "expired")
    [failure] = await notify.store.outbox.failures()
    assert set(failure) == {"id", "order_id", "order_code", "channel", "kind", "recipient", "recipient_masked",
                            "status", "delivery_status", "error", "attempts", "created_at", "updated_at",
                            "resent_as", "can_resend"}
    assert (failure["id"], failure["status"], failure["delivery_status"]) == (buyer["id"], "accepted", "expired")
