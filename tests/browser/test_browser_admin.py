"""Banyu's admin in a real browser (phone-sized): log in, act on an order, assign a payment, record a deposit,
see the live badge."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.live import ADMIN_PASSWORD, LiveStore

pytestmark = pytest.mark.browser


def login(page: Any, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/admin")
    assert "/admin/login" in page.url
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_login_wrong_then_right(page: Any) -> None:
    login(page, "salah-sekali-123")
    assert page.locator(".flash.error").inner_text() == "Username atau password salah."
    login(page)
    page.wait_for_url("**/admin")
    assert page.locator("h1").inner_text().startswith("Ringkasan hari ini")
    assert page.locator(".tabs a.on").inner_text() == "Ringkasan"


def test_act_on_an_order(page: Any, live: LiveStore) -> None:
    order = live.new_order()
    live.pay(order["code"], 24000)
    login(page)
    page.goto(f"/admin/orders/{order['code']}")
    page.click("button[data-action=hold]")
    assert page.locator(".flash.ok").inner_text() == "Pesanan ditahan. Tidak akan dikirim sampai dilepas."
    assert page.locator(".badge.st-on_hold").first.is_visible()
    page.click("button[data-action=release]")
    page.click("button[data-action=send-now]")  # asks first; the dialog is accepted
    assert "Pesanan dikirim ke provider" in page.locator(".flash.ok").inner_text()
    assert live.call(lambda s: s.orders.get(order["code"]))["status"] == "processing"
    assert len(live.fakes.vip.calls_of("game-feature", "order")) >= 1
    assert page.locator("button[data-action=send-now]").count() == 0


def test_assign_unmatched_payment(page: Any, live: LiveStore) -> None:
    order = live.new_order(whatsapp="081366667777")
    live.pay("bayar diamond ya min, ga tau kodenya", 24000, name="Wati")
    login(page)
    page.goto("/admin/payments")
    card = page.locator("article.payment", has_text="ga tau kodenya")
    card.locator("input[name=order_code]").fill(order["code"].lower())
    card.locator("button", has_text="Masukkan ke pesanan").click()
    assert page.locator(".flash.ok").inner_text() == f"Pembayaran dimasukkan ke pesanan {order['code']}."
    assert page.locator("article.payment", has_text="ga tau kodenya").count() == 0
    assert live.call(lambda s: s.orders.get(order["code"]))["status"] == "paid"


def test_record_deposit_with_prefilled_fee(page: Any, live: LiveStore) -> None:
    login(page)
    page.goto("/admin/deposits")
    page.fill("input[name=amount]", "100000")
    page.select_option("select[name=method]", "gopay")
    assert page.input_value("input[name=fee]") == "2700"  # GoPay 0.7 % + Rp 2.000, computed in the page
    page.select_option("select[name=method]", "pulsa")
    assert page.input_value("input[name=fee]") == "9000"
    page.fill("input[name=fee]", "8000")  # Banyu's own number wins
    page.select_option("select[name=method]", "gopay")
    assert page.input_value("input[name=fee]") == "8000"
    page.fill("input[name=fee]", "")
    page.fill("input[name=amount]", "200000")
    assert page.input_value("input[name=fee]") == "3400"
    page.click("#deposit-form button[type=submit]")
    assert page.locator(".flash.ok").inner_text() == "Deposit Rp 200.000 dicatat (biaya Rp 3.400)."
    rows = live.call(lambda s: s.ledger.deposits())
    assert (rows[0]["amount_idr"], rows[0]["fee_idr"], rows[0]["method"]) == (200_000, 3_400, "gopay")


def test_live_badge_and_stream_ends_with_the_page(page: Any, live: LiveStore) -> None:
    login(page)
    page.wait_for_url("**/admin")
    deadline = time.monotonic() + 5
    while live.app.state.admin_streams < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.app.state.admin_streams >= 1
    live.new_order(whatsapp="081288889999")
    page.wait_for_selector("#live-badge:not([hidden])", timeout=5_000)
    assert page.locator("#live-count").inner_text() == "1"
    page.close()
    deadline = time.monotonic() + 8
    while live.app.state.admin_streams and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live.app.state.admin_streams == 0  # the polling loop stopped with the client
