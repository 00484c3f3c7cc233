"""Deposits (with the owner's fee rules) and the monthly report.

Net profit = gross revenue − refunds made − provider cost − payment fees − deposit fees. The web-service
share is a percentage of a positive net profit (rounded down); Banyu's profit is the rest. Days are
Jakarta (WIB) days.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.errors import invalid
from core.ledger import repo
from core.money import percent_of
from core.settings import DepositMethod
from core.timeutil import WIB, from_ms, now_ms, to_ms

if TYPE_CHECKING:
    from core.store import Store

TERMS = ("revenue_idr", "refunds_idr", "provider_cost_idr", "payment_fees_idr", "deposit_fees_idr")

OTHER_METHOD = "lainnya"


@dataclass
class DayRow:
    day: date
    revenue_idr: int = 0
    refunds_idr: int = 0
    provider_cost_idr: int = 0
    payment_fees_idr: int = 0
    deposit_fees_idr: int = 0
    orders_delivered: int = 0

    @property
    def net_idr(self) -> int:
        return (self.revenue_idr - self.refunds_idr - self.provider_cost_idr - self.payment_fees_idr
                - self.deposit_fees_idr)


@dataclass
class MonthReport:
    year: int
    month: int
    share_bp: int
    days: list[DayRow] = field(default_factory=list)

    def total(self, term: str) -> int:
        return sum(getattr(d, term) for d in self.days)

    @property
    def net_idr(self) -> int:
        return sum(d.net_idr for d in self.days)

    @property
    def share_idr(self) -> int:
        return percent_of(self.net_idr, self.share_bp, round_up=False) if self.net_idr > 0 else 0

    @property
    def owner_profit_idr(self) -> int:
        return self.net_idr - self.share_idr

    def as_dict(self) -> dict[str, Any]:
        return {"month": f"{self.year:04d}-{self.month:02d}",
                "totals": {**{t: self.total(t) for t in TERMS}, "net_idr": self.net_idr,
                           "web_service_share_idr": self.share_idr, "owner_profit_idr": self.owner_profit_idr,
                           "orders_delivered": self.total("orders_delivered")},
                "share_percent_bp": self.share_bp,
                "days": [{"date": d.day.isoformat(), **{t: getattr(d, t) for t in TERMS}, "net_idr": d.net_idr,
                          "orders_delivered": d.orders_delivered} for d in self.days]}


def month_bounds(year: int, month: int) -> tuple[int, int]:
    start = datetime(year, month, 1, tzinfo=WIB)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=WIB)
    return to_ms(start), to_ms(end)


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in text.strip().split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise invalid("invalid_field", "month", label="Bulan (YYYY-MM)") from None
    return year, month


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store

    def methods(self) -> dict[str, DepositMethod]:
        """Every deposit method with its fee rule, `lainnya` (other, no default fee) last."""
        merged = dict(self.store.settings.deposit_methods)
        merged.setdefault(OTHER_METHOD, DepositMethod())
        return merged

    def fee_for(self, method: str, amount_idr: int) -> int:
        """The default fee: percentage rounded up to a whole Rupiah, plus the fixed part."""
        m = self.methods().get(method)
        return percent_of(amount_idr, m.percent_bp) + m.fixed_idr if m else 0

    async def record_deposit(self, amount_idr: Any, method: str, *, fee_idr: Any = None, note: str = "",
                             actor: str = "", deposited_at: int | None = None) -> dict[str, Any]:
        if isinstance(amount_idr, bool) or not isinstance(amount_idr, int) or amount_idr <= 0:
            raise invalid("invalid_field", "amount_idr", label="Jumlah deposit")
        if method not in self.methods():
            raise invalid("invalid_choice", "method", label="Metode")
        if fee_idr in (None, ""):
            fee = self.fee_for(method, amount_idr)
        elif isinstance(fee_idr, int) and not isinstance(fee_idr, bool) and 0 <= fee_idr <= amount_idr:
            fee = fee_idr
        else:
            raise invalid("invalid_field", "fee_idr", label="Biaya")
        now = now_ms()
        return await repo.insert_deposit(self.store.db, {
            "amount_idr": amount_idr, "method": method, "fee_idr": fee, "note": (note or "")[:500],
            "deposited_at": deposited_at or now, "created_at": now, "created_by": actor[:80]})

    async def deposits(self, limit: int = 100) -> list[dict[str, Any]]:
        return await repo.list_deposits(self.store.db, limit)

    async def monthly_report(self, year: int, month: int) -> MonthReport:
        start, end = month_bounds(year, month)
        db = self.store.db
        first = date(year, month, 1)
        n_days = (date(year + (month == 12), month % 12 + 1, 1) - first).days
        days = {first + timedelta(days=i): DayRow(first + timedelta(days=i)) for i in range(n_days)}

        def day_of(ms: int) -> DayRow:
            dt = from_ms(ms)
            assert dt is not None
            return days[dt.astimezone(WIB).date()]

        for p in await repo.payments_between(db, start, end):
            row = day_of(p["paid_at"])
            row.revenue_idr += p["amount_idr"]
            row.payment_fees_idr += p["fee_idr"]
        for s in await repo.successes_between(db, start, end):
            row = day_of(s["at"])
            row.provider_cost_idr += s["provider_cost_idr"] if s["provider_cost_idr"] is not None \
                else s["cost_estimate_idr"]
            row.orders_delivered += 1
        for d in await repo.deposits_between(db, start, end):
            day_of(d["deposited_at"]).deposit_fees_idr += d["fee_idr"]
        for r in await repo.refunds_between(db, start, end):
            day_of(r["made_at"]).refunds_idr += r["amount_idr"]
        return MonthReport(year, month, self.store.settings.web_service_share_bp, list(days.values()))

    async def report_csv(self, year: int, month: int) -> str:
        report = await self.monthly_report(year, month)
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["tanggal", "pendapatan", "refund", "biaya_provider", "biaya_pembayaran", "biaya_deposit",
                    "laba_bersih", "pesanan_terkirim"])
        for d in report.days:
            w.writerow([d.day.isoformat(), d.revenue_idr, d.refunds_idr, d.provider_cost_idr, d.payment_fees_idr,
                        d.deposit_fees_idr, d.net_idr, d.orders_delivered])
        w.writerow(["total", report.total("revenue_idr"), report.total("refunds_idr"),
                    report.total("provider_cost_idr"), report.total("payment_fees_idr"),
                    report.total("deposit_fees_idr"), report.net_idr, report.total("orders_delivered")])
        w.writerow(["bagian_web_service", "", "", "", "", "", report.share_idr, ""])
        w.writerow(["laba_banyu", "", "", "", "", "", report.owner_profit_idr, ""])
        return out.getvalue()
