"""SQL for payment deliveries and payments. Dedupe is `INSERT … ON CONFLICT DO NOTHING RETURNING`.

Payment states: `unmatched` (in Banyu's inbox), `matched` (on an order), `refunded` / `ignored` (Banyu settled
it by hand; when it sits on an order it still counts as money received, the order's `refund_made_idr` says
what went back).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.db import row_dict
from core.tables import orders, payment_events, payments, refunds
from core.timeutil import now_ms

Conn = Any

ON_ORDER = ("matched", "refunded", "ignored")  # states of a payment that count towards its order's paid sum
SETTLED = ("refunded", "ignored")


def _insert(conn: Conn, table: Any) -> Any:
    url = str(getattr(conn, "url", None) or getattr(getattr(conn, "_database", None), "url", ""))
    return (sqlite_insert if url.startswith("sqlite") else pg_insert)(table)


# ---- raw deliveries -----------------------------------------------------------------------------

async def insert_event(conn: Conn, **values: Any) -> int | None:
    q = _insert(conn, payment_events).values(received_at=now_ms(), **values)
    q = q.on_conflict_do_nothing(index_elements=["gateway", "external_id"]).returning(payment_events.c.id)
    row = await conn.fetch_one(q)
    return int(row.id) if row else None


async def record_refund(conn: Conn, *, order_id: int, payment_id: int | None, amount_idr: int, actor: str,
                        note: str = "") -> None:
    await conn.execute(insert(refunds).values(order_id=order_id, payment_id=payment_id, amount_idr=amount_idr,
                                              made_at=now_ms(), actor=actor[:80], note=note))


async def event_body(conn: Conn, gateway: str, external_id: str) -> str | None:
    q = select(payment_events.c.body).where(and_(payment_events.c.gateway == gateway,
                                                 payment_events.c.external_id == external_id))
    value = await conn.fetch_val(q)
    return str(value) if value is not None else None


async def mark_event(conn: Conn, event_id: int, error: str | None = None, processed: bool = True) -> None:
    await conn.execute(update(payment_events).where(payment_events.c.id == event_id)
                       .values(processed_at=now_ms() if processed else None, error=error))


async def unprocessed_events(conn: Conn, older_than: int, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payment_events).where(and_(
        payment_events.c.processed_at.is_(None), payment_events.c.kind == "payment",
        payment_events.c.received_at <= older_than)).order_by(payment_events.c.id).limit(limit))
    return [row_dict(r) for r in rows]


async def raw_events(conn: Conn, kinds: list[str], limit: int = 50) -> list[dict[str, Any]]:
    """Deliveries of these kinds, plus payments whose processing failed and still waits (Banyu must see both)."""
    stuck = and_(payment_events.c.kind == "payment", payment_events.c.processed_at.is_(None),
                 payment_events.c.error.is_not(None))
    rows = await conn.fetch_all(select(payment_events).where(or_(payment_events.c.kind.in_(kinds), stuck))
                                .order_by(payment_events.c.id.desc()).limit(limit))
    return [row_dict(r) for r in rows]


# ---- payments -----------------------------------------------------------------------------------

async def insert_payment(conn: Conn, values: dict[str, Any]) -> dict[str, Any] | None:
    q = _insert(conn, payments).values(**values)
    q = q.on_conflict_do_nothing(index_elements=["gateway", "external_id"]).returning(*payments.c)
    return row_dict(await conn.fetch_one(q)) or None


async def assign_payment(conn: Conn, payment_id: int, order_id: int) -> dict[str, Any] | None:
    q = (update(payments).where(and_(payments.c.id == payment_id, payments.c.state == "unmatched"))
         .values(order_id=order_id, state="matched").returning(*payments.c))
    return row_dict(await conn.fetch_one(q)) or None


async def set_state(conn: Conn, payment_id: int, from_state: str, state: str, note: str) -> dict[str, Any] | None:
    """Conditional: only a payment still in `from_state` moves (two admins clicking at once: one wins)."""
    q = (update(payments).where(and_(payments.c.id == payment_id, payments.c.state == from_state))
         .values(state=state, note=note).returning(*payments.c))
    return row_dict(await conn.fetch_one(q)) or None


async def set_alt_id(conn: Conn, payment_id: int, alt_id: str) -> bool:
    q = (update(payments).where(and_(payments.c.id == payment_id, payments.c.alt_id.is_(None)))
         .values(alt_id=alt_id[:120]).returning(payments.c.id))
    return await conn.fetch_one(q) is not None


async def sum_for_order(conn: Conn, order_id: int) -> int:
    q = select(func.coalesce(func.sum(payments.c.amount_idr), 0)).where(
        and_(payments.c.order_id == order_id, payments.c.state.in_(ON_ORDER)))
    return int(await conn.fetch_val(q) or 0)


async def count_in_state(conn: Conn, order_id: int, state: str) -> int:
    q = select(func.count()).select_from(payments).where(
        and_(payments.c.order_id == order_id, payments.c.state == state))
    return int(await conn.fetch_val(q) or 0)


async def for_order(conn: Conn, order_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payments).where(payments.c.order_id == order_id).order_by(payments.c.id))
    return [row_dict(r) for r in rows]


async def get_payment(conn: Conn, payment_id: int) -> dict[str, Any] | None:
    return row_dict(await conn.fetch_one(select(payments).where(payments.c.id == payment_id))) or None


async def any_known_id(conn: Conn, gateway: str, ids: list[str]) -> bool:
    ids = [i[:120] for i in ids if i]
    if not ids:
        return False
    q = select(payments.c.id).where(and_(payments.c.gateway == gateway, or_(
        payments.c.external_id.in_(ids), payments.c.alt_id.in_(ids)))).limit(1)
    return await conn.fetch_one(q) is not None


async def unpaired_twin(conn: Conn, gateway: str, *, source: str, order_id: int | None, message: str,
                        amount_idr: int, at_ms: int, window_ms: int) -> int | None:
    """The id of a payment that is probably this one seen through the other channel (DESIGN §11).

    Same amount within ±window, recorded by the *other* channel (webhook vs. reconciliation) and not yet
    paired with an id from this one: two genuine payments of the same amount through one channel are never
    merged. With an order: a payment on that order; without one: a payment with the same message.
    """
    other = payments.c.source == "reconcile" if source != "reconcile" else payments.c.source != "reconcile"
    cond = and_(payments.c.gateway == gateway, other, payments.c.alt_id.is_(None),
                payments.c.amount_idr == amount_idr,
                payments.c.paid_at >= at_ms - window_ms, payments.c.paid_at <= at_ms + window_ms)
    cond = and_(cond, payments.c.order_id == order_id) if order_id is not None else \
        and_(cond, payments.c.message == message)
    row = await conn.fetch_one(select(payments.c.id).where(cond).order_by(payments.c.id).limit(1))
    return int(row.id) if row else None


# ---- Banyu's attention list ---------------------------------------------------------------------

async def unmatched(conn: Conn, limit: int = 100) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(payments).where(payments.c.state == "unmatched")
                                .order_by(payments.c.id.desc()).limit(limit))
    return [row_dict(r) for r in rows]


def _with_order() -> Any:
    return select(payments, orders.c.code.label("o_code"), orders.c.status.label("o_status"),
                  orders.c.amount_due_idr.label("o_due"), orders.c.amount_paid_idr.label("o_paid"),
                  orders.c.refund_owed_idr.label("o_refund_owed"), orders.c.refund_made_idr.label("o_refund_made"),
                  orders.c.flag.label("o_flag")).select_from(payments.join(orders, payments.c.order_id == orders.c.id))


async def on_closed_orders(conn: Conn, closed: list[str], limit: int = 100) -> list[dict[str, Any]]:
    """Payments still `matched` on expired / cancelled orders: money Banyu must refund or reopen by hand."""
    q = _with_order().where(and_(payments.c.state == "matched", orders.c.status.in_(closed)))
    return [row_dict(r) for r in await conn.fetch_all(q.order_by(payments.c.id.desc()).limit(limit))]


async def overpaid_orders(conn: Conn, closed: list[str], limit: int = 100) -> list[dict[str, Any]]:
    """Open orders paid beyond their total, not settled yet, each with its latest payment."""
    other = payments.alias("other")
    settled = exists().where(and_(other.c.order_id == orders.c.id, other.c.state.in_(SETTLED))).correlate(orders)
    latest = (select(func.max(other.c.id)).where(and_(other.c.order_id == orders.c.id, other.c.state == "matched"))
              .correlate(orders).scalar_subquery())
    q = _with_order().where(and_(
        payments.c.id == latest, orders.c.status.not_in(closed),
        orders.c.amount_paid_idr > orders.c.amount_due_idr + orders.c.refund_made_idr, ~settled))
    return [row_dict(r) for r in await conn.fetch_all(q.order_by(payments.c.id.desc()).limit(limit))]
