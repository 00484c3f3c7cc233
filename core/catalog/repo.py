"""SQL for categories, products and price changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update

from core.db import row_dict
from core.tables import categories, price_changes, products

Conn = Any

# What buyers may see: enabled, not a login product. Items under the margin floor are listed as unavailable.
PUBLIC = and_(products.c.is_enabled.is_(True), products.c.is_login.is_(False))
SELLABLE = and_(products.c.is_available.is_(True), products.c.is_below_floor.is_(False))


async def fingerprints(conn: Conn) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch_all(select(products.c.code, products.c.fingerprint, products.c.cost_idr,
                                       products.c.price_idr, products.c.is_below_floor))
    return {r.code: row_dict(r) for r in rows}


async def insert_products(conn: Conn, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute_many(insert(products), rows)


async def update_product(conn: Conn, code: str, values: dict[str, Any]) -> None:
    await conn.execute(update(products).where(products.c.code == code).values(**values))


async def log_price_changes(conn: Conn, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute_many(insert(price_changes), rows)


async def category_map(conn: Conn) -> dict[str, dict[str, Any]]:
    return {r.slug: row_dict(r) for r in await conn.fetch_all(select(categories))}


async def upsert_category(conn: Conn, values: dict[str, Any], exists: bool) -> None:
    if exists:
        slug = values["slug"]
        await conn.execute(update(categories).where(categories.c.slug == slug)
                           .values(**{k: v for k, v in values.items() if k != "slug"}))
    else:
        await conn.execute(insert(categories).values(**values))


async def delete_products(conn: Conn, codes: list[str]) -> None:
    if codes:
        await conn.execute(delete(products).where(products.c.code.in_(codes)))


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


async def product_count(conn: Conn) -> int:
    return int(await conn.fetch_val(select(func.count()).select_from(products)) or 0)
