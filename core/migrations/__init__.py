"""Numbered migrations. Each module `mNNNN_<name>.py` defines `statements(dialect) -> list[str]`.

`migrate(db)` applies the ones not yet recorded in `schema_migrations`, each in its own transaction, and is
safe to run from several processes at once (an advisory lock on PostgreSQL; on SQLite the version row is
checked inside a write transaction).
A migration, once released, is never edited: schema changes are new modules.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

from databases import Database

from core.db import dialect_name, write_transaction
from core.timeutil import now_ms

log = logging.getLogger(__name__)


def _modules() -> list[tuple[int, str]]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            found.append((int(info.name[1:5]), info.name))
    return sorted(found)


MIGRATION_LOCK = 7_245_310  # PostgreSQL advisory lock id: one migrator at a time across processes


async def migrate(db: Database) -> list[str]:
    if dialect_name(db) != "postgresql":
        return await _migrate(db)
    async with db.connection() as conn:
        await conn.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        try:
            return await _migrate(db)
        finally:
            await conn.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")


async def _migrate(db: Database) -> list[str]:
    dialect = dialect_name(db)
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL,"
        " applied_at BIGINT NOT NULL)"
    )
    if dialect == "sqlite":
        await db.execute("PRAGMA journal_mode=WAL")
    applied = []
    for version, name in _modules():
        async with write_transaction(db) as conn:
            row = await conn.fetch_one(
                "SELECT version FROM schema_migrations WHERE version = :v", {"v": version}
            )
            if row is not None:
                continue
            module = importlib.import_module(f"{__name__}.{name}")
            for statement in module.statements(dialect):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)",
                {"v": version, "n": name, "t": now_ms()},
            )
            applied.append(name)
            log.info("applied migration %s", name)
    return applied
