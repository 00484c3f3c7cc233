"""SQLAlchemy Core tables. Amounts are BigInteger Rupiah (`*_idr`); times are epoch ms (`*_at`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


categories = Table(
    "categories", metadata,
    Column("slug", String(120), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("section", String(40), nullable=False),
    Column("fields_json", Text, nullable=False),
    Column("nickname_code", String(60)),
    Column("product_count", Integer, nullable=False, default=0),
    Column("available_count", Integer, nullable=False, default=0),
    Column("is_enabled", Boolean, nullable=False, default=True),
    Column("updated_at", BigInteger, nullable=False),
)

products = Table(
    "products", metadata,
    Column("code", String(80), primary_key=True),
    Column("category_slug", String(120), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("section", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("group_name", String(60), nullable=False, default=""),
    Column("sort_key", BigInteger, nullable=False, default=0),
    Column("cost_idr", BigInteger, nullable=False),
    Column("price_idr", BigInteger, nullable=False),
    Column("is_available", Boolean, nullable=False),
    Column("is_enabled", Boolean, nullable=False, default=True),
    Column("is_login", Boolean, nullable=False, default=False),
    Column("is_below_floor", Boolean, nullable=False, default=False),
    Column("note", Text, nullable=False, default=""),
    Column("fingerprint", String(64), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

price_changes = Table(
    "price_changes", metadata,
    _id(),
    Column("product_code", String(80), nullable=False, index=True),
    Column("old_cost_idr", BigInteger),
    Column("new_cost_idr", BigInteger, nullable=False),
    Column("old_price_idr", BigInteger),
    Column("new_price_idr", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),
)

orders = Table(
    "orders", metadata,
    _id(),
    Column("code", String(16), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("flag", String(32)),
    Column("product_code", String(80), nullable=False),
    Column("product_name", String(300), nullable=False),
    Column("category_slug", String(120), nullable=False),
    Column("category_name", String(200), nullable=False),
    Column("section", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("target_json", Text, nullable=False),
    Column("nickname", String(120)),
    Column("whatsapp", String(20), nullable=False),
    Column("amount_due_idr", BigInteger, nullable=False),
    Column("amount_paid_idr", BigInteger, nullable=False, default=0),
    Column("cost_estimate_idr", BigInteger, nullable=False),
    Column("refund_owed_idr", BigInteger, nullable=False, default=0),
    Column("refund_made_idr", BigInteger, nullable=False, default=0),
    Column("fulfil_at", BigInteger),
    Column("expires_at", BigInteger, nullable=False),
    Column("claimed_at", BigInteger),
    Column("provider_ref", String(80), unique=True),
    Column("provider_status", String(30)),
    Column("provider_note", Text),
    Column("provider_cost_idr", BigInteger),
    Column("provider_reply", Text),
    Column("poll_count", Integer, nullable=False, default=0),
    Column("last_polled_at", BigInteger),
    Column("note", Text, nullable=False, default=""),
    Column("client_ip", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
Index("ix_orders_status_fulfil", orders.c.status, orders.c.fulfil_at)
Index("ix_orders_created", orders.c.created_at)

order_events = Table(
    "order_events", metadata,
    _id(),
    Column("order_id", Integer, nullable=False, index=True),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(40), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20)),
    Column("reason", Text, nullable=False, default=""),
)

payment_events = Table(
    "payment_events", metadata,
    _id(),
    Column("gateway", String(40), nullable=False),
    Column("external_id", String(120), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("processed_at", BigInteger),
    Column("error", Text),
    UniqueConstraint("gateway", "external_id", name="uq_payment_events_ext"),
)

payments = Table(
    "payments", metadata,
    _id(),
    Column("gateway", String(40), nullable=False),
    Column("external_id", String(120), nullable=False),
    Column("alt_id", String(120)),
    Column("order_id", Integer, index=True),
    Column("amount_idr", BigInteger, nullable=False),
    Column("net_amount_idr", BigInteger),
    Column("fee_idr", BigInteger, nullable=False),
    Column("is_fee_estimated", Boolean, nullable=False),
    Column("quantity", Integer),
    Column("payer_name", String(200), nullable=False, default=""),
    Column("message", Text, nullable=False, default=""),
    Column("source", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("paid_at", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    UniqueConstraint("gateway", "external_id", name="uq_payments_ext"),
)

provider_callbacks = Table(
    "provider_callbacks", metadata,
    _id(),
    Column("provider", String(40), nullable=False),
    Column("reference", String(80), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("cost_idr", BigInteger),
    Column("body", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("applied_at", BigInteger),
)

outbox = Table(
    "outbox", metadata,
    _id(),
    Column("key", String(200), nullable=False, unique=True),
    Column("channel", String(40), nullable=False),
    Column("recipient", String(40), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("body", Text, nullable=False),
    Column("params_json", Text, nullable=False, default="[]"),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("message_id", String(200), index=True),
    Column("delivery_status", String(30)),
    Column("error", Text),
    Column("order_id", Integer, index=True),
    Column("created_at", BigInteger, nullable=False),
    Column("sent_at", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
)
Index("ix_outbox_status_next", outbox.c.status, outbox.c.next_attempt_at)

deposits = Table(
    "deposits", metadata,
    _id(),
    Column("amount_idr", BigInteger, nullable=False),
    Column("method", String(40), nullable=False),
    Column("fee_idr", BigInteger, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("deposited_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(80), nullable=False, default=""),
)

admins = Table(
    "admins", metadata,
    _id(),
    Column("username", String(80), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

refunds = Table(
    "refunds", metadata,
    _id(),
    Column("order_id", Integer, nullable=False),
    Column("payment_id", Integer),
    Column("amount_idr", BigInteger, nullable=False),
    Column("made_at", BigInteger, nullable=False, index=True),
    Column("actor", String(80), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
)

kv = Table(
    "kv", metadata,
    Column("key", String(120), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)
