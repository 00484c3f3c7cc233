"""Refunds Banyu made, each with its own time and amount (the monthly report dates refunds by them)."""

from __future__ import annotations


def statements(dialect: str) -> list[str]:
    ident = "INTEGER PRIMARY KEY AUTOINCREMENT" if dialect == "sqlite" else "SERIAL PRIMARY KEY"
    return [
        "CREATE TABLE IF NOT EXISTS refunds ("
        f" id {ident},"
        " order_id INTEGER NOT NULL,"
        " payment_id INTEGER,"
        " amount_idr BIGINT NOT NULL,"
        " made_at BIGINT NOT NULL,"
        " actor VARCHAR(80) NOT NULL DEFAULT '',"
        " note TEXT NOT NULL DEFAULT '')",
        "CREATE INDEX IF NOT EXISTS ix_refunds_made_at ON refunds (made_at)",
        # Refunds recorded before this table existed: dated by the order's last update, as before.
        "INSERT INTO refunds (order_id, amount_idr, made_at, actor, note)"
        " SELECT id, refund_made_idr, updated_at, 'migration', '' FROM orders WHERE refund_made_idr > 0",
    ]
