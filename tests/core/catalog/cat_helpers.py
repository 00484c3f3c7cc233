"""Helpers for the catalog tests: settings variants, a write counter, owner-alert recorder, HTTP client."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from core.settings import Settings
from core.store import Store
from tests.conftest import make_settings

WRITE_LOGGED = ("products", "categories", "price_changes", "price_overrides")
ML_SLUG = "mobile-legends-bang-bang"
ML_ORDER = {"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812-3456-7890"}


def settings_for(tmp_path: Path, *, unit: int | None = None, plugin: dict[str, dict[str, Any]] | None = None,
                 **over: Any) -> Settings:
    """`make_settings` plus a Trakteer unit price and extra plugin config keys."""
    s = make_settings(tmp_path, **over)
    config = {name: dict(values) for name, values in s.plugin_config.items()}
    if unit is not None:
        config["trakteer"]["unit_price_idr"] = str(unit)
    for name, extra in (plugin or {}).items():
        config.setdefault(name, {}).update(extra)
    return dataclasses.replace(s, plugin_config=MappingProxyType(
        {k: MappingProxyType(v) for k, v in config.items()}))


async def install_write_log(store: Store) -> None:
    """SQLite triggers that record every row written to the catalog tables, whatever the code path."""
    await store.db.execute("CREATE TABLE write_log (tbl TEXT NOT NULL, op TEXT NOT NULL)")
    for table in WRITE_LOGGED:
        for op in ("INSERT", "UPDATE", "DELETE"):
            await store.db.execute(
                f"CREATE TRIGGER wl_{table}_{op.lower()} AFTER {op} ON {table} "
                f"BEGIN INSERT INTO write_log (tbl, op) VALUES ('{table}', '{op.lower()}'); END")


async def writes(store: Store) -> dict[tuple[str, str], int]:
    rows = await store.db.fetch_all("SELECT tbl, op, COUNT(*) AS n FROM write_log GROUP BY tbl, op")
    return {(r["tbl"], r["op"]): int(r["n"]) for r in rows}


class AlertRecorder:
    """Replaces `store.alert_owner` (still calling through) and remembers each alert."""

    def __init__(self, store: Store) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self._original = store.alert_owner

        async def record(kind: str, context: dict[str, Any], key: str) -> None:
            self.calls.append((kind, context, key))
            await self._original(kind, context, key)

        store.alert_owner = record  # type: ignore[method-assign]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [ctx for k, ctx, _ in self.calls if k == kind]


def http_client(store: Store, ip: str = "203.0.113.9") -> httpx.AsyncClient:
    from core.app import create_app

    app = create_app(store.settings, store=store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 5555)), base_url="http://store.test")
