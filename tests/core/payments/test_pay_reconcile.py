"""Reconciliation from Trakteer's /supports (the plugin's emulator as the API): lost webhooks are found, the
same payment seen by both channels under different ids is counted once (DESIGN §11), failures are logged."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core import queue as q
from core.tables import outbox
from plugins.payment_trakteer.values import JAKARTA
from tests.conftest import TRAKTEER_TOKEN, VIP_ID, VIP_KEY, make_settings
from tests.core.payments.conftest import new_order, payment_rows


async def test_reconcile_records_a_payment_no_webhook_brought(store: Any, client: Any, fakes: Any,
                                                              post_tip: Any) -> None:
    order = await new_order(store)
    row = fakes.trakteer.record_support(24, message=order["code"], name="Budi")
    assert await store.payments.reconcile() == 1
    got = await store.orders.get(order["code"])
    assert got["status"] == "paid" and got["amount_paid_idr"] == 24000
    [p] = await payment_rows(store)
    assert (p["source"], p["external_id"], p["amount_idr"]) == ("reconcile", row["order_id"], 24000)
    assert p["net_amount_idr"] == row["net_amount"] and p["fee_idr"] == 24000 - row["net_amount"]
    assert await store.payments.reconcile() == 0  # the next run finds nothing new

    # Now the same payment arrives by webhook under a different transaction id: not counted again.
    body = fakes.trakteer.webhook_body(row) | {"transaction_id": "webhook-id-differs"}
    r = await post_tip(body)
    assert r.status_code == 200 and r.json()["status"] == "duplicate"
    got = await store.orders.get(order["code"])
    assert got["amount_paid_idr"] == 24000
    [p] = await payment_rows(store)
    assert p["alt_id"] == "webhook-id-differs"
    # ... and the same payment under the API's own id is known too.
    r = await post_tip(fakes.trakteer.webhook_body(row))
    assert r.json()["status"] == "duplicate"
    assert (await store.orders.get(order["code"]))["amount_paid_idr"] == 24000
    assert await store.payments.reconcile() == 0


async def test_webhook_first_then_the_api_row_under_another_id(store: Any, client: Any, fakes: Any,
                                                               post_tip: Any) -> None:
    order = await new_order(store)
    row = fakes.trakteer.record_support(24, message=order["code"])
    await post_tip(fakes.trakteer.webhook_body(row) | {"transaction_id": "wh-1"})
    assert await store.payments.reconcile() == 0
    [p] = await payment_rows(store)
    assert p["source"] == "webhook" and p["alt_id"] == row["order_id"]
    assert (await store.orders.get(order["code"]))["amount_paid_idr"] == 24000
    assert await store.payments.reconcile() == 0


async def test_same_amount_outside_five_minutes_is_another_payment(store: Any, client: Any, fakes: Any,
                                                                   post_tip: Any) -> None:
    order = await new_order(store)
    early = datetime.now(JAKARTA) - timedelta(minutes=6)
    row = fakes.trakteer.record_support(12, message=order["code"], at=early)
    await post_tip(fakes.trakteer.webhook_body(row) | {"transaction_id": "wh-early"})
    fakes.trakteer.record_support(12, message=order["code"])  # a second payment, six minutes later
    assert await store.payments.reconcile() == 1  # the second one; the first is its webhook's twin
    got = await store.orders.get(order["code"])
    assert got["amount_paid_idr"] == 24000 and got["status"] == "paid"


async def test_two_payments_of_one_amount_with_one_webhook_lost(store: Any, client: Any, fakes: Any,
                                                                post_tip: Any) -> None:
    order = await new_order(store)
    first = fakes.trakteer.record_support(12, message=order["code"])
    fakes.trakteer.record_support(12, message=order["code"])  # its webhook never came
    await post_tip(fakes.trakteer.webhook_body(first) | {"transaction_id": "wh-only-one"})
    assert await store.payments.reconcile() == 1  # one API row is the webhook's twin, the other is new
    assert (await store.orders.get(order["code"]))["amount_paid_idr"] == 24000
    assert await store.payments.reconcile() == 0


async def test_dropped_webhook_is_found_by_reconciliation(store: Any, client: Any, fakes: Any) -> None:
    order = await new_order(store)
    fakes.trakteer.drop_next_webhook = True
    await fakes.trakteer.deliver(24, message=order["code"], name="Budi")
    assert (await store.orders.get(order["code"]))["status"] == "awaiting_payment"
    assert await store.payments.reconcile() == 1
    assert (await store.orders.get(order["code"]))["status"] == "paid"
    await fakes.trakteer.deliver(1, message="")  # a later, unrelated tip without code
    assert await store.payments.reconcile() == 0  # its webhook came through: nothing to add


async def test_unmatched_api_row_and_its_webhook_are_one_inbox_item(store: Any, client: Any, fakes: Any,
                                                                    post_tip: Any) -> None:
    row = fakes.trakteer.record_support(7, message="buat topup ya kak")
    assert await store.payments.reconcile() == 1
    await post_tip(fakes.trakteer.webhook_body(row) | {"transaction_id": "wh-stray"})
    [p] = await payment_rows(store)
    assert p["state"] == "unmatched" and p["alt_id"] == "wh-stray"
    assert len(await store.payments.attention()) == 1


async def test_only_successful_api_rows_are_recorded(store: Any, client: Any, fakes: Any) -> None:
    order = await new_order(store)
    for status in ("pending", "failed", "refund"):
        fakes.trakteer.record_support(24, message=order["code"], status=status)
    assert await store.payments.reconcile() == 0
    assert await payment_rows(store) == []


def _plugins(api_key: str) -> dict[str, Any]:
    return {
        "modules": ["plugins.providers_vipreseller", "plugins.payment_trakteer", "plugins.notify_whatsapp"],
        "provider": "vipreseller", "payment": "trakteer", "notifiers": ["whatsapp"],
        "config": {
            "vipreseller": {"api_id": VIP_ID, "api_key": VIP_KEY, "base_url": "http://vip.test/api"},
            "trakteer": {"page_url": "https://trakteer.id/maddstore", "unit_price_idr": "1000",
                         "webhook_token": TRAKTEER_TOKEN, "api_key": api_key,
                         "api_base_url": "http://trakteer.test/api"},
            "whatsapp": {"backend": "fonnte", "fonnte_token": "test-fonnte-token",
                         "fonnte_base_url": "http://fonnte.test", "send_interval_seconds": 0},
        },
    }


async def test_reconcile_is_off_without_an_api_key(make_store: Any, tmp_path: Path, fakes: Any) -> None:
    store = await make_store(make_settings(tmp_path, plugins=_plugins("")), sync=False)
    fakes.trakteer.record_support(24, message="MADD-7KQ2XD")
    assert await store.payments.reconcile() is None
    assert await payment_rows(store) == []


async def test_api_failure_is_logged_and_alerts_banyu_after_three(store: Any, fakes: Any,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    order = await new_order(store)
    fakes.trakteer.record_support(24, message=order["code"])
    fakes.trakteer.api_key = "rotated-on-the-dashboard"  # our key is now refused: TrakteerError
    caplog.set_level(logging.WARNING, logger="core.payments.service")
    for _ in range(3):
        assert await store.payments.reconcile() is None
    assert "could not be read" in caplog.text and "test-trakteer-key" not in caplog.text
    kinds = [r.kind for r in await store.db.fetch_all(select(outbox.c.kind))]
    assert kinds.count("owner_gateway_disconnected") == 1
    assert await store.payments.reconcile() is None
    kinds = [r.kind for r in await store.db.fetch_all(select(outbox.c.kind))]
    assert kinds.count("owner_gateway_disconnected") == 1  # once a day, not every two minutes

    fakes.trakteer.api_key = "test-trakteer-key"
    assert await store.payments.reconcile() == 1
    assert (await store.orders.get(order["code"]))["status"] == "paid"
    assert await store.kv_int("payments:reconcile_failures") == 0


async def test_one_bad_row_does_not_stop_the_others(store: Any, fakes: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = await new_order(store), await new_order(store)
    fakes.trakteer.record_support(24, message=a["code"])
    fakes.trakteer.record_support(24, message=b["code"])
    real = store.payments.apply_notice

    async def flaky(notice: Any, source: str, order_code: str | None = None) -> str:
        if a["code"] in notice.message:
            raise RuntimeError("boom")
        return await real(notice, source, order_code)

    monkeypatch.setattr(store.payments, "apply_notice", flaky)
    assert await store.payments.reconcile() == 1
    assert (await store.orders.get(b["code"]))["status"] == "paid"


async def test_periodic_reconcile_task_survives_an_api_failure(store: Any, fakes: Any, tmp_path: Path) -> None:
    """The Huey task as the worker runs it: a failing API is logged, the task returns normally."""
    fakes.trakteer.api_key = "rotated"
    queue = q.build_queue(make_settings(tmp_path, queue_url=f"sqlite:///{tmp_path}/huey-rec.db"))
    loop = asyncio.get_running_loop()
    q.set_runner(lambda fn: asyncio.run_coroutine_threadsafe(fn(store), loop).result(30))
    try:
        await asyncio.to_thread(queue.tasks["reconcile"].call_local)
        swept = await asyncio.to_thread(lambda: q._run(lambda s: q.run_sweep(s)))
    finally:
        q.set_runner(None)
    assert swept["payments"] == 0
    assert await store.kv_int("payments:reconcile_failures") == 1
