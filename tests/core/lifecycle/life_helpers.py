"""Helpers of the order-lifecycle tests: put an order in any §3 status through the store's own paths, pay it
through the gateway's webhook parser, and snapshot what a refused action must leave untouched."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, update

from core.orders.states import Status
from core.store import Store
from core.tables import order_events, orders
from core.timeutil import now_ms
from tests.helpers import tip

ADMIN = {"Authorization": "Bearer test-admin-token"}
VIP_SIGN = hashlib.md5(b"test-vip-idtest-vip-key").hexdigest()
ML_TARGET = {"user_id": "12345678", "zone_id": "2001"}
ML_DUE = 24_000  # ML86-S24 sells at Rp 24.000 in the small catalog


async def new_order(store: Store, product: str = "ML86-S24", **target: str) -> dict[str, Any]:
    data = {"product": product, "whatsapp": "0812-3456-7890", **(target or ML_TARGET)}
    return await store.orders.create(data, "203.0.113.9")


async def pay(store: Store, code: str, amount: int, tx: str | None = None) -> str:
    """A Trakteer delivery for `code` through the gateway's parser and the core's ingest (the webhook path)."""
    raw = json.dumps(tip(code, amount, tx=tx)).encode()
    result = await store.payments.ingest_webhook(raw, store.gateway.parse_webhook(raw))
    return str(result["status"])


async def reload(store: Store, order: dict[str, Any] | int) -> dict[str, Any]:
    oid = order if isinstance(order, int) else order["id"]
    row = await store.db.fetch_one(select(orders).where(orders.c.id == oid))
    assert row is not None
    return dict(row._mapping)


async def events(store: Store, order_id: int) -> list[dict[str, Any]]:
    return await store.orders.timeline(order_id)


async def moves(store: Store, order_id: int) -> list[tuple[str | None, str | None]]:
    return [(e["from_status"], e["to_status"]) for e in await events(store, order_id) if e["to_status"]]


async def snapshot(store: Store, order_id: int) -> tuple[dict[str, Any], int]:
    """The order row and its timeline length: a refused action changes neither."""
    rows = await store.db.fetch_all(select(order_events.c.id).where(order_events.c.order_id == order_id))
    return await reload(store, order_id), len(rows)


async def set_columns(store: Store, order_id: int, **values: Any) -> None:
    """Time passes (expiry, claim age…): only clocks are moved this way, never statuses."""
    await store.db.execute(update(orders).where(orders.c.id == order_id).values(**values))


async def order_in(store: Store, status: str, fakes: Any, product: str = "ML86-S24",
                   **target: str) -> dict[str, Any]:
    """A fresh order in `status`, reached through the store's real paths (payments, Banyu, provider)."""
    order = await new_order(store, product, **target)
    code = order["code"]
    due = order["amount_due_idr"]
    if status == Status.AWAITING_PAYMENT:
        pass
    elif status == Status.UNDERPAID:
        await pay(store, code, due // 2)
    elif status == Status.EXPIRED:
        await set_columns(store, order["id"], expires_at=now_ms() - 1)
        assert await store.orders.expire_due() >= 1
    elif status == Status.CANCELLED:
        await store.orders.act(code, "cancel", "admin")
    else:
        await pay(store, code, due)
        if status == Status.ON_HOLD:
            await store.orders.act(code, "hold", "admin")
        elif status in (Status.PROCESSING, Status.SUCCESS, Status.FAILED):
            fakes.vip.auto_advance = False
            after = await store.orders.act(code, "send-now", "admin")
            fakes.vip.auto_advance = True
            assert after["status"] == Status.PROCESSING and after["provider_ref"], after
            if status != Status.PROCESSING:
                word, note = ("success", "SN-OK") if status == Status.SUCCESS else ("error", "Zone tujuan salah.")
                fakes.vip.set_status(after["provider_ref"], word, note)
                await store.fulfilment.poll(order["id"])
    after = await reload(store, order)
    assert after["status"] == status, (status, after["status"])
    return after


def callback_body(fakes: Any, trxid: str) -> str:
    return json.dumps(fakes.vip.callback_body(trxid))


def vip_headers(sign: str | None = VIP_SIGN) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if sign is not None:
        headers["X-Client-Signature"] = sign
    return headers


def record_alerts(store: Store) -> list[tuple[str, dict[str, Any], str]]:
    """Every owner alert the store raises (still delivered to the notifiers)."""
    alerts: list[tuple[str, dict[str, Any], str]] = []
    original = store.alert_owner

    async def alert(kind: str, context: dict[str, Any], key: str) -> None:
        alerts.append((kind, context, key))
        await original(kind, context, key)

    store.alert_owner = alert  # type: ignore[method-assign]
    return alerts


async def owner_messages(store: Store, kind: str) -> list[dict[str, Any]]:
    from core.tables import outbox

    rows = await store.db.fetch_all(select(outbox).where(outbox.c.kind == kind).order_by(outbox.c.id))
    return [dict(r._mapping) for r in rows]


async def claim_without_reply(store: Store, order_id: int, claimed_ago_ms: int) -> None:
    """A worker claimed the order and died before the provider's reply was stored."""
    from core.orders import repo

    moved = await repo.transition(store.db, order_id, to=Status.PROCESSING, trigger="claim", actor="system",
                                  from_statuses=[Status.PAID], reason="cooldown selesai",
                                  values={"claimed_at": now_ms() - claimed_ago_ms, "fulfil_at": None})
    assert moved is not None
