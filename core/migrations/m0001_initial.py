"""The initial schema, frozen as literal DDL for each dialect.

Generated once from `core.tables` as it stood at this migration; it never changes when the Table definitions
later do (schema changes are new numbered migrations).
"""

from __future__ import annotations

SQLITE = [
    'CREATE TABLE admins ( id INTEGER NOT NULL, username VARCHAR(80) NOT NULL, password_hash VARCHAR(300) NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (id), UNIQUE (username) )',
    'CREATE TABLE categories ( slug VARCHAR(120) NOT NULL, name VARCHAR(200) NOT NULL, kind VARCHAR(20) NOT NULL, section VARCHAR(40) NOT NULL, fields_json TEXT NOT NULL, nickname_code VARCHAR(60), product_count INTEGER NOT NULL, available_count INTEGER NOT NULL, is_enabled BOOLEAN NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (slug) )',
    'CREATE TABLE deposits ( id INTEGER NOT NULL, amount_idr BIGINT NOT NULL, method VARCHAR(40) NOT NULL, fee_idr BIGINT NOT NULL, note TEXT NOT NULL, deposited_at BIGINT NOT NULL, created_at BIGINT NOT NULL, created_by VARCHAR(80) NOT NULL, PRIMARY KEY (id) )',
    'CREATE TABLE kv ( "key" VARCHAR(120) NOT NULL, value TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY ("key") )',
    'CREATE TABLE order_events ( id INTEGER NOT NULL, order_id INTEGER NOT NULL, at BIGINT NOT NULL, actor VARCHAR(40) NOT NULL, from_status VARCHAR(20), to_status VARCHAR(20), reason TEXT NOT NULL, PRIMARY KEY (id) )',
    'CREATE INDEX ix_order_events_order_id ON order_events (order_id)',
    'CREATE TABLE orders ( id INTEGER NOT NULL, code VARCHAR(16) NOT NULL, status VARCHAR(20) NOT NULL, flag VARCHAR(32), product_code VARCHAR(80) NOT NULL, product_name VARCHAR(300) NOT NULL, category_slug VARCHAR(120) NOT NULL, category_name VARCHAR(200) NOT NULL, section VARCHAR(40) NOT NULL, kind VARCHAR(20) NOT NULL, target_json TEXT NOT NULL, nickname VARCHAR(120), whatsapp VARCHAR(20) NOT NULL, amount_due_idr BIGINT NOT NULL, amount_paid_idr BIGINT NOT NULL, cost_estimate_idr BIGINT NOT NULL, refund_owed_idr BIGINT NOT NULL, refund_made_idr BIGINT NOT NULL, fulfil_at BIGINT, expires_at BIGINT NOT NULL, claimed_at BIGINT, provider_ref VARCHAR(80), provider_status VARCHAR(30), provider_note TEXT, provider_cost_idr BIGINT, provider_reply TEXT, poll_count INTEGER NOT NULL, last_polled_at BIGINT, note TEXT NOT NULL, client_ip VARCHAR(64), created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (id), UNIQUE (code), UNIQUE (provider_ref) )',
    'CREATE INDEX ix_orders_status_fulfil ON orders (status, fulfil_at)',
    'CREATE INDEX ix_orders_created ON orders (created_at)',
    'CREATE TABLE outbox ( id INTEGER NOT NULL, "key" VARCHAR(200) NOT NULL, channel VARCHAR(40) NOT NULL, recipient VARCHAR(40) NOT NULL, kind VARCHAR(60) NOT NULL, body TEXT NOT NULL, params_json TEXT NOT NULL, status VARCHAR(20) NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, message_id VARCHAR(200), delivery_status VARCHAR(30), error TEXT, order_id INTEGER, created_at BIGINT NOT NULL, sent_at BIGINT, updated_at BIGINT NOT NULL, PRIMARY KEY (id), UNIQUE ("key") )',
    'CREATE INDEX ix_outbox_status_next ON outbox (status, next_attempt_at)',
    'CREATE INDEX ix_outbox_order_id ON outbox (order_id)',
    'CREATE INDEX ix_outbox_message_id ON outbox (message_id)',
    'CREATE TABLE payment_events ( id INTEGER NOT NULL, gateway VARCHAR(40) NOT NULL, external_id VARCHAR(120) NOT NULL, kind VARCHAR(20) NOT NULL, body TEXT NOT NULL, received_at BIGINT NOT NULL, processed_at BIGINT, error TEXT, PRIMARY KEY (id), CONSTRAINT uq_payment_events_ext UNIQUE (gateway, external_id) )',
    'CREATE TABLE payments ( id INTEGER NOT NULL, gateway VARCHAR(40) NOT NULL, external_id VARCHAR(120) NOT NULL, alt_id VARCHAR(120), order_id INTEGER, amount_idr BIGINT NOT NULL, net_amount_idr BIGINT, fee_idr BIGINT NOT NULL, is_fee_estimated BOOLEAN NOT NULL, quantity INTEGER, payer_name VARCHAR(200) NOT NULL, message TEXT NOT NULL, source VARCHAR(20) NOT NULL, state VARCHAR(20) NOT NULL, paid_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_payments_ext UNIQUE (gateway, external_id) )',
    'CREATE INDEX ix_payments_order_id ON payments (order_id)',
    'CREATE TABLE price_changes ( id INTEGER NOT NULL, product_code VARCHAR(80) NOT NULL, old_cost_idr BIGINT, new_cost_idr BIGINT NOT NULL, old_price_idr BIGINT, new_price_idr BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (id) )',
    'CREATE INDEX ix_price_changes_product_code ON price_changes (product_code)',
    'CREATE TABLE products ( code VARCHAR(80) NOT NULL, category_slug VARCHAR(120) NOT NULL, name VARCHAR(300) NOT NULL, section VARCHAR(40) NOT NULL, kind VARCHAR(20) NOT NULL, group_name VARCHAR(60) NOT NULL, sort_key BIGINT NOT NULL, cost_idr BIGINT NOT NULL, price_idr BIGINT NOT NULL, is_available BOOLEAN NOT NULL, is_enabled BOOLEAN NOT NULL, is_login BOOLEAN NOT NULL, is_below_floor BOOLEAN NOT NULL, note TEXT NOT NULL, fingerprint VARCHAR(64) NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (code) )',
    'CREATE INDEX ix_products_category_slug ON products (category_slug)',
    'CREATE TABLE provider_callbacks ( id INTEGER NOT NULL, provider VARCHAR(40) NOT NULL, reference VARCHAR(80) NOT NULL, status VARCHAR(20) NOT NULL, note TEXT NOT NULL, cost_idr BIGINT, body TEXT NOT NULL, received_at BIGINT NOT NULL, applied_at BIGINT, PRIMARY KEY (id) )',
    'CREATE INDEX ix_provider_callbacks_reference ON provider_callbacks (reference)',
]

POSTGRESQL = [
    'CREATE TABLE admins ( id SERIAL NOT NULL, username VARCHAR(80) NOT NULL, password_hash VARCHAR(300) NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (id), UNIQUE (username) )',
    'CREATE TABLE categories ( slug VARCHAR(120) NOT NULL, name VARCHAR(200) NOT NULL, kind VARCHAR(20) NOT NULL, section VARCHAR(40) NOT NULL, fields_json TEXT NOT NULL, nickname_code VARCHAR(60), product_count INTEGER NOT NULL, available_count INTEGER NOT NULL, is_enabled BOOLEAN NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (slug) )',
    'CREATE TABLE deposits ( id SERIAL NOT NULL, amount_idr BIGINT NOT NULL, method VARCHAR(40) NOT NULL, fee_idr BIGINT NOT NULL, note TEXT NOT NULL, deposited_at BIGINT NOT NULL, created_at BIGINT NOT NULL, created_by VARCHAR(80) NOT NULL, PRIMARY KEY (id) )',
    'CREATE TABLE kv ( key VARCHAR(120) NOT NULL, value TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (key) )',
    'CREATE TABLE order_events ( id SERIAL NOT NULL, order_id INTEGER NOT NULL, at BIGINT NOT NULL, actor VARCHAR(40) NOT NULL, from_status VARCHAR(20), to_status VARCHAR(20), reason TEXT NOT NULL, PRIMARY KEY (id) )',
    'CREATE INDEX ix_order_events_order_id ON order_events (order_id)',
    'CREATE TABLE orders ( id SERIAL NOT NULL, code VARCHAR(16) NOT NULL, status VARCHAR(20) NOT NULL, flag VARCHAR(32), product_code VARCHAR(80) NOT NULL, product_name VARCHAR(300) NOT NULL, category_slug VARCHAR(120) NOT NULL, category_name VARCHAR(200) NOT NULL, section VARCHAR(40) NOT NULL, kind VARCHAR(20) NOT NULL, target_json TEXT NOT NULL, nickname VARCHAR(120), whatsapp VARCHAR(20) NOT NULL, amount_due_idr BIGINT NOT NULL, amount_paid_idr BIGINT NOT NULL, cost_estimate_idr BIGINT NOT NULL, refund_owed_idr BIGINT NOT NULL, refund_made_idr BIGINT NOT NULL, fulfil_at BIGINT, expires_at BIGINT NOT NULL, claimed_at BIGINT, provider_ref VARCHAR(80), provider_status VARCHAR(30), provider_note TEXT, provider_cost_idr BIGINT, provider_reply TEXT, poll_count INTEGER NOT NULL, last_polled_at BIGINT, note TEXT NOT NULL, client_ip VARCHAR(64), created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (id), UNIQUE (code), UNIQUE (provider_ref) )',
    'CREATE INDEX ix_orders_status_fulfil ON orders (status, fulfil_at)',
    'CREATE INDEX ix_orders_created ON orders (created_at)',
    'CREATE TABLE outbox ( id SERIAL NOT NULL, key VARCHAR(200) NOT NULL, channel VARCHAR(40) NOT NULL, recipient VARCHAR(40) NOT NULL, kind VARCHAR(60) NOT NULL, body TEXT NOT NULL, params_json TEXT NOT NULL, status VARCHAR(20) NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, message_id VARCHAR(200), delivery_status VARCHAR(30), error TEXT, order_id INTEGER, created_at BIGINT NOT NULL, sent_at BIGINT, updated_at BIGINT NOT NULL, PRIMARY KEY (id), UNIQUE (key) )',
    'CREATE INDEX ix_outbox_status_next ON outbox (status, next_attempt_at)',
    'CREATE INDEX ix_outbox_order_id ON outbox (order_id)',
    'CREATE INDEX ix_outbox_message_id ON outbox (message_id)',
    'CREATE TABLE payment_events ( id SERIAL NOT NULL, gateway VARCHAR(40) NOT NULL, external_id VARCHAR(120) NOT NULL, kind VARCHAR(20) NOT NULL, body TEXT NOT NULL, received_at BIGINT NOT NULL, processed_at BIGINT, error TEXT, PRIMARY KEY (id), CONSTRAINT uq_payment_events_ext UNIQUE (gateway, external_id) )',
    'CREATE TABLE payments ( id SERIAL NOT NULL, gateway VARCHAR(40) NOT NULL, external_id VARCHAR(120) NOT NULL, alt_id VARCHAR(120), order_id INTEGER, amount_idr BIGINT NOT NULL, net_amount_idr BIGINT, fee_idr BIGINT NOT NULL, is_fee_estimated BOOLEAN NOT NULL, quantity INTEGER, payer_name VARCHAR(200) NOT NULL, message TEXT NOT NULL, source VARCHAR(20) NOT NULL, state VARCHAR(20) NOT NULL, paid_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_payments_ext UNIQUE (gateway, external_id) )',
    'CREATE INDEX ix_payments_order_id ON payments (order_id)',
    'CREATE TABLE price_changes ( id SERIAL NOT NULL, product_code VARCHAR(80) NOT NULL, old_cost_idr BIGINT, new_cost_idr BIGINT NOT NULL, old_price_idr BIGINT, new_price_idr BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (id) )',
    'CREATE INDEX ix_price_changes_product_code ON price_changes (product_code)',
    'CREATE TABLE products ( code VARCHAR(80) NOT NULL, category_slug VARCHAR(120) NOT NULL, name VARCHAR(300) NOT NULL, section VARCHAR(40) NOT NULL, kind VARCHAR(20) NOT NULL, group_name VARCHAR(60) NOT NULL, sort_key BIGINT NOT NULL, cost_idr BIGINT NOT NULL, price_idr BIGINT NOT NULL, is_available BOOLEAN NOT NULL, is_enabled BOOLEAN NOT NULL, is_login BOOLEAN NOT NULL, is_below_floor BOOLEAN NOT NULL, note TEXT NOT NULL, fingerprint VARCHAR(64) NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (code) )',
    'CREATE INDEX ix_products_category_slug ON products (category_slug)',
    'CREATE TABLE provider_callbacks ( id SERIAL NOT NULL, provider VARCHAR(40) NOT NULL, reference VARCHAR(80) NOT NULL, status VARCHAR(20) NOT NULL, note TEXT NOT NULL, cost_idr BIGINT, body TEXT NOT NULL, received_at BIGINT NOT NULL, applied_at BIGINT, PRIMARY KEY (id) )',
    'CREATE INDEX ix_provider_callbacks_reference ON provider_callbacks (reference)',
]


def statements(dialect: str) -> list[str]:
    return list(SQLITE if dialect == "sqlite" else POSTGRESQL)
