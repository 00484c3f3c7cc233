"""Database access: `databases` over SQLite (aiosqlite) or PostgreSQL (asyncpg).

Rules (STYLE.md): races are made safe with single statements (`UPDATE … WHERE status = … RETURNING`,
`INSERT … ON CONFLICT DO NOTHING RETURNING`); multi-statement writes go through `write_transaction`, which
on SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so concurrent writers queue on the busy timeout
instead of failing with "database is locked" at commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from databases import Database
from databases.core import Connection

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_database(url: str) -> Database:
    if is_sqlite(url):
        path = url.split(":///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                pass  # reported when the database is first used
        return Database(url, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return Database(url, min_size=1, max_size=20)


def dialect_name(db: Database) -> str:
    return "sqlite" if is_sqlite(str(db.url)) else "postgresql"


@contextlib.asynccontextmanager
async def write_transaction(db: Database) -> AsyncIterator[Connection]:
    """A read-write transaction on this task's connection; the write lock is taken at BEGIN on SQLite."""
    async with db.connection() as conn:
        if dialect_name(db) == "sqlite":
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")
        else:
            async with conn.transaction():
                yield conn


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping) if row is not None else {}
