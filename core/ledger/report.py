"""`madd report YYYY-MM`: the monthly profit report on the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import ApiError
from core.ledger.service import parse_month
from core.money import format_idr

if TYPE_CHECKING:
    from core.store import Store


async def print_report(store: Store, month: str) -> int:
    try:
        year, mon = parse_month(month)
    except ApiError:
        print("month must be YYYY-MM")
        return 2
    r = await store.ledger.monthly_report(year, mon)
    print(f"Laporan {year:04d}-{mon:02d}")
    for label, term in (("Pendapatan kotor", "revenue_idr"), ("Refund", "refunds_idr"),
                        ("Biaya provider", "provider_cost_idr"), ("Biaya pembayaran", "payment_fees_idr"),
                        ("Biaya deposit", "deposit_fees_idr")):
        print(f"  {label:<22} {format_idr(r.total(term)):>16}")
    print(f"  {'Laba bersih':<22} {format_idr(r.net_idr):>16}")
    print(f"  {'Bagian web service':<22} {format_idr(r.share_idr):>16}  ({r.share_bp / 100:g} %)")
    print(f"  {'Laba Banyu':<22} {format_idr(r.owner_profit_idr):>16}")
    return 0
