"""SQL for payment deliveries and payments. Dedupe is `INSERT … ON CONFLICT DO NOTHING RETURNING`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.db import row_dict
from core.tables import payment_events, payments
from core.timeutil import now_ms

Conn = Any


def _insert(conn: Conn, table: Any) -> Any:
    url = str(getattr(conn, "url", None) or getattr(getattr(conn, "_database", None), "url", ""))
    return (sqlite_insert if url.startswith("sqlite") else pg_insert)(table)


async def insert_event(conn: Conn, **values: Any) -> int | None:
    q = _insert(conn, payment_events).values(received_at=now_ms(), **values)
    q = q.on_conflict_do_nothing(index_elements=["gateway", "external_id"]).returning(payment_events.c.id)
    row = await conn.fetch_one(q)
    return int(row.id) if row else None


async def mark_event(conn: Conn, event_id: int, error: str | None = None, processed: bool = True) -> None:
    await conn.execute(update(payment_events).where(payment_events.c.id == event_id)
                       .values(processed_at=now_ms() if processed else None, error=error))


async def unprocessed_events(conn: Conn, older_than: int) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payment_events).where(and_(
        payment_events.c.processed_at.is_(None), payment_events.c.kind == "payment",
        payment_events.c.received_at < older_than)).limit(100))
    return [row_dict(r) for r in rows]


async def insert_payment(conn: Conn, values: dict[str, Any]) -> dict[str, Any] | None:
    q = _insert(conn, payments).values(**values)
    q = q.on_conflict_do_nothing(index_elements=["gateway", "external_id"]).returning(*payments.c)
    return row_dict(await conn.fetch_one(q)) or None


async def assign_payment(conn: Conn, payment_id: int, order_id: int) -> dict[str, Any] | None:
    q = (update(payments).where(and_(payments.c.id == payment_id, payments.c.state == "unmatched"))
         .values(order_id=order_id, state="matched").returning(*payments.c))
    return row_dict(await conn.fetch_one(q)) or None


async def set_state(conn: Conn, payment_id: int, state: str, note: str) -> bool:
    q = (update(payments).where(and_(payments.c.id == payment_id, payments.c.state == "unmatched"))
         .values(state=state, note=note).returning(payments.c.id))
    return await conn.fetch_one(q) is not None


async def sum_for_order(conn: Conn, order_id: int) -> int:
    q = select(func.coalesce(func.sum(payments.c.amount_idr), 0)).where(
        and_(payments.c.order_id == order_id, payments.c.state == "matched"))
    return int(await conn.fetch_val(q) or 0)


async def for_order(conn: Conn, order_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payments).where(payments.c.order_id == order_id).order_by(payments.c.id))
    return [row_dict(r) for r in rows]


async def get_payment(conn: Conn, payment_id: int) -> dict[str, Any] | None:
    return row_dict(await conn.fetch_one(select(payments).where(payments.c.id == payment_id))) or None


async def any_known_id(conn: Conn, gateway: str, ids: list[str]) -> bool:
    ids = [i for i in ids if i]
    if not ids:
        return False
    q = select(payments.c.id).where(and_(payments.c.gateway == gateway, or_(
        payments.c.external_id.in_(ids), payments.c.alt_id.in_(ids)))).limit(1)
    return await conn.fetch_one(q) is not None


async def similar_payment(conn: Conn, order_id: int, amount_idr: int, at_ms: int, window_ms: int) -> bool:
    q = select(payments.c.id).where(and_(
        payments.c.order_id == order_id, payments.c.amount_idr == amount_idr,
        payments.c.paid_at >= at_ms - window_ms, payments.c.paid_at <= at_ms + window_ms)).limit(1)
    return await conn.fetch_one(q) is not None


async def unmatched(conn: Conn, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payments).where(payments.c.state == "unmatched")
                                .order_by(payments.c.id.desc()).limit(limit))
    return [row_dict(r) for r in rows]


async def raw_events(conn: Conn, kinds: list[str], limit: int = 50) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payment_events).where(payment_events.c.kind.in_(kinds))
                                .order_by(payment_events.c.id.desc()).limit(limit))
    return [row_dict(r) for r in rows]
