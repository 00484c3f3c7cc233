"""The ledger: deposit fee rules, the monthly report on a known fixture (exact integers), CSV, report page."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from core.errors import ApiError
from core.ledger.service import month_bounds, parse_month
from core.store import Store
from core.tables import deposits, order_events, orders, payments, refunds
from core.timeutil import WIB, to_ms
from tests.core.admin.conftest import csrf_of, form_post


def wib(*parts: int) -> int:
    return to_ms(datetime(*parts, tzinfo=WIB))  # type: ignore[misc]


async def add_order(store: Store, code: str, *, status: str, success_at: int | None = None,
                    provider_cost: int | None = None, estimate: int = 0, refund_made: int = 0,
                    updated_at: int | None = None) -> int:
    now = updated_at or wib(2025, 3, 1)
    row = await store.db.fetch_one(insert(orders).values(
        code=code, status=status, product_code="ML86-S24", product_name="86 Diamonds",
        category_slug="mobile-legends-bang-bang", category_name="Mobile Legends", section="game", kind="game",
        target_json='{"user_id": "1"}', whatsapp="6281234567890", amount_due_idr=0, amount_paid_idr=0,
        cost_estimate_idr=estimate, provider_cost_idr=provider_cost, refund_owed_idr=0, refund_made_idr=refund_made,
        expires_at=now, poll_count=0, note="", created_at=now, updated_at=now).returning(orders.c.id))
    assert row is not None
    if refund_made:  # a refund Banyu recorded at that time
        await store.db.execute(insert(refunds).values(order_id=row.id, amount_idr=refund_made, made_at=now,
                                                      actor="admin", note=""))
    if success_at is not None:
        await store.db.execute(insert(order_events).values(order_id=row.id, at=success_at, actor="provider",
                                                           from_status="processing", to_status="success", reason=""))
    return int(row.id)


async def add_payment(store: Store, ext: str, amount: int, fee: int, paid_at: int, order_id: int | None,
                      state: str = "matched") -> None:
    await store.db.execute(insert(payments).values(
        gateway="trakteer", external_id=ext, order_id=order_id, amount_idr=amount, net_amount_idr=amount - fee,
        fee_idr=fee, is_fee_estimated=False, payer_name="", message="", source="webhook", state=state,
        paid_at=paid_at, recorded_at=paid_at, note=""))


async def add_deposit(store: Store, amount: int, method: str, fee: int, at: int) -> None:
    await store.db.execute(insert(deposits).values(amount_idr=amount, method=method, fee_idr=fee, note="",
                                                   deposited_at=at, created_at=at, created_by="test"))


@pytest.fixture
async def march(admin_store: Store) -> Store:
    await seed_march(admin_store)
    return admin_store


async def seed_march(s: Store) -> None:
    """March 2025 (WIB) with edges on both sides of the month, in Jakarta time."""
    a = await add_order(s, "MADD-AAAAAA", status="success", success_at=wib(2025, 3, 1, 8), provider_cost=120000)
    b = await add_order(s, "MADD-BBBBBB", status="success", success_at=wib(2025, 3, 15, 10), estimate=44000)
    c = await add_order(s, "MADD-CCCCCC", status="cancelled", refund_made=12000, updated_at=wib(2025, 3, 21, 12))
    d = await add_order(s, "MADD-DDDDDD", status="success", success_at=wib(2025, 4, 1, 0, 5), provider_cost=5000)
    e = await add_order(s, "MADD-EEEEEE", status="cancelled", refund_made=30000, updated_at=wib(2025, 3, 26, 8))
    await add_payment(s, "pa", 150000, 9000, wib(2025, 3, 1, 0, 30), a)  # = 28 Feb 17:30 UTC: still March in WIB
    await add_payment(s, "pb", 47000, 2679, wib(2025, 3, 15, 9), b)
    await add_payment(s, "pc", 12000, 720, wib(2025, 3, 20, 19), c)
    await add_payment(s, "pe", 30000, 1800, wib(2025, 3, 25, 10), e, state="refunded")  # received, then sent back
    await add_payment(s, "pu", 5000, 300, wib(2025, 3, 10), None, state="unmatched")  # not revenue
    await add_payment(s, "pi", 6000, 300, wib(2025, 3, 11), None, state="ignored")
    await add_payment(s, "pd", 9000, 540, wib(2025, 4, 1, 0, 10), d)  # April in WIB
    await add_payment(s, "pf", 9000, 540, wib(2025, 2, 28, 23, 50), d)  # February
    await add_deposit(s, 100_000, "gopay", 2700, wib(2025, 3, 5, 9))
    await add_deposit(s, 100_000, "pulsa", 9000, wib(2025, 3, 31, 23))
    await add_deposit(s, 1_000_000, "bank", 0, wib(2025, 3, 31, 23, 30))
    await add_deposit(s, 100_000, "gopay", 2700, wib(2025, 4, 1, 0, 1))


async def test_deposit_fee_rules_are_exact(admin_store: Store) -> None:
    ledger = admin_store.ledger
    assert ledger.fee_for("gopay", 100_000) == 2_700  # 0.7 % + Rp 2.000
    assert ledger.fee_for("gopay", 100_001) == 2_701  # the percentage rounds up to a whole Rupiah
    assert ledger.fee_for("gopay", 1_000_000) == 9_000
    assert ledger.fee_for("bank", 5_000_000) == 0
    assert ledger.fee_for("pulsa", 50_000) == 9_000  # default of the Rp 8.000–10.000 range
    assert ledger.fee_for("lainnya", 50_000) == 0
    assert list(ledger.methods()) == ["gopay", "bank", "pulsa", "lainnya"]

    row = await ledger.record_deposit(100_000, "gopay", actor="admin:admin")
    assert (row["amount_idr"], row["fee_idr"], row["method"]) == (100_000, 2_700, "gopay")
    row = await ledger.record_deposit(100_000, "pulsa", fee_idr=8_500, note="Telkomsel")
    assert row["fee_idr"] == 8_500
    for bad in ({"amount_idr": 0, "method": "bank"}, {"amount_idr": True, "method": "bank"},
                {"amount_idr": 10_000, "method": "ovo"}, {"amount_idr": 10_000, "method": "bank", "fee_idr": 10_001},
                {"amount_idr": 10_000, "method": "bank", "fee_idr": -1}, {"amount_idr": "10000", "method": "bank"}):
        with pytest.raises(ApiError) as exc:
            await ledger.record_deposit(bad.pop("amount_idr"), bad.pop("method"), **bad)
        assert exc.value.status == 422
    assert [d["fee_idr"] for d in await ledger.deposits()] == [8_500, 2_700]


async def test_monthly_report_numbers(march: Store) -> None:
    r = await march.ledger.monthly_report(2025, 3)
    t = r.as_dict()["totals"]
    assert t == {"revenue_idr": 239_000, "refunds_idr": 42_000, "provider_cost_idr": 164_000,
                 "payment_fees_idr": 14_199, "deposit_fees_idr": 11_700, "net_idr": 7_101,
                 "web_service_share_idr": 1_775, "owner_profit_idr": 5_326, "orders_delivered": 2}
    assert r.share_bp == 2500 and len(r.days) == 31
    nets = {d.day.day: d.net_idr for d in r.days if d.net_idr}
    assert nets == {1: 21_000, 5: -2_700, 15: 321, 20: 11_280, 21: -12_000, 25: 28_200, 26: -30_000, 31: -9_000}
    day1 = r.days[0]
    assert (day1.revenue_idr, day1.payment_fees_idr, day1.provider_cost_idr, day1.orders_delivered) == \
        (150_000, 9_000, 120_000, 1)
    assert r.days[14].provider_cost_idr == 44_000  # no provider price stored: the estimate counts

    april = await march.ledger.monthly_report(2025, 4)
    assert april.total("revenue_idr") == 9_000 and april.total("provider_cost_idr") == 5_000
    assert april.total("deposit_fees_idr") == 2_700
    # 9.000 − 5.000 − 540 − 2.700 = 760 -> 25 % = 190, Banyu keeps 570
    assert (april.net_idr, april.share_idr, april.owner_profit_idr) == (760, 190, 570)


async def test_report_on_every_database(store: Store) -> None:
    """The same fixture and numbers on SQLite and PostgreSQL (the `store` fixture runs both)."""
    await seed_march(store)
    r = await store.ledger.monthly_report(2025, 3)
    assert (r.total("revenue_idr"), r.total("refunds_idr"), r.total("provider_cost_idr"),
            r.total("payment_fees_idr"), r.total("deposit_fees_idr")) == (239_000, 42_000, 164_000, 14_199, 11_700)
    assert (r.net_idr, r.share_idr, r.owner_profit_idr) == (7_101, 1_775, 5_326)
    row = await store.ledger.record_deposit(100_000, "gopay")
    assert row["fee_idr"] == 2_700


async def test_loss_month_has_no_share(march: Store) -> None:
    feb = await march.ledger.monthly_report(2025, 2)
    assert len(feb.days) == 28
    assert feb.total("revenue_idr") == 9_000 and feb.total("provider_cost_idr") == 0
    assert (feb.net_idr, feb.share_idr, feb.owner_profit_idr) == (8_460, 2_115, 6_345)
    await add_deposit(march, 10_000, "pulsa", 9_000, wib(2025, 1, 3))
    jan = await march.ledger.monthly_report(2025, 1)
    assert (jan.net_idr, jan.share_idr, jan.owner_profit_idr) == (-9_000, 0, -9_000)


def test_month_helpers() -> None:
    start, end = month_bounds(2025, 12)
    assert start == wib(2025, 12, 1) and end == wib(2026, 1, 1)
    assert parse_month(" 2025-03 ") == (2025, 3)
    for bad in ("2025-13", "march", "2025", "1999-01"):
        with pytest.raises(ApiError):
            parse_month(bad)


async def test_report_csv_exact(march: Store) -> None:
    lines = (await march.ledger.report_csv(2025, 3)).splitlines()
    assert lines[0] == ("tanggal,pendapatan,refund,biaya_provider,biaya_pembayaran,biaya_deposit,laba_bersih,"
                        "pesanan_terkirim")
    assert len(lines) == 1 + 31 + 3
    assert lines[1] == "2025-03-01,150000,0,120000,9000,0,21000,1"
    assert lines[2] == "2025-03-02,0,0,0,0,0,0,0"
    assert lines[21] == "2025-03-21,0,12000,0,0,0,-12000,0"
    assert lines[31] == "2025-03-31,0,0,0,0,9000,-9000,0"
    assert lines[25] == "2025-03-25,30000,0,0,1800,0,28200,0"
    assert lines[32:] == ["total,239000,42000,164000,14199,11700,7101,2", "bagian_web_service,,,,,,1775,",
                          "laba_banyu,,,,,,5326,"]


async def test_report_page_and_csv_download(admin: httpx.AsyncClient, march: Store) -> None:
    r = await admin.get("/admin/report?month=2025-03")
    assert r.status_code == 200
    html = r.text
    for text in ("Rp 239.000", "Rp 14.199", "Rp 11.700", "Rp 7.101", "Rp 1.775", "Rp 5.326", "-Rp 30.000"):
        assert text in html, text
    assert len(re.findall(r"<rect class=\"bar-(?:rev|net)", html)) == 62  # two bars per day
    assert "bar-net neg" in html  # loss days drawn below the axis
    assert 'href="/admin/report.csv?month=2025-03"' in html and "?month=2025-02" in html and "?month=2025-04" in html
    assert "(8 hari dengan transaksi)" in html

    csv = await admin.get("/admin/report.csv?month=2025-03")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="laporan-2025-03.csv"'
    assert csv.text == await march.ledger.report_csv(2025, 3)
    assert (await admin.get("/admin/report.csv?month=maret")).status_code == 404
    assert "Bulan harus berformat YYYY-MM." in (await admin.get("/admin/report?month=2025-99")).text


async def test_record_deposit_through_the_page(admin: httpx.AsyncClient, admin_store: Store) -> None:
    page = await admin.get("/admin/deposits")
    assert 'value="gopay" data-bp="70" data-fixed="2000"' in page.text
    assert 'value="pulsa" data-bp="0" data-fixed="9000"' in page.text

    r = await form_post(admin, "/admin/deposits", "/admin/deposits",
                        {"amount": "100.000", "method": "gopay", "fee": "", "note": "top up pagi"})
    assert r.status_code == 303
    html = (await admin.get("/admin/deposits")).text
    assert "Deposit Rp 100.000 dicatat (biaya Rp 2.700)." in html and "top up pagi" in html
    await form_post(admin, "/admin/deposits", "/admin/deposits",
                    {"amount": "Rp 50.000", "method": "pulsa", "fee": "8.500", "deposited_on": "2025-03-05"})
    rows = await admin_store.ledger.deposits()
    assert [(d["amount_idr"], d["method"], d["fee_idr"]) for d in rows] == [(100_000, "gopay", 2_700),
                                                                            (50_000, "pulsa", 8_500)]
    assert rows[1]["deposited_at"] == wib(2025, 3, 5, 12) and rows[0]["created_by"] == "admin:admin"


@pytest.mark.parametrize("form,message", [
    ({"amount": "sepuluh", "method": "bank"}, "Jumlah deposit tidak valid."),
    ({"amount": "10.000", "method": "bank", "fee": "20.000"}, "Biaya tidak valid"),
    ({"amount": "10.000", "method": "ovo"}, "Pilih metode yang tersedia."),
    ({"amount": "10.000", "method": "bank", "deposited_on": "2999-01-01"}, "Tanggal tidak valid"),
])
async def test_invalid_deposit_form(admin: httpx.AsyncClient, admin_store: Store, form: dict[str, Any],
                                    message: str) -> None:
    token = csrf_of((await admin.get("/admin/deposits")).text)
    r = await admin.post("/admin/deposits", data={"csrf_token": token, **form})
    assert r.status_code == 422 and message in r.text
    assert f'value="{form["amount"]}"' in r.text  # what Banyu typed stays in the form
    assert await admin_store.ledger.deposits() == []
