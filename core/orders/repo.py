"""SQL for orders and their timeline. The only module that writes to `orders` / `order_events`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from databases import Database
from sqlalchemy import and_, case, func, insert, or_, select, update

from core.db import dialect_name, row_dict, write_transaction
from core.orders.states import Status, is_allowed
from core.tables import order_events, orders
from core.timeutil import now_ms

log = logging.getLogger(__name__)

Conn = Any  # databases.Database or databases.core.Connection


async def insert_order(conn: Conn, values: dict[str, Any]) -> dict[str, Any]:
    row = await conn.fetch_one(insert(orders).values(**values).returning(*orders.c))
    return row_dict(row)


async def get_by_code(conn: Conn, code: str) -> dict[str, Any] | None:
    row = await conn.fetch_one(select(orders).where(orders.c.code == code))
    return row_dict(row) or None


async def get(conn: Conn, order_id: int) -> dict[str, Any] | None:
    row = await conn.fetch_one(select(orders).where(orders.c.id == order_id))
    return row_dict(row) or None


async def get_for_update(conn: Conn, db: Database, order_id: int) -> dict[str, Any] | None:
    """Inside a write transaction: the order row, locked on PostgreSQL (SQLite holds the DB write lock)."""
    query = select(orders).where(orders.c.id == order_id)
    if dialect_name(db) == "postgresql":
        query = query.with_for_update()
    return row_dict(await conn.fetch_one(query)) or None


async def get_by_provider_ref(conn: Conn, reference: str) -> dict[str, Any] | None:
    row = await conn.fetch_one(select(orders).where(orders.c.provider_ref == reference))
    return row_dict(row) or None


async def add_event(conn: Conn, order_id: int, actor: str, frm: str | None, to: str | None,
                    reason: str = "", at: int | None = None) -> None:
    await conn.execute(insert(order_events).values(
        order_id=order_id, at=at or now_ms(), actor=actor, from_status=frm, to_status=to, reason=reason,
    ))


async def timeline(conn: Conn, order_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(
        select(order_events).where(order_events.c.order_id == order_id).order_by(order_events.c.id)
    )
    return [row_dict(r) for r in rows]


def unrefunded_paid() -> Any:
    """SQL for what the buyer paid and has not had back, read inside the UPDATE itself: a payment landing
    while an order is cancelled, expired or failed still counts in its refund owed."""
    owed = orders.c.amount_paid_idr - orders.c.refund_made_idr
    return case((owed > 0, owed), else_=0)


async def conditional_update(conn: Conn, order_id: int, from_statuses: Iterable[str],
                             values: dict[str, Any], extra: Any = None) -> dict[str, Any] | None:
    """`UPDATE orders SET … WHERE id = :id AND status IN (…) [AND extra] RETURNING *` — the race-safe claim."""
    cond = and_(orders.c.id == order_id, orders.c.status.in_(list(from_statuses)))
    if extra is not None:
        cond = and_(cond, extra)
    values = {**values, "updated_at": values.get("updated_at", now_ms())}
    row = await conn.fetch_one(update(orders).where(cond).values(**values).returning(*orders.c))
    return row_dict(row) or None


async def transition(db: Database, order_id: int, *, to: str, trigger: str, actor: str,
                     from_statuses: Iterable[str], reason: str = "", values: dict[str, Any] | None = None,
                     extra: Any = None, conn: Conn | None = None) -> tuple[dict[str, Any], str] | None:
    """Move one order through the state machine in one transaction: conditional update + timeline row.

    Returns (order after, previous status) or None when the order was not in `from_statuses` (someone else
    got there first, or the move is not allowed).
    """
    # Every move is checked against the DESIGN §3 table here, whatever the caller asked for.
    asked = [str(s) for s in from_statuses]
    from_statuses = [s for s in asked if is_allowed(s, to, trigger)]
    if len(from_statuses) != len(asked):
        log.error("transition %s -> %s by %r not in the state table for %s; refused for those",
                  sorted(set(asked) - set(from_statuses)), to, trigger, order_id)
    if not from_statuses:
        return None
    # The previous status is read under the row lock (PostgreSQL READ COMMITTED would otherwise let a
    # concurrent transition slip in between, and the timeline would show a move that never happened).
    query = select(orders.c.status).where(orders.c.id == order_id)
    if dialect_name(db) == "postgresql":
        query = query.with_for_update()

    async def run(c: Conn) -> tuple[dict[str, Any], str] | None:
        before = await c.fetch_one(query)
        if before is None:
            return None
        after = await conditional_update(c, order_id, from_statuses, {**(values or {}), "status": to}, extra)
        if after is None:
            return None
        await add_event(c, order_id, actor, before.status, to, reason)
        return after, str(before.status)

    if conn is not None:
        return await run(conn)
    async with write_transaction(db) as c:
        return await run(c)


async def list_orders(conn: Conn, *, status: str | None = None, before_id: int | None = None,
                      limit: int = 50, search: str | None = None,
                      created_from: int | None = None, created_to: int | None = None,
                      category: str | None = None) -> list[dict[str, Any]]:
    """Newest first, keyset-paginated on id (stays fast at a million rows)."""
    q = select(orders).order_by(orders.c.id.desc()).limit(limit)
    if status:
        q = q.where(orders.c.status == status)
    if before_id:
        q = q.where(orders.c.id < before_id)
    if category:
        q = q.where(orders.c.category_slug == category)
    if created_from is not None:
        q = q.where(orders.c.created_at >= created_from)
    if created_to is not None:
        q = q.where(orders.c.created_at < created_to)
    if search:
        s = search.strip()
        like = f"%{s}%"
        q = q.where(or_(orders.c.code == s.upper(), orders.c.whatsapp.like(like),
                        orders.c.target_json.like(like), orders.c.nickname.like(like)))
    return [row_dict(r) for r in await conn.fetch_all(q)]


# A flag that still lets the cooldown task and the sweep claim: the provider was unreachable, try again.
AUTO_RETRY_FLAG = "retry_later"


def claimable_flag() -> Any:
    """Automatic claims skip flagged orders (Banyu's or the balance watchdog's call), except retry_later."""
    return or_(orders.c.flag.is_(None), orders.c.flag == AUTO_RETRY_FLAG)


async def due_for_fulfilment(conn: Conn, now: int, limit: int = 100) -> list[int]:
    rows = await conn.fetch_all(
        select(orders.c.id).where(and_(orders.c.status == Status.PAID, orders.c.fulfil_at.is_not(None),
                                       orders.c.fulfil_at <= now, claimable_flag()))
        .order_by(orders.c.fulfil_at).limit(limit)
    )
    return [r.id for r in rows]


async def unsettled(conn: Conn, limit: int = 100) -> list[dict[str, Any]]:
    """Processing orders without a provider reference: an unknown reply, or a worker that died mid-call."""
    rows = await conn.fetch_all(
        select(orders.c.id, orders.c.claimed_at, orders.c.flag)
        .where(and_(orders.c.status == Status.PROCESSING, orders.c.provider_ref.is_(None)))
        .order_by(orders.c.id).limit(limit))
    return [row_dict(r) for r in rows]


async def polling(conn: Conn, limit: int = 500) -> list[dict[str, Any]]:
    """Processing orders with a provider reference, and where their status polling stands."""
    rows = await conn.fetch_all(
        select(orders.c.id, orders.c.claimed_at, orders.c.updated_at, orders.c.poll_count, orders.c.last_polled_at,
               orders.c.flag)
        .where(and_(orders.c.status == Status.PROCESSING, orders.c.provider_ref.is_not(None)))
        .order_by(orders.c.id).limit(limit))
    return [row_dict(r) for r in rows]


async def take_settle_turn(conn: Conn, order_id: int, now: int, min_gap_ms: int) -> dict[str, Any] | None:
    """One status lookup at a time for an order without a reference (one statement): two settle jobs firing
    together must not both decide — the second would no longer see the trxid the first just adopted."""
    return await conditional_update(conn, order_id, [Status.PROCESSING],
                                    {"last_polled_at": now, "updated_at": orders.c.updated_at},
                                    and_(orders.c.provider_ref.is_(None),
                                         or_(orders.c.last_polled_at.is_(None),
                                             orders.c.last_polled_at <= now - min_gap_ms)))


async def record_poll(conn: Conn, order_id: int, now: int) -> dict[str, Any] | None:
    """Count one status poll of a processing order (the back-off grows with the count); None when the
    order no longer waits for its provider."""
    return await conditional_update(conn, order_id, [Status.PROCESSING],
                                    {"poll_count": orders.c.poll_count + 1, "last_polled_at": now,
                                     "updated_at": orders.c.updated_at},  # a poll is not a change of the order
                                    orders.c.provider_ref.is_not(None))


async def release_deposit_flags(conn: Conn, balance_idr: int, schedule: bool = True) -> list[dict[str, Any]]:
    """`needs_deposit` orders the provider balance covers again: due now, or (manual mode) waiting for
    Banyu's confirm again. One statement; returns them."""
    now = now_ms()
    rows = await conn.fetch_all(
        update(orders).where(and_(orders.c.status == Status.PAID, orders.c.flag == "needs_deposit",
                                  orders.c.cost_estimate_idr <= balance_idr))
        .values(flag=None, fulfil_at=now if schedule else None, updated_at=now).returning(*orders.c))
    return [row_dict(r) for r in rows]


async def ids_by_status(conn: Conn, statuses: Iterable[str], limit: int = 200,
                        older_than: int | None = None, column: str = "created_at") -> list[int]:
    q = select(orders.c.id).where(orders.c.status.in_(list(statuses)))
    if older_than is not None:
        q = q.where(getattr(orders.c, column) < older_than)
    rows = await conn.fetch_all(q.order_by(orders.c.id).limit(limit))
    return [r.id for r in rows]


# The timeline row written when the provider takes an order; `known_provider_refs` reads the reference back.
ACCEPTED_PREFIX = "diterima provider: "


async def known_provider_refs(conn: Conn, limit: int = 500, order_id: int | None = None) -> frozenset[str]:
    """References a settle must not adopt: those other orders carry, and (with `order_id`) this order's own
    earlier attempts — after a retry its failed provider order is still in the provider's list."""
    rows = await conn.fetch_all(
        select(orders.c.provider_ref).where(orders.c.provider_ref.is_not(None))
        .order_by(orders.c.id.desc()).limit(limit)
    )
    refs = {r.provider_ref for r in rows}
    if order_id is not None:
        events = await conn.fetch_all(select(order_events.c.reason).where(and_(
            order_events.c.order_id == order_id, order_events.c.actor == "provider",
            order_events.c.reason.like(ACCEPTED_PREFIX + "%"))))  # bound: databases mangles a literal %
        refs.update(e.reason[len(ACCEPTED_PREFIX):].split(" ", 1)[0] for e in events)
    return frozenset(refs)


async def recent_unpaid_for_whatsapp(conn: Conn, whatsapp: str, since: int) -> int:
    """Unpaid orders created for one WhatsApp number since `since` (a per-recipient spam brake)."""
    q = select(func.count()).select_from(orders).where(and_(
        orders.c.whatsapp == whatsapp, orders.c.created_at >= since,
        orders.c.status == Status.AWAITING_PAYMENT))
    return int(await conn.fetch_val(q) or 0)
