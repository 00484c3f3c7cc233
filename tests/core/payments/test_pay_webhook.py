"""POST /webhooks/trakteer: 401 without the token (nothing stored), 2xx for every authenticated delivery, each
delivery stored once, and a failure while applying never becomes a 5xx (the sweep applies it later)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from core.payments import repo as pay_repo
from core.tables import payment_events
from tests.core.payments.conftest import count, event_rows, fixture_json, fixture_text, new_order, payment_rows
from tests.helpers import tip

BAD_HEADERS = [
    {"Content-Type": "application/json"},
    {"X-Webhook-Token": "wrong-token", "Content-Type": "application/json"},
    {"X-Webhook-Token": "", "Content-Type": "application/json"},
    {"Authorization": "test-webhook-token", "Content-Type": "application/json"},  # the classic mistake
    {"Authorization": "Bearer test-webhook-token"},
    {"X-Webhook-Token": "test-webhook-token-and-more"},
]


async def test_missing_or_wrong_token_is_401_and_stores_nothing(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    for headers in BAD_HEADERS:
        r = await post_tip(tip(order["code"], 24000), headers=headers)
        assert r.status_code == 401, headers
        error = r.json()["error"]
        assert error["code"] == "unauthorized" and error["message"]
    for garbage in (b"not json", fixture_text("webhook-test-with-comments.txt").encode()):
        assert (await post_tip(garbage, headers={"X-Webhook-Token": "nope"})).status_code == 401
    assert await count(store, pay_repo.payment_events) == 0
    assert await count(store, pay_repo.payments) == 0
    assert (await store.orders.get(order["code"]))["status"] == "awaiting_payment"


async def test_token_header_name_is_case_insensitive(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    r = await post_tip(tip(order["code"], 24000), headers={"x-webhook-token": "test-webhook-token"})
    assert r.status_code == 200
    assert (await store.orders.get(order["code"]))["status"] == "paid"


RAW_BODIES = [b"this is not json", b"<html>oops</html>", b"", b"[1, 2, 3]", b"\xff\xfe\x00garbage"]


async def test_unparseable_body_is_2xx_and_kept_raw(store: Any, post_tip: Any) -> None:
    for raw in RAW_BODIES:
        r = await post_tip(raw)
        assert r.status_code == 200 and r.json()["status"] == "unparseable"
    events = await event_rows(store)
    assert [e["kind"] for e in events] == ["unparseable"] * len(RAW_BODIES)
    assert all(e["error"] for e in events)
    # Kept as received (PostgreSQL text cannot hold NUL, so that one byte is replaced).
    assert [e["body"] for e in events] == [r.decode("utf-8", "replace").replace("\x00", "\ufffd") for r in RAW_BODIES]
    assert await count(store, pay_repo.payments) == 0
    # The same bytes again are the same delivery: still one event each.
    for raw in RAW_BODIES:
        assert (await post_tip(raw)).status_code == 200
    assert len(await event_rows(store)) == len(RAW_BODIES)


async def test_dashboard_test_delivery_with_comments_pays_nothing(store: Any, post_tip: Any, fakes: Any) -> None:
    order = await new_order(store)
    before = await store.orders.get(order["code"])
    r = await post_tip(fixture_text("webhook-test-with-comments.txt"))
    assert r.status_code == 200 and r.json()["status"] == "test"
    attempt = await fakes.trakteer.test_delivery()  # the emulator's dashboard button, through the ASGI client
    assert attempt.status_code == 200
    events = await event_rows(store)
    assert [e["kind"] for e in events] == ["test", "test"]
    assert events[0]["external_id"] == "test-7c1d2e3f4a5b" and "// ID gif" in events[0]["body"]
    assert await count(store, pay_repo.payments) == 0
    after = await store.orders.get(order["code"])
    assert after == before  # no order touched
    assert await store.payments.attention() == []


async def test_unknown_code_is_2xx_and_lands_in_the_inbox(store: Any, post_tip: Any) -> None:
    r = await post_tip(tip("MADD-ZZZZZZ", 24000, tx="tx-unknown-code"))
    assert r.status_code == 200 and r.json()["status"] == "unmatched"
    [p] = await payment_rows(store)
    assert p["state"] == "unmatched" and p["order_id"] is None and p["external_id"] == "tx-unknown-code"


async def test_other_event_type_and_missing_id_are_2xx_and_stored(store: Any, post_tip: Any) -> None:
    body = tip(None, 5000)
    body["type"] = "subscription"
    assert (await post_tip(body)).status_code == 200
    no_id = tip(None, 5000)
    del no_id["transaction_id"]
    assert (await post_tip(no_id)).status_code == 200
    assert sorted(e["kind"] for e in await event_rows(store)) == ["ignored", "unparseable"]
    assert await count(store, pay_repo.payments) == 0


async def test_repeat_delivery_is_a_no_op(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    body = fixture_json("webhook-tip.json") | {"supporter_message": order["code"]}
    first = await post_tip(body)
    assert first.status_code == 200 and first.json()["status"] == "matched"
    after_first = await store.orders.get(order["code"])
    timeline = await store.orders.timeline(order["id"])
    for _ in range(3):
        again = await post_tip(body)
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert await count(store, pay_repo.payments) == 1 and await count(store, pay_repo.payment_events) == 1
    assert await store.orders.get(order["code"]) == after_first
    assert await store.orders.timeline(order["id"]) == timeline
    assert after_first["amount_paid_idr"] == 24000


async def test_failure_while_applying_answers_2xx_and_the_sweep_applies_it_once(
        store: Any, post_tip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    order = await new_order(store)
    real_insert = pay_repo.insert_payment

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(pay_repo, "insert_payment", broken)
    r = await post_tip(tip(order["code"], 24000, tx="tx-crash"))
    assert r.status_code == 200 and r.json()["status"] == "stored"
    [event] = await event_rows(store)
    assert event["processed_at"] is None and "database hiccup" in event["error"]
    assert await count(store, pay_repo.payments) == 0
    assert (await store.orders.get(order["code"]))["status"] == "awaiting_payment"

    # Not picked up while it may still be in flight.
    monkeypatch.setattr(pay_repo, "insert_payment", real_insert)
    assert await store.payments.reprocess_events() == 0
    # Later (the sweep runs every minute): applied once.
    await store.db.execute(update(payment_events).values(received_at=event["received_at"] - 60_000))
    assert await store.payments.reprocess_events() == 1
    assert await store.payments.reprocess_events() == 0
    [event] = await event_rows(store)
    assert event["processed_at"] is not None and event["error"] is None
    assert [p["external_id"] for p in await payment_rows(store)] == ["tx-crash"]
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 24000
    # A late repeat of the delivery changes nothing.
    assert (await post_tip(tip(order["code"], 24000, tx="tx-crash"))).json()["status"] == "duplicate"
    assert (await store.orders.get(order["code"]))["amount_paid_idr"] == 24000


async def test_reprocess_of_an_already_applied_event_does_not_count_twice(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    await post_tip(tip(order["code"], 10000, tx="tx-twice"))
    # A crash after the payment was recorded but before the event was marked processed.
    await store.db.execute(update(payment_events).values(processed_at=None, received_at=0))
    assert await store.payments.reprocess_events() == 1
    got = await store.orders.get(order["code"])
    assert got["amount_paid_idr"] == 10000 and await count(store, pay_repo.payments) == 1


async def test_parser_crash_is_kept_raw_and_answered_2xx(store: Any, post_tip: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(body: bytes) -> Any:
        raise ValueError("parser bug")

    monkeypatch.setattr(store.gateway, "parse_webhook", explode)
    r = await post_tip(tip("MADD-7KQ2XD", 24000))
    assert r.status_code == 200
    [event] = await event_rows(store)
    assert event["kind"] == "unparseable" and "MADD-7KQ2XD" in event["body"]


async def test_nul_characters_in_a_tip_do_not_break_storage(store: Any, post_tip: Any) -> None:
    order = await new_order(store)
    body = tip(order["code"], 24000, message=f"{order['code']} \u0000 hai", tx="tx-\u0000-nul")
    body["supporter_name"] = "Bu\u0000di"
    r = await post_tip(body)
    assert r.status_code == 200 and r.json()["status"] == "matched"
    [p] = await payment_rows(store)
    assert p["payer_name"] == "Bu\ufffddi" and "\x00" not in p["message"]
    assert (await store.orders.get(order["code"]))["status"] == "paid"
