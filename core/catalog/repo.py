"""SQL for categories, products, price changes and Banyu's price overrides."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, select, update

from core.catalog.tables import price_overrides
from core.db import row_dict
from core.tables import categories, kv, price_changes, products

Conn = Any

VERSION_KEY = "catalog_version"  # kv: changes whenever what buyers see may have changed
REMOVED = "removed"  # the fingerprint of a product the provider no longer lists (kept: orders refer to it)

# What buyers may see: enabled, still listed, not a login product. Items under the margin floor are listed
# as unavailable.
PUBLIC = and_(products.c.is_enabled.is_(True), products.c.is_login.is_(False), products.c.fingerprint != REMOVED)
SELLABLE = and_(products.c.is_available.is_(True), products.c.is_below_floor.is_(False))

# Bound parameters per statement: SQLite ≥ 3.32 and asyncpg both take 32,766; older SQLite only 999.
MAX_PARAMS = 30_000 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


async def _raw_execute(conn: Conn, dialect: str, sql: str, params: list[Any]) -> None:
    raw = conn.raw_connection
    if dialect == "sqlite":
        cursor = await raw.execute(sql, params)
        await cursor.close()
    else:
        await raw.execute(sql, *params)


async def bulk_write(conn: Conn, dialect: str, table: Table, rows: Sequence[dict[str, Any]], *,
                     conflict: str | None = None, keep: tuple[str, ...] = ()) -> None:
    """Multi-row INSERT (one statement per chunk), or an upsert on `conflict` updating every column but
    `keep`. Straight to the driver: SQLAlchemy compiling 16,000 bind parameters costs more than the write."""
    if not rows:
        return
    cols = list(rows[0])
    per_chunk = max(1, min(1000, MAX_PARAMS // len(cols)))
    tail = ""
    if conflict:
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c != conflict and c not in keep)
        tail = f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    head = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES "
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start:start + per_chunk]
        if dialect == "sqlite":
            one = "(" + ", ".join("?" * len(cols)) + ")"
            values = ", ".join([one] * len(chunk))
        else:
            n = len(cols)
            values = ", ".join("(" + ", ".join(f"${i * n + j + 1}" for j in range(n)) + ")"
                               for i in range(len(chunk)))
        params = [row[c] for row in chunk for c in cols]
        await _raw_execute(conn, dialect, head + values + tail, params)


async def touch(conn: Conn) -> None:
    """Record that what buyers see changed (page caches compare this stamp). Call after any catalog write;
    the same SQL runs on SQLite (≥ 3.24) and PostgreSQL."""
    now = int(time.time() * 1000)
    await conn.execute(
        'INSERT INTO kv ("key", value, updated_at) VALUES (:k, :v, :t) '
        'ON CONFLICT ("key") DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
        {"k": VERSION_KEY, "v": f"{now}-{uuid.uuid4().hex[:12]}", "t": now})


async def version(conn: Conn) -> str | None:
    value = await conn.fetch_val(select(kv.c.value).where(kv.c.key == VERSION_KEY))
    return str(value) if value is not None else None


async def fingerprints(conn: Conn) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch_all(select(products.c.code, products.c.fingerprint, products.c.cost_idr,
                                       products.c.price_idr, products.c.is_below_floor))
    return {r.code: row_dict(r) for r in rows}


async def upsert_products(conn: Conn, dialect: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new products and rewrite changed ones; Banyu's enable / disable switch is never overwritten."""
    await bulk_write(conn, dialect, products, rows, conflict="code", keep=("is_enabled",))


async def mark_removed(conn: Conn, codes: list[str], now: int) -> None:
    for start in range(0, len(codes), 500):
        await conn.execute(update(products).where(products.c.code.in_(codes[start:start + 500]))
                           .values(is_available=False, fingerprint=REMOVED, updated_at=now))


async def log_price_changes(conn: Conn, dialect: str, rows: Sequence[dict[str, Any]]) -> None:
    await bulk_write(conn, dialect, price_changes, rows)


async def category_map(conn: Conn) -> dict[str, dict[str, Any]]:
    return {r.slug: row_dict(r) for r in await conn.fetch_all(select(categories))}


async def upsert_category(conn: Conn, values: dict[str, Any], exists: bool) -> None:
    if exists:
        slug = values["slug"]
        await conn.execute(update(categories).where(categories.c.slug == slug)
                           .values(**{k: v for k, v in values.items() if k != "slug"}))
    else:
        await conn.execute(insert(categories).values(**values))


async def public_counts(conn: Conn) -> dict[str, tuple[int, int]]:
    """slug -> (listed products, available products), counting only what buyers can see."""
    q = (select(products.c.category_slug, func.count(),
                func.count().filter(SELLABLE))
         .where(PUBLIC).group_by(products.c.category_slug))
    return {r[0]: (int(r[1]), int(r[2] or 0)) for r in await conn.fetch_all(q)}


async def list_categories(conn: Conn) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(categories).where(categories.c.is_enabled.is_(True))
                                .order_by(categories.c.name))
    return [row_dict(r) for r in rows]


async def get_category(conn: Conn, slug: str) -> dict[str, Any] | None:
    return row_dict(await conn.fetch_one(select(categories).where(categories.c.slug == slug))) or None


async def category_products(conn: Conn, slug: str, *, public_only: bool = True) -> list[dict[str, Any]]:
    q = select(products).where(products.c.category_slug == slug)
    if public_only:
        q = q.where(PUBLIC)
    rows = await conn.fetch_all(q.order_by(products.c.group_name, products.c.price_idr, products.c.code))
    return [row_dict(r) for r in rows]


async def get_product(conn: Conn, code: str) -> dict[str, Any] | None:
    return row_dict(await conn.fetch_one(select(products).where(products.c.code == code))) or None


async def set_enabled(conn: Conn, code: str, enabled: bool) -> None:
    await conn.execute(update(products).where(products.c.code == code).values(is_enabled=enabled))
    await touch(conn)


async def product_count(conn: Conn) -> int:
    return int(await conn.fetch_val(select(func.count()).select_from(products)) or 0)


async def below_floor_count(conn: Conn) -> int:
    q = select(func.count()).select_from(products).where(and_(products.c.is_below_floor.is_(True),
                                                              products.c.fingerprint != REMOVED))
    return int(await conn.fetch_val(q) or 0)


async def priced_products(conn: Conn) -> list[dict[str, Any]]:
    """Every listed product with its category's name (what the markup rules match on)."""
    q = (select(products, categories.c.name.label("category_name"))
         .select_from(products.join(categories, categories.c.slug == products.c.category_slug))
         .where(products.c.fingerprint != REMOVED))
    return [row_dict(r) for r in await conn.fetch_all(q)]


# ---- Banyu's price overrides ----------------------------------------------------------------------

async def list_overrides(conn: Conn) -> list[dict[str, Any]]:
    rows = await conn.fetch_all(select(price_overrides).order_by(price_overrides.c.id))
    return [row_dict(r) for r in rows]


async def get_override(conn: Conn, override_id: int) -> dict[str, Any] | None:
    q = select(price_overrides).where(price_overrides.c.id == override_id)
    return row_dict(await conn.fetch_one(q)) or None


async def save_override(conn: Conn, values: dict[str, Any], now: int) -> int:
    """One override per selector (product, brand, kind): a second save with the same selector replaces it."""
    sel = and_(price_overrides.c.product == values["product"], price_overrides.c.brand == values["brand"],
               price_overrides.c.kind == values["kind"])
    found = await conn.fetch_val(select(price_overrides.c.id).where(sel))
    if found is not None:
        await conn.execute(update(price_overrides).where(price_overrides.c.id == found)
                           .values(percent_bp=values["percent_bp"], fixed_idr=values["fixed_idr"],
                                   note=values["note"], updated_at=now))
        return int(found)
    await conn.execute(insert(price_overrides).values(**values, created_at=now, updated_at=now))
    return int(await conn.fetch_val(select(price_overrides.c.id).where(sel)))


async def delete_override(conn: Conn, override_id: int) -> bool:
    if await get_override(conn, override_id) is None:
        return False
    await conn.execute(delete(price_overrides).where(price_overrides.c.id == override_id))
    return True
