"""Deposits (record + list) and the monthly report (table per day, totals, CSV, inline SVG chart)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.errors import ApiError
from core.ledger.service import TERMS, MonthReport, parse_month
from core.timeutil import WIB, now, to_ms
from core.web.admin_base import action, actor, flash, form_of, page, render, secure
from core.web.common import store_of

_AMOUNT = re.compile(r"^(?:Rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)$", re.IGNORECASE)


def parse_amount(text: str) -> int | None:
    """`100000`, `100.000`, `Rp 100.000` -> 100000; None when it is not a whole Rupiah amount."""
    m = _AMOUNT.match(text.strip())
    return int(m.group(1).replace(".", "")) if m else None


def _deposited_at(text: str) -> int | None:
    """A past date from the form (WIB) -> noon of that day; today (or empty) -> now."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ApiError(422, "invalid_field", field="deposited_on") from None
    today = now().astimezone(WIB).date()
    if day > today:
        raise ApiError(422, "invalid_field", field="deposited_on")
    return None if day == today else to_ms(datetime(day.year, day.month, day.day, 12, tzinfo=WIB))


async def _deposits_page(request: Request, form: dict[str, str] | None = None, error: str | None = None,
                         status_code: int = 200) -> Response:
    ledger = store_of(request).ledger
    return render(request, "admin/deposits.html", {
        "methods": ledger.methods(), "deposits": await ledger.deposits(), "form": form or {},
        "error": error, "today": now().astimezone(WIB).date().isoformat()}, status_code)


@page
async def deposits(request: Request) -> Response:
    return await _deposits_page(request)


@action
async def record_deposit(request: Request) -> Response:
    store = store_of(request)
    form = await form_of(request)
    amount = parse_amount(form.get("amount", ""))
    fee_text = form.get("fee", "").strip()
    fee = parse_amount(fee_text) if fee_text else None
    try:
        if amount is None:
            raise ApiError(422, "invalid_field", field="amount_idr")
        if fee_text and fee is None:
            raise ApiError(422, "invalid_field", field="fee_idr")
        row = await store.ledger.record_deposit(amount, form.get("method", ""), fee_idr=fee,
                                                note=form.get("note", "").strip(), actor=actor(request),
                                                deposited_at=_deposited_at(form.get("deposited_on", "")))
    except ApiError as exc:
        return await _deposits_page(request, form, exc.field or exc.code, exc.status)
    flash(request, "deposit_recorded", amount=row["amount_idr"], fee=row["fee_idr"])
    return RedirectResponse("/admin/deposits", status_code=303)


# ---- monthly report ---------------------------------------------------------------------------------

def _month_of(request: Request) -> tuple[int, int]:
    text = request.query_params.get("month")
    if text:
        return parse_month(text)
    today = now().astimezone(WIB)
    return today.year, today.month


def chart(report: MonthReport, width: int = 480, height: int = 220, pad: int = 24) -> dict[str, Any]:
    """Geometry of a per-day bar chart (revenue and net profit side by side); negative net goes below 0."""
    days = report.days
    top = max([d.revenue_idr for d in days] + [d.net_idr for d in days] + [1])
    bottom = min([d.net_idr for d in days] + [0])
    span = top - bottom
    plot_h = height - 2 * pad
    zero_y = pad + plot_h * top // span
    slot = (width - 2 * pad) / max(len(days), 1)
    bar_w = max(slot * 0.4, 1.0)

    def y_of(value: int) -> float:
        return pad + plot_h * (top - value) / span

    bars = []
    for i, d in enumerate(days):
        x = pad + i * slot
        rev_y, net_y = y_of(d.revenue_idr), y_of(d.net_idr)
        bars.append({
            "day": d.day.day, "date": d.day.isoformat(), "revenue_idr": d.revenue_idr, "net_idr": d.net_idr,
            "rev": {"x": round(x + slot * 0.1, 1), "y": round(min(rev_y, zero_y), 1),
                    "h": round(abs(zero_y - rev_y), 1)},
            "net": {"x": round(x + slot * 0.1 + bar_w, 1), "y": round(min(net_y, zero_y), 1),
                    "h": round(abs(zero_y - net_y), 1), "negative": d.net_idr < 0},
            "label_x": round(x + slot / 2, 1), "show_label": d.day.day in (1, 5, 10, 15, 20, 25) or
            d.day.day == len(days),
        })
    return {"width": width, "height": height, "pad": pad, "zero_y": zero_y, "bar_w": round(bar_w, 1),
            "bars": bars, "top_idr": top, "bottom_idr": bottom}


@page
async def report(request: Request) -> Response:
    store = store_of(request)
    try:
        year, month = _month_of(request)
    except ApiError:
        year, month = _month_of_now()
        flash(request, "invalid_month", "error")
    rep = await store.ledger.monthly_report(year, month)
    prev = (year - (month == 1), 12 if month == 1 else month - 1)
    nxt = (year + (month == 12), 1 if month == 12 else month + 1)
    return render(request, "admin/report.html", {
        "r": rep, "data": rep.as_dict(), "terms": TERMS, "chart": chart(rep), "month": f"{year:04d}-{month:02d}",
        "prev_month": f"{prev[0]:04d}-{prev[1]:02d}", "next_month": f"{nxt[0]:04d}-{nxt[1]:02d}",
        "active_dates": {d.day.isoformat() for d in rep.days
                         if any(getattr(d, t) for t in TERMS) or d.orders_delivered},
    })


def _month_of_now() -> tuple[int, int]:
    today = now().astimezone(WIB)
    return today.year, today.month


@page
async def report_csv(request: Request) -> Response:
    store = store_of(request)
    try:
        year, month = _month_of(request)
    except ApiError:
        return render(request, "admin/not_found.html", {"what": "month"}, 404)
    body = await store.ledger.report_csv(year, month)
    return secure(Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="laporan-{year:04d}-{month:02d}.csv"'}))
