"""Order events enqueue the right messages, to the right numbers, under the right idempotency keys."""

from __future__ import annotations

import pytest

from plugins.notify_whatsapp import hooks
from plugins.notify_whatsapp.listeners import alert_key

BUYER, OWNER, CODE = "6281234567890", "6285700000000", "MADD-7KQ2XD"
PAYMENT = {"id": 31, "amount_idr": 20000, "payer_name": "Budi"}
LATER = "2025-11-20T09:00:00+00:00"


async def test_order_created_tells_buyer_and_owner(fake_store):
    await hooks.order_created(store=fake_store, order=fake_store.order)
    assert fake_store.sent() == [("order_received", BUYER, f"{CODE}:order_received:1"),
                                 ("owner_new_order", OWNER, f"{CODE}:owner_new_order:1")]
    first = fake_store.outbox.enqueued[0]
    assert (first["channel"], first["template"], first["order_id"]) == (
        "whatsapp", "notify_whatsapp/order_received.txt", 7)
    assert first["context"]["invoice_url"].endswith(CODE)


async def test_repeated_event_is_deduplicated_by_key(fake_store):
    await hooks.order_created(store=fake_store, order=fake_store.order)
    await hooks.order_created(store=fake_store, order=fake_store.order)
    assert len(fake_store.outbox.enqueued) == 2


@pytest.mark.parametrize("owner", ["", "   "])
async def test_no_owner_number_means_no_owner_messages(fake_store, owner):
    fake_store.settings.owner_whatsapp = owner
    await hooks.order_created(store=fake_store, order=fake_store.order)
    assert [kind for kind, _, _ in fake_store.sent()] == ["order_received"]


async def test_unusable_owner_number_is_skipped(fake_store):
    fake_store.settings.owner_whatsapp = "021-555-1234"
    await hooks.order_created(store=fake_store, order=fake_store.order)
    assert [kind for kind, _, _ in fake_store.sent()] == ["order_received"]


async def test_buyer_enqueue_failure_does_not_silence_the_owner(fake_store):
    fake_store.outbox.fail_kinds = {"order_received"}
    await hooks.order_created(store=fake_store, order=fake_store.order)
    assert [kind for kind, _, _ in fake_store.sent()] == ["owner_new_order"]


async def test_each_partial_payment_gets_its_own_underpaid_message(fake_store):
    order = fake_store.order | {"status": "underpaid"}
    await hooks.payment_recorded(store=fake_store, order=order, payment=PAYMENT)
    await hooks.payment_recorded(store=fake_store, order=order, payment=PAYMENT | {"id": 32})
    assert fake_store.sent() == [
        ("underpaid", BUYER, f"{CODE}:underpaid:31"), ("owner_payment", OWNER, f"{CODE}:owner_payment:31"),
        ("underpaid", BUYER, f"{CODE}:underpaid:32"), ("owner_payment", OWNER, f"{CODE}:owner_payment:32")]
    assert fake_store.outbox.enqueued[1]["context"]["payment_amount_idr"] == 20000


@pytest.mark.parametrize("status", ["paid", "expired", "cancelled"])
async def test_full_or_late_payment_only_tells_the_owner(fake_store, status):
    order = fake_store.order | {"status": status}
    await hooks.payment_recorded(store=fake_store, order=order, payment=PAYMENT)
    assert fake_store.sent() == [("owner_payment", OWNER, f"{CODE}:owner_payment:31")]


@pytest.mark.parametrize(("old", "fulfil_at", "expected"), [
    ("awaiting_payment", "2025-11-20T07:07:00+00:00", [("scheduled", BUYER, f"{CODE}:scheduled:1")]),
    ("underpaid", "2025-11-20T07:07:00+00:00", [("scheduled", BUYER, f"{CODE}:scheduled:1")]),
    ("awaiting_payment", None, [("payment_received", BUYER, f"{CODE}:payment_received:1")]),
    ("on_hold", LATER, [("scheduled", BUYER, f"{CODE}:scheduled:{LATER}")]),
    ("failed", LATER, [("scheduled", BUYER, f"{CODE}:scheduled:{LATER}")]),
    ("processing", None, []),  # refused before buying: the buyer hears nothing new
])
async def test_paid(fake_store, old, fulfil_at, expected):
    order = fake_store.order | {"status": "paid", "fulfil_at": fulfil_at}
    await hooks.order_status_changed(store=fake_store, order=order, old=old, new="paid", reason="")
    assert fake_store.sent() == expected


@pytest.mark.parametrize(("new", "kind"), [("success", "delivered"), ("expired", "expired"),
                                           ("cancelled", "cancelled")])
async def test_terminal_states_tell_the_buyer_once(fake_store, new, kind):
    order = fake_store.order | {"status": new}
    for _ in range(2):
        await hooks.order_status_changed(store=fake_store, order=order, old="processing", new=new, reason="x")
    assert fake_store.sent() == [(kind, BUYER, f"{CODE}:{kind}:1")]


async def test_failure_tells_buyer_and_owner_and_a_second_failure_is_new(fake_store):
    first = fake_store.order | {"status": "failed", "updated_at": "2025-11-20T07:10:00+00:00"}
    again = fake_store.order | {"status": "failed", "updated_at": "2025-11-20T08:00:00+00:00"}
    await hooks.order_status_changed(store=fake_store, order=first, old="processing", new="failed",
                                     reason="Zona ID salah")
    await hooks.order_status_changed(store=fake_store, order=again, old="processing", new="failed",
                                     reason="Zona ID salah")
    assert fake_store.sent() == [
        ("failed", BUYER, f"{CODE}:failed:2025-11-20T07:10:00+00:00"),
        ("owner_provider_failure", OWNER, f"{CODE}:owner_provider_failure:2025-11-20T07:10:00+00:00"),
        ("failed", BUYER, f"{CODE}:failed:2025-11-20T08:00:00+00:00"),
        ("owner_provider_failure", OWNER, f"{CODE}:owner_provider_failure:2025-11-20T08:00:00+00:00")]
    assert fake_store.outbox.enqueued[1]["context"]["reason"] == "Zona ID salah"
    assert "reason" not in fake_store.outbox.enqueued[0]["context"]


@pytest.mark.parametrize("new", ["on_hold", "processing", "underpaid"])
async def test_quiet_transitions(fake_store, new):
    await hooks.order_status_changed(store=fake_store, order=fake_store.order, old="paid", new=new, reason="")
    assert fake_store.sent() == []


async def test_unmatched_payment_tells_the_owner(fake_store):
    payment = {"id": 77, "amount_idr": 15000, "payer_name": "Sari", "message": "top up ml"}
    await hooks.payment_unmatched(store=fake_store, payment=payment)
    assert fake_store.sent() == [("owner_unmatched_payment", OWNER, "owner_unmatched_payment:77")]
    sent = fake_store.outbox.enqueued[0]
    assert (sent["context"]["amount_idr"], sent["order_id"]) == (15000, None)


async def test_owner_alert_maps_kind_and_key(fake_store):
    await hooks.owner_alert(store=fake_store, kind="low_balance",
                            context={"balance_idr": 50000, "key": "2025-11-20"})
    await hooks.owner_alert(store=fake_store, kind="needs_deposit", context={"code": CODE, "cost_idr": 30000})
    await hooks.owner_alert(store=fake_store, kind="meteor_strike", context={})
    assert fake_store.sent() == [("owner_low_balance", OWNER, "owner_low_balance:2025-11-20"),
                                 ("owner_needs_deposit", OWNER, f"owner_needs_deposit:{CODE}")]
    assert fake_store.outbox.enqueued[0]["context"]["store_name"] == "Madd Store"


def test_alert_key_without_an_id_is_a_stable_digest_of_the_context():
    a = alert_key("low_balance", {"balance_idr": 50000})
    assert a == alert_key("low_balance", {"balance_idr": 50000}) and a.startswith("owner_low_balance:")
    assert a != alert_key("low_balance", {"balance_idr": 40000})


async def test_owner_alert_without_owner_does_nothing(fake_store):
    fake_store.settings.owner_whatsapp = ""
    await hooks.owner_alert(store=fake_store, kind="low_balance", context={"balance_idr": 1})
    assert fake_store.sent() == []
