"""Every message template renders in Bahasa Indonesia, with `Rp 24.000` amounts and no leftovers."""

from __future__ import annotations

import re

import jinja2
import pytest

from plugins.notify_whatsapp.hooks import TEMPLATE_DIR
from plugins.notify_whatsapp.listeners import BUYER_KINDS, OWNER_KINDS

KINDS = list(BUYER_KINDS) + [f"owner_{k}" for k in OWNER_KINDS]
EXTRA = {"payment_amount_idr": 24000, "payer_name": "Budi", "reason": "Zona ID salah", "amount_idr": 24000,
         "message": "MADD-XXXXXX", "balance_idr": 24000, "threshold_idr": 100000, "cost_idr": 30000,
         "price_idr": 24000, "product_code": "ML86", "gateway": "Fonnte"}
NO_AMOUNT = {"delivered", "owner_gateway_disconnected"}  # nothing to pay or count in these


def render(env: jinja2.Environment, kind: str, ctx: dict) -> str:
    return env.get_template(f"notify_whatsapp/{kind}.txt").render(**ctx)


def test_every_kind_has_a_template_and_nothing_else_is_there():
    files = sorted(p.stem for p in (TEMPLATE_DIR / "notify_whatsapp").glob("*.txt"))
    assert files == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_renders_cleanly(jinja_env, sample_ctx, kind):
    text = render(jinja_env, kind, sample_ctx(amount_due_idr=24000, amount_paid_idr=24000) | EXTRA)
    assert text.strip() == text and text
    assert ("Rp 24.000" in text) is (kind not in NO_AMOUNT)
    assert "24000" not in text  # every amount goes through the idr filter
    assert "{{" not in text and "{%" not in text and "}}" not in text
    assert not re.search(r"@\s*\d", text)  # would read as a mention
    assert "\n\n\n" not in text
    assert "&amp;" not in text and "&#" not in text  # plain text, never HTML-escaped
    assert len(text) < 700  # short and transactional


@pytest.mark.parametrize("kind", ["order_received", "delivered", "scheduled", "order_status",
                                  "owner_new_order"])
def test_emoji_and_special_characters_are_kept(jinja_env, sample_ctx, kind):
    text = render(jinja_env, kind, sample_ctx(status="success"))
    assert "Banyu🔥" in text and "86 Diamonds & Bonus" in text


def test_order_received_has_total_and_invoice_link(jinja_env, sample_ctx):
    text = render(jinja_env, "order_received", sample_ctx())
    assert "MADD-7KQ2XD" in text and "Rp 24.000" in text
    assert "http://127.0.0.1:8000/orders/MADD-7KQ2XD" in text


def test_underpaid_shows_paid_due_and_pay_rest_link(jinja_env, sample_ctx):
    text = render(jinja_env, "underpaid", sample_ctx(amount_paid_idr=20000, shortfall_idr=4000))
    assert "Rp 20.000" in text and "Rp 4.000" in text
    assert "bayar sisanya" in text.lower()
    assert "http://127.0.0.1:8000/orders/MADD-7KQ2XD/pay" in text


def test_scheduled_names_the_time_in_wib(jinja_env, sample_ctx):
    text = render(jinja_env, "scheduled", sample_ctx(fulfil_at_wib="14:07"))
    assert "pesanan akan dikirim pukul 14:07 WIB" in text.lower().replace("wib", "WIB")


def test_delivered_shows_the_serial_number_only_when_there_is_one(jinja_env, sample_ctx):
    assert "SN 0123456789" in render(jinja_env, "delivered", sample_ctx())
    without = render(jinja_env, "delivered", sample_ctx(provider_note=None))
    assert "SN" not in without and "None" not in without


@pytest.mark.parametrize("kind", ["failed", "cancelled", "expired"])
def test_refund_note_when_money_was_received(jinja_env, sample_ctx, kind):
    assert "refund" in render(jinja_env, kind, sample_ctx(amount_paid_idr=24000)).lower()
    assert "refund" not in render(jinja_env, kind, sample_ctx(amount_paid_idr=0)).lower()


@pytest.mark.parametrize(("status", "expected"), [
    ("awaiting_payment", "menunggu pembayaran"), ("underpaid", "bayar sisanya"),
    ("paid", "dikirim pukul 14:07 wib"), ("processing", "sedang diproses"), ("success", "sn 0123456789"),
    ("failed", "dikembalikan"), ("expired", "kedaluwarsa"), ("cancelled", "dibatalkan"),
])
def test_order_status_reply_speaks_each_state(jinja_env, sample_ctx, status, expected):
    assert expected in render(jinja_env, "order_status", sample_ctx(status=status)).lower()


@pytest.mark.parametrize("kind", [f"owner_{k}" for k in OWNER_KINDS if k not in ("new_order", "payment")])
def test_owner_alerts_render_with_a_bare_context(jinja_env, kind):
    # owner_alert contexts come from many places: a missing value must not break the message.
    text = render(jinja_env, kind, {"store_name": "Madd Store"})
    assert text and "{{" not in text


def test_a_theme_overrides_by_the_same_relative_path(tmp_path, sample_ctx):
    (tmp_path / "notify_whatsapp").mkdir()
    (tmp_path / "notify_whatsapp" / "delivered.txt").write_text("Beres, {{ code }}!", encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(tmp_path)),
                                                         jinja2.FileSystemLoader(str(TEMPLATE_DIR))]))
    assert env.get_template("notify_whatsapp/delivered.txt").render(**sample_ctx()) == "Beres, MADD-7KQ2XD!"
    env.filters["idr"] = lambda v: f"Rp {v}"
    assert "Pembayaran" in env.get_template("notify_whatsapp/underpaid.txt").render(**sample_ctx())
