"""Banyu's markup overrides (`price_overrides`, see core/catalog/tables.py). Written out as frozen DDL so the
migration never changes when the Table definition later does."""

from __future__ import annotations


def statements(dialect: str) -> list[str]:
    ident = "INTEGER PRIMARY KEY AUTOINCREMENT" if dialect == "sqlite" else "SERIAL PRIMARY KEY"
    return [
        "CREATE TABLE IF NOT EXISTS price_overrides ("
        f" id {ident},"
        " product VARCHAR(80) NOT NULL DEFAULT '',"
        " brand VARCHAR(200) NOT NULL DEFAULT '',"
        " kind VARCHAR(20) NOT NULL DEFAULT '',"
        " percent_bp INTEGER NOT NULL,"
        " fixed_idr BIGINT NOT NULL DEFAULT 0,"
        " note TEXT NOT NULL DEFAULT '',"
        " created_at BIGINT NOT NULL,"
        " updated_at BIGINT NOT NULL,"
        " CONSTRAINT uq_price_overrides_selector UNIQUE (product, brand, kind))",
    ]
