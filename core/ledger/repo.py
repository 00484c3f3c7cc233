"""SQL for deposits and the report's source rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, insert, select

from core.db import row_dict
from core.tables import deposits, order_events, orders, payments, refunds

Conn = Any

# A payment on an order is money received whatever Banyu later marked it (`refunded` / `ignored`): what went
# back is the order's `refund_made_idr`, counted separately. Unmatched payments are not revenue.
ON_ORDER = ("matched", "refunded", "ignored")


async def insert_deposit(conn: Conn, values: dict[str, Any]) -> dict[str, Any]:
    return row_dict(await conn.fetch_one(insert(deposits).values(**values).returning(*deposits.c)))


async def list_deposits(conn: Conn, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(deposits).order_by(deposits.c.deposited_at.desc(), deposits.c.id.desc())
                                .limit(limit))
    return [row_dict(r) for r in rows]


async def deposits_between(conn: Conn, start: int, end: int) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(deposits.c.deposited_at, deposits.c.amount_idr, deposits.c.fee_idr)
                                .where(and_(deposits.c.deposited_at >= start, deposits.c.deposited_at < end)))
    return [row_dict(r) for r in rows]


async def payments_between(conn: Conn, start: int, end: int) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payments.c.paid_at, payments.c.amount_idr, payments.c.fee_idr)
                                .where(and_(payments.c.order_id.is_not(None), payments.c.state.in_(ON_ORDER),
                                            payments.c.paid_at >= start, payments.c.paid_at < end)))
    return [row_dict(r) for r in rows]


async def successes_between(conn: Conn, start: int, end: int) -> list[dict[str, Any]]:
    """Orders delivered in the window, with what the provider charged (its reply's price)."""
    q = (select(order_events.c.at, orders.c.provider_cost_idr, orders.c.cost_estimate_idr)
         .select_from(order_events.join(orders, orders.c.id == order_events.c.order_id))
         .where(and_(order_events.c.to_status == "success", order_events.c.at >= start, order_events.c.at < end)))
    return [row_dict(r) for r in await conn.fetch_all(q)]


async def refunds_between(conn: Conn, start: int, end: int) -> list[dict[str, Any]]:
    """Refunds made, each dated when Banyu recorded it (later changes to the order do not move it)."""
    q = (select(refunds.c.made_at, refunds.c.amount_idr)
         .where(and_(refunds.c.made_at >= start, refunds.c.made_at < end)))
    return [row_dict(r) for r in await conn.fetch_all(q)]
