"""Read-only queries behind Banyu's dashboard and the live-update stream (no writes here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from core.db import row_dict
from core.ledger.repo import ON_ORDER
from core.orders.states import Status
from core.tables import orders, payments
from core.timeutil import WIB, now, to_ms

Conn = Any

# Flags that mean "Banyu has to look at this order" (set by fulfilment and payments).
ATTENTION_FLAGS = ("needs_deposit", "needs_attention", "unsettled", "poll_expired", "late_payment", "late_success",
                   "retry_later")
LIST_LIMIT = 30


def wib_day_start(at: datetime | None = None) -> int:
    """Epoch ms of the last midnight in Jakarta."""
    local = (at or now()).astimezone(WIB)
    return to_ms(local.replace(hour=0, minute=0, second=0, microsecond=0))


@dataclass
class Overview:
    orders_today: int = 0
    revenue_today_idr: int = 0
    delivered_today: int = 0
    awaiting_count: int = 0
    awaiting: list[dict[str, Any]] = field(default_factory=list)
    cooldown: list[dict[str, Any]] = field(default_factory=list)
    waiting_admin: list[dict[str, Any]] = field(default_factory=list)
    attention: list[dict[str, Any]] = field(default_factory=list)
    processing_count: int = 0
    unmatched_count: int = 0
    last_order_id: int = 0
    last_payment_id: int = 0


async def _count(conn: Conn, table: Any, cond: Any) -> int:
    return int(await conn.fetch_val(select(func.count()).select_from(table).where(cond)) or 0)


async def _rows(conn: Conn, query: Any) -> list[dict[str, Any]]:
    return [row_dict(r) for r in await conn.fetch_all(query)]


async def overview(conn: Conn, at: datetime | None = None) -> Overview:
    start = wib_day_start(at)
    o = orders.c
    open_for_payment = [Status.AWAITING_PAYMENT.value, Status.UNDERPAID.value]
    out = Overview()
    out.orders_today = await _count(conn, orders, o.created_at >= start)
    out.revenue_today_idr = int(await conn.fetch_val(
        select(func.coalesce(func.sum(payments.c.amount_idr), 0))
        .where(and_(payments.c.order_id.is_not(None), payments.c.state.in_(ON_ORDER),
                    payments.c.paid_at >= start))) or 0)
    out.delivered_today = await _count(conn, orders, and_(o.status == Status.SUCCESS, o.updated_at >= start))
    out.awaiting_count = await _count(conn, orders, o.status.in_(open_for_payment))
    out.awaiting = await _rows(conn, select(orders).where(o.status.in_(open_for_payment))
                               .order_by(o.id.desc()).limit(LIST_LIMIT))
    out.cooldown = await _rows(conn, select(orders).where(and_(
        o.status == Status.PAID, o.fulfil_at.is_not(None), o.flag.is_(None))).order_by(o.fulfil_at).limit(LIST_LIMIT))
    # Paid but not scheduled (manual mode) or held: nothing happens until Banyu acts.
    out.waiting_admin = await _rows(conn, select(orders).where(or_(
        and_(o.status == Status.PAID, o.fulfil_at.is_(None), o.flag.is_(None)),
        o.status == Status.ON_HOLD)).order_by(o.id).limit(LIST_LIMIT))
    out.attention = await _rows(conn, select(orders).where(or_(
        o.status == Status.FAILED, and_(o.flag.in_(ATTENTION_FLAGS), o.status != Status.SUCCESS),
        o.refund_owed_idr > o.refund_made_idr))  # money owed back to a buyer is always Banyu's to settle
        .order_by(o.updated_at.desc()).limit(LIST_LIMIT))
    out.processing_count = await _count(conn, orders, o.status == Status.PROCESSING)
    out.unmatched_count = await _count(conn, payments, payments.c.state == "unmatched")
    out.last_order_id, out.last_payment_id = await latest_ids(conn)
    return out


async def latest_ids(conn: Conn) -> tuple[int, int]:
    last_order = await conn.fetch_val(select(func.max(orders.c.id)))
    last_payment = await conn.fetch_val(select(func.max(payments.c.id)))
    return int(last_order or 0), int(last_payment or 0)


async def orders_after(conn: Conn, after_id: int, limit: int = 50) -> list[dict[str, Any]]:
    return await _rows(conn, select(orders.c.id, orders.c.code, orders.c.status, orders.c.amount_due_idr,
                                    orders.c.product_name).where(orders.c.id > after_id)
                       .order_by(orders.c.id).limit(limit))


async def payments_after(conn: Conn, after_id: int, limit: int = 50) -> list[dict[str, Any]]:
    return await _rows(conn, select(payments.c.id, payments.c.order_id, payments.c.state, payments.c.amount_idr)
                       .where(payments.c.id > after_id).order_by(payments.c.id).limit(limit))
