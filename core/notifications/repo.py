"""SQL for the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, cast, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.db import row_dict
from core.tables import orders, outbox

Conn = Any


async def insert(conn: Conn, values: dict[str, Any], sqlite: bool) -> int | None:
    ins = (sqlite_insert if sqlite else pg_insert)(outbox).values(**values)
    row = await conn.fetch_one(ins.on_conflict_do_nothing(index_elements=["key"]).returning(outbox.c.id))
    return int(row.id) if row else None


async def claim(conn: Conn, message_id: int, now: int) -> dict[str, Any] | None:
    """pending -> sending, only if still pending and due: one sender per message."""
    q = (update(outbox).where(and_(outbox.c.id == message_id, outbox.c.status == "pending",
                                   outbox.c.next_attempt_at <= now))
         .values(status="sending", attempts=outbox.c.attempts + 1, updated_at=now).returning(*outbox.c))
    return row_dict(await conn.fetch_one(q)) or None


async def finish(conn: Conn, message_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(outbox).where(and_(outbox.c.id == message_id, outbox.c.status == "sending"))
                       .values(**values))


async def due(conn: Conn, now: int, limit: int = 50) -> list[int]:
    rows = await conn.fetch_all(select(outbox.c.id).where(and_(outbox.c.status == "pending",
                                                               outbox.c.next_attempt_at <= now))
                                .order_by(outbox.c.id).limit(limit))
    return [r.id for r in rows]


async def stuck_sending(conn: Conn, older_than: int) -> list[int]:
    rows = await conn.fetch_all(select(outbox.c.id).where(and_(outbox.c.status == "sending",
                                                               outbox.c.updated_at < older_than)))
    return [r.id for r in rows]


async def set_unknown(conn: Conn, message_id: int, now: int) -> None:
    await conn.execute(update(outbox).where(and_(outbox.c.id == message_id, outbox.c.status == "sending"))
                       .values(status="unknown", error="worker stopped while sending", updated_at=now))


async def advance_delivery(conn: Conn, channel: str, provider_id: str, status: str, lower: list[str],
                           now: int) -> bool:
    """Set delivery_status only over a lower-ranked one: forward-only even when webhooks race."""
    q = (update(outbox)
         .where(and_(outbox.c.channel == channel, outbox.c.message_id == provider_id,
                     or_(outbox.c.delivery_status.is_(None), outbox.c.delivery_status.in_(lower))))
         .values(delivery_status=status, updated_at=now).returning(outbox.c.id))
    return await conn.fetch_one(q) is not None


async def make_due(conn: Conn, message_id: int, now: int) -> None:
    await conn.execute(update(outbox).where(and_(outbox.c.id == message_id, outbox.c.status == "pending"))
                       .values(next_attempt_at=now, updated_at=now))


async def for_order(conn: Conn, order_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(outbox).where(outbox.c.order_id == order_id).order_by(outbox.c.id))
    return [row_dict(r) for r in rows]


async def get(conn: Conn, message_id: int) -> dict[str, Any] | None:
    return row_dict(await conn.fetch_one(select(outbox).where(outbox.c.id == message_id))) or None


async def get_by_key(conn: Conn, key: str) -> dict[str, Any] | None:
    return row_dict(await conn.fetch_one(select(outbox).where(outbox.c.key == key))) or None


async def ids_by_keys(conn: Conn, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = await conn.fetch_all(select(outbox.c.key, outbox.c.id).where(outbox.c.key.in_(keys)))
    return {r.key: int(r.id) for r in rows}


async def failures(conn: Conn, statuses: tuple[str, ...], delivery_failures: tuple[str, ...],
                   limit: int) -> list[dict[str, Any]]:
    """Failed / unknown sends and accepted messages reported undeliverable, newest first, with order code."""
    q = (select(outbox, orders.c.code.label("order_code"))
         .select_from(outbox.outerjoin(orders, orders.c.id == outbox.c.order_id))
         .where(or_(outbox.c.status.in_(statuses), outbox.c.delivery_status.in_(delivery_failures)))
         .order_by(outbox.c.id.desc()).limit(limit))
    return [row_dict(r) for r in await conn.fetch_all(q)]


async def log_page(conn: Conn, *, status: str | None = None, before_id: int | None = None,
                   limit: int = 50) -> list[dict[str, Any]]:
    """The admin's message log: newest first with the order code, keyset-paginated on id (`before_id`)."""
    q = (select(outbox, orders.c.code.label("order_code"))
         .select_from(outbox.outerjoin(orders, orders.c.id == outbox.c.order_id))
         .order_by(outbox.c.id.desc()).limit(limit))
    if status:
        q = q.where(outbox.c.status == status)
    if before_id is not None:
        q = q.where(outbox.c.id < before_id)
    return [row_dict(r) for r in await conn.fetch_all(q)]


async def bodies(conn: Conn, ids: list[int]) -> dict[int, str]:
    """Message texts by id (the failures list leaves them out)."""
    if not ids:
        return {}
    rows = await conn.fetch_all(select(outbox.c.id, outbox.c.body).where(outbox.c.id.in_(ids)))
    return {int(r.id): r.body for r in rows}


async def count_unresolved_failures(conn: Conn, statuses: tuple[str, ...], delivery_failures: tuple[str, ...],
                                    since: int) -> int:
    """Failures since `since` (epoch ms) that have no resend copy yet (`resend:<id>` key): what is left to do."""
    copy = outbox.alias("copy")
    has_copy = select(copy.c.id).where(copy.c.key == literal("resend:") + cast(outbox.c.id, String)).exists()
    q = (select(func.count()).select_from(outbox)
         .where(and_(or_(outbox.c.status.in_(statuses), outbox.c.delivery_status.in_(delivery_failures)),
                     outbox.c.created_at >= since, ~has_copy)))
    return int(await conn.fetch_val(q) or 0)
