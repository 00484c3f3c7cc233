"""The outbox: a message is recorded (with an idempotency key) before it is sent, and sent by the worker.

Retry policy (apis/whatsapp.md): retry with back-off only when the request was certainly not queued
(`RETRY`); `FAILED` is permanent and shown to Banyu; `UNKNOWN` (read timeout after sending) is never
retried automatically — Banyu can resend. Delivery updates from status webhooks only move forward.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core.db import dialect_name
from core.interfaces import OutgoingMessage, SendOutcome, SendResult
from core.notifications import repo
from core.phone import mask
from core.timeutil import now_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_SECONDS = (5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 3600, 3600)
STUCK_AFTER_MS = 5 * 60_000
DELIVERY_ORDER = {"pending": 0, "waiting": 0, "processing": 1, "sent": 2, "delivered": 3, "read": 4,
                  "failed": 5, "invalid": 5, "expired": 5}


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._last_send: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def enqueue(self, *, channel: str, recipient: str, template: str, context: Mapping[str, Any],
                      key: str, kind: str = "", order_id: int | None = None,
                      params: tuple[str, ...] = ()) -> int | None:
        """Render and record a message once per `key`; queue its sending. None when the key exists."""
        store = self.store
        if channel not in store.notifiers or not recipient:
            return None
        body = store.templates.get_template(template).render(**context).strip()
        # Official-API backends send approved templates with positional parameters taken from the context.
        template_params = getattr(store.notifiers[channel], "template_params", None)
        if not params and callable(template_params):
            params = tuple(str(p) for p in template_params(kind or template, context))
        now = now_ms()
        message_id = await repo.insert(store.db, {
            "key": key[:200], "channel": channel, "recipient": recipient, "kind": kind or template,
            "body": body, "params_json": json.dumps(list(params)), "status": "pending", "attempts": 0,
            "next_attempt_at": now, "order_id": order_id, "created_at": now, "updated_at": now,
        }, sqlite=dialect_name(store.db) == "sqlite")
        if message_id is not None:
            store.jobs.send_message(message_id, 0)
        return message_id

    async def send(self, message_id: int) -> str | None:
        """Send one recorded message if it is still pending and due. Returns its new status."""
        store = self.store
        async with self._lock:  # one send at a time per process: throttling keeps the number safe
            row = await repo.claim(store.db, message_id, now_ms())
            if row is None:
                return None
            notifier = store.notifiers.get(row["channel"])
            if notifier is None:
                await repo.finish(store.db, message_id, {"status": "failed", "error": "channel not enabled",
                                                         "updated_at": now_ms()})
                return "failed"
            interval = float(getattr(notifier, "min_interval_seconds", 0) or 0)
            wait = self._last_send.get(row["channel"], 0.0) + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            msg = OutgoingMessage(recipient=row["recipient"], text=row["body"], template=row["kind"],
                                  params=tuple(json.loads(row["params_json"] or "[]")))
            try:
                result = await notifier.send(msg)
            except Exception as exc:  # a notifier bug is not a reason to resend blindly
                log.exception("notifier %s raised", row["channel"])
                result = SendResult(outcome=SendOutcome.UNKNOWN, error=f"error: {exc.__class__.__name__}")
            self._last_send[row["channel"]] = time.monotonic()
        return await self._record(row, result)

    async def _record(self, row: dict[str, Any], result: SendResult) -> str:
        store = self.store
        now = now_ms()
        values: dict[str, Any] = {"updated_at": now, "error": result.error or None}
        if result.outcome == SendOutcome.ACCEPTED and result.message_id:
            values.update(status="accepted", message_id=result.message_id, sent_at=now, delivery_status="sent")
        elif result.outcome == SendOutcome.RETRY and row["attempts"] < MAX_ATTEMPTS:
            delay = BACKOFF_SECONDS[min(row["attempts"] - 1, len(BACKOFF_SECONDS) - 1)]
            values.update(status="pending", next_attempt_at=now + delay * 1000)
            store.jobs.send_message(row["id"], delay)
        elif result.outcome == SendOutcome.UNKNOWN:
            values.update(status="unknown")
        else:
            values.update(status="failed")
        await repo.finish(store.db, row["id"], values)
        log.info("message %s (%s to %s): %s %s", row["id"], row["kind"], mask(row["recipient"]),
                 values["status"], result.error)
        return str(values["status"])

    async def send_due(self) -> int:
        store = self.store
        now = now_ms()
        for stuck in await repo.stuck_sending(store.db, now - STUCK_AFTER_MS):
            await repo.set_unknown(store.db, stuck, now)
        ids = await repo.due(store.db, now)
        for message_id in ids:
            await self.send(message_id)
        return len(ids)

    async def mark_delivery(self, channel: str, provider_message_id: str, status: str) -> bool:
        """Apply a delivery status from a webhook; forward-only (a late `sent` never undoes `read`)."""
        row = await repo.by_message_id(self.store.db, channel, str(provider_message_id))
        if row is None:
            return False
        status = str(status).lower()
        old = DELIVERY_ORDER.get(row["delivery_status"] or "pending", 0)
        if DELIVERY_ORDER.get(status, 0) > old:
            await repo.set_delivery(self.store.db, row["id"], status, now_ms())
            return True
        return False

    async def resend_last(self, order_id: int) -> int | None:
        rows = await repo.for_order(self.store.db, order_id)
        buyer = [r for r in rows if not r["kind"].startswith("owner")] or rows
        return await self.resend(buyer[-1]["id"]) if buyer else None

    async def resend(self, message_id: int) -> int | None:
        """Banyu's resend: a new outbox row with the same text (never a retry of the unknown one)."""
        store = self.store
        row = await repo.get(store.db, message_id)
        if row is None:
            return None
        now = now_ms()
        new_id = await repo.insert(store.db, {
            "key": f"{row['key'][:150]}:resend:{now}", "channel": row["channel"], "recipient": row["recipient"],
            "kind": row["kind"], "body": row["body"], "params_json": row["params_json"], "status": "pending",
            "attempts": 0, "next_attempt_at": now, "order_id": row["order_id"], "created_at": now,
            "updated_at": now}, sqlite=dialect_name(store.db) == "sqlite")
        if new_id:
            store.jobs.send_message(new_id, 0)
        return new_id

    async def for_order(self, order_id: int) -> list[dict[str, Any]]:
        return await repo.for_order(self.store.db, order_id)
