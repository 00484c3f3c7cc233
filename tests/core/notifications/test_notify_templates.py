"""Every message kind produced by the real events, rendered by the store's own Jinja environment (theme →
plugin templates → default theme; trim_blocks on), stored in the outbox and read back: amounts as
`Rp 24.000`, one fact per line, emoji intact — on SQLite and PostgreSQL. And a theme overrides a message."""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from core.store import ROOT
from plugins.notify_whatsapp.listeners import BUYER_KINDS, OWNER_KINDS, reply_order_status
from tests.conftest import make_settings
from tests.core.notifications.conftest import BUYER, OWNER, Notify

PAYER = "Budi 🔥🇮🇩"  # a 4-byte emoji and a flag (two code points): both must survive the database


async def _created(n: Notify, order: dict[str, Any]) -> None:
    return None


async def _underpaid(n: Notify, order: dict[str, Any]) -> None:
    await _pay(n, order, 20_000)


async def _paid(n: Notify, order: dict[str, Any]) -> None:
    await _pay(n, order, 24_000)


async def _pay(n: Notify, order: dict[str, Any], amount: int) -> None:
    from datetime import UTC, datetime

    from core.interfaces import PaymentNotice

    await n.store.payments.apply_notice(PaymentNotice(
        external_id=uuid.uuid4().hex, amount_idr=amount, paid_at=datetime.now(UTC), quantity=amount // 1000,
        payer_name=PAYER, message=order["code"]), source="webhook")


async def _paid_manual(n: Notify, order: dict[str, Any]) -> None:
    """Paid in manual mode (no cooldown time to tell): the plain "payment received" message."""
    paid = {**order, "status": "paid", "amount_paid_idr": 24_000, "fulfil_at": None}
    await n.store.emit("order_status_changed", order=paid, old="awaiting_payment", new="paid", reason="lunas")


def _moved(new: str, **values: Any) -> Callable[[Notify, dict[str, Any]], Awaitable[None]]:
    async def move(n: Notify, order: dict[str, Any]) -> None:
        moved = {**order, "status": new, "amount_paid_idr": 24_000, **values}
        await n.store.emit("order_status_changed", order=moved, old="processing", new=new, reason="Zona ID salah")
    return move


async def _asked(n: Notify, order: dict[str, Any]) -> None:
    await reply_order_status(n.store, BUYER, f"status {order['code'].lower()} kak?")


async def _unmatched(n: Notify, order: dict[str, Any]) -> None:
    await _pay(n, {"code": "tanpa kode"}, 24_000)


def _alert(kind: str, **ctx: Any) -> Callable[[Notify, dict[str, Any]], Awaitable[None]]:
    async def alert(n: Notify, order: dict[str, Any]) -> None:
        if "code" in ctx:  # order alerts come for paid orders
            await _pay(n, order, 24_000)
        await n.store.alert_owner(kind, {k: order["code"] if v == "<code>" else v for k, v in ctx.items()},
                                  key=f"{kind}:test")
    return alert


# kind -> (what happens, recipient, lines the message must contain)
CASES: dict[str, tuple[Callable[[Notify, dict[str, Any]], Awaitable[None]], str, list[str]]] = {
    "order_received": (_created, BUYER, ["Halo kak 👋", "💰 Total: Rp 24.000"]),
    "owner_new_order": (_created, OWNER, ["💰 Rp 24.000", "📱 Pembeli: 6281234567890"]),
    "underpaid": (_underpaid, BUYER, ["Total: Rp 24.000", "Sudah dibayar: Rp 20.000", "Masih kurang: Rp 4.000"]),
    "owner_payment": (_underpaid, OWNER, [f"💵 Pembayaran masuk untuk *<code>*: Rp 20.000 dari {PAYER}.",
                                          "Dibayar Rp 20.000 dari Rp 24.000 (status: underpaid).",
                                          "Masih kurang Rp 4.000."]),
    "payment_received": (_paid_manual, BUYER, ["✅ Pembayaran pesanan *<code>* sudah kami terima (Rp 24.000).",
                                               "🛒 86 Diamonds untuk 12345678 / 2001 segera kami proses."]),
    "scheduled": (_paid, BUYER, ["✅ Pembayaran pesanan *<code>* sudah kami terima (Rp 24.000)."]),
    "delivered": (_moved("success", provider_note="SN 0123 🎁"), BUYER,
                  ["🎉 Pesanan *<code>* berhasil dikirim!", "🧾 SN / catatan: SN 0123 🎁"]),
    "failed": (_moved("failed"), BUYER, ["💸 Dana Rp 24.000 akan kami kembalikan (refund). Admin akan "
                                         "menghubungi kamu lewat nomor ini."]),
    "owner_provider_failure": (_moved("failed"), OWNER,
                               ["🚨 Pesanan *<code>* gagal di provider: Zona ID salah.",
                                "💸 Refund Rp 24.000 perlu diproses, atau coba ulang dari admin."]),
    "expired": (_moved("expired"), BUYER, ["💸 Pembayaran Rp 24.000 yang sudah masuk akan kami kembalikan "
                                           "(refund). Admin akan menghubungi kamu lewat nomor ini."]),
    "cancelled": (_moved("cancelled"), BUYER, ["🚫 Pesanan *<code>* (86 Diamonds) dibatalkan."]),
    "order_status": (_asked, BUYER, ["📦 Pesanan *<code>*: menunggu pembayaran", "💰 Total: Rp 24.000"]),
    "owner_unmatched_payment": (_unmatched, OWNER, [f"❓ Pembayaran tanpa pesanan yang cocok: Rp 24.000 dari "
                                                    f"{PAYER}.", 'Pesan: "tanpa kode"']),
    "owner_low_balance": (_alert("low_balance", balance_idr=24_000, threshold_idr=100_000), OWNER,
                          ["🔻 Saldo provider tinggal Rp 24.000 (batas Rp 100.000)."]),
    "owner_needs_deposit": (_alert("needs_deposit", code="<code>", balance_idr=24_000, cost_idr=30_000), OWNER,
                            ["⏸️ Pesanan *<code>* tertahan: saldo provider tidak cukup (saldo Rp 24.000, "
                             "butuh Rp 30.000)."]),
    "owner_needs_attention": (_alert("needs_attention", code="<code>", reason="produk gangguan"), OWNER,
                              ["🛑 Pesanan *<code>* ditolak provider sebelum dibeli: produk gangguan.",
                               "🛒 86 Diamonds → 12345678 / 2001",
                               "💰 Sudah dibayar Rp 24.000; belum ada yang dibeli."]),
    "owner_gateway_disconnected": (_alert("gateway_disconnected", gateway="Trakteer", reason="token ditolak"),
                                   OWNER, ["📵 Koneksi Trakteer terputus: token ditolak."]),
    "owner_price_floor": (_alert("price_floor", count=1, codes="ML86-S24", cost_idr=24_000), OWNER,
                          ["Produk (1): ML86-S24"]),
}


def test_every_message_kind_is_covered() -> None:
    assert set(CASES) == set(BUYER_KINDS) | {f"owner_{k}" for k in OWNER_KINDS}


@pytest.mark.parametrize("kind", list(CASES))
async def test_message_kind_renders_and_round_trips(notify: Notify, kind: str) -> None:
    action, recipient, lines = CASES[kind]
    order = await notify.order()
    await action(notify, order)
    [row] = await notify.rows(kind=kind)
    body = row["body"]
    assert row["recipient"] == recipient
    for line in lines:
        assert line.replace("<code>", order["code"]) in body.splitlines(), body
    assert "24000" not in body and "{{" not in body and "{%" not in body
    assert "\n\n\n" not in body and body == body.strip()
    if kind not in ("delivered", "owner_price_floor", "owner_gateway_disconnected"):  # no amount in these
        assert "Rp 24.000" in body
    await notify.drain()
    # What the gateway got is what the database holds, byte for byte (form encoding, UTF-8 on both ends).
    [sent] = [m for m in notify.emulator.sent if m["id"] == (await notify.row(row["id"]))["message_id"]]
    assert sent["message"] == body


async def test_templates_read_from_the_store_env_keep_emoji_on_both_databases(notify: Notify) -> None:
    order = await notify.order()
    await _pay(notify, order, 20_000)
    texts = {r["kind"]: r["body"] for r in await notify.rows()}
    assert texts["order_received"].startswith("Halo kak 👋\n")
    assert f"dari {PAYER}." in texts["owner_payment"]
    rendered = notify.store.templates.get_template("notify_whatsapp/order_received.txt").render(
        **notify.store.message_context(await notify.store.orders.get(order["code"]))).strip()
    assert texts["order_received"] == rendered


async def test_a_theme_overrides_a_message(make_store: Any, tmp_path: Path, fakes: Any) -> None:
    theme = f"test-theme-{uuid.uuid4().hex[:8]}"
    folder = ROOT / "themes" / theme  # the theme path is fixed to the repository's themes/ folder
    try:
        (folder / "templates" / "notify_whatsapp").mkdir(parents=True)
        (folder / "templates" / "notify_whatsapp" / "order_received.txt").write_text(
            "{% autoescape false %}Makasih kak 🙌 {{ code }} = {{ amount_due_idr|idr }}{% endautoescape %}\n",
            encoding="utf-8")
        settings = dataclasses.replace(make_settings(tmp_path), theme=theme)
        store = await make_store(settings)
        notify = Notify(store, fakes.whatsapp)
        order = await notify.order()
        assert (await notify.rows(kind="order_received"))[0]["body"] == f"Makasih kak 🙌 {order['code']} = Rp 24.000"
        # Kinds the theme leaves alone still come from the plugin.
        assert "🆕 Pesanan baru" in (await notify.rows(kind="owner_new_order"))[0]["body"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
