"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL, and run twice safely."""

from __future__ import annotations

import asyncio

from core.catalog import tables as catalog_tables
from core.db import make_database
from core.migrations import migrate
from core.tables import metadata


async def _columns(db, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    if str(db.url).startswith("sqlite"):
        rows = await db.fetch_all(f"PRAGMA table_info({table})")
        return {r[1] for r in rows}
    rows = await db.fetch_all("SELECT column_name FROM information_schema.columns WHERE table_name = :t",
                              {"t": table})
    return {r[0] for r in rows}


async def test_migrated_schema_matches_the_declared_tables(database_url: str) -> None:
    db = make_database(database_url)
    await db.connect()
    try:
        first = await migrate(db)
        assert first[0] == "m0001_initial" and len(first) >= 2
        assert await migrate(db) == []  # up to date: nothing applied twice
        declared = list(metadata.sorted_tables) + [t for t in catalog_tables.__dict__.values()
                                                   if hasattr(t, "columns") and hasattr(t, "name")]
        for table in declared:
            assert await _columns(db, table.name) == {c.name for c in table.columns}, table.name
    finally:
        await db.disconnect()


async def test_concurrent_migrators_do_not_collide(database_url: str) -> None:
    dbs = [make_database(database_url) for _ in range(3)]
    for db in dbs:
        await db.connect()
    try:
        results = await asyncio.gather(*(migrate(db) for db in dbs))
        applied = [name for r in results for name in r]
        assert sorted(applied) == sorted(set(applied))  # each migration applied by exactly one runner
    finally:
        for db in dbs:
            await db.disconnect()
