"""The outbox: a message is recorded (with an idempotency key) before it is sent, and sent by the worker.

Retry policy (apis/whatsapp.md, DESIGN §11): retry with back-off only when the request was certainly not
queued (`RETRY`), at most MAX_ATTEMPTS sends; `FAILED` is permanent and shown to Banyu; `UNKNOWN` (read
timeout after sending) is never retried automatically — Banyu can resend, which makes a new row. A send
first claims its row (`pending` → `sending`, one conditional UPDATE), so a queued task, the sweep and a
second worker can race on one message and only one of them calls the gateway. Delivery updates from
status webhooks only move forward.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
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
# Delivery receipts, ranked: a status applies only over a lower rank. A failure outranks "sent" but not
# "delivered" / "read": once WhatsApp showed the message on the phone, a late failure report is noise.
DELIVERY_RANK = {"pending": 0, "waiting": 0, "processing": 1, "sent": 2, "failed": 3, "invalid": 3,
                 "expired": 3, "url unreachable": 3, "delivered": 4, "read": 5}
DELIVERY_FAILURES = ("failed", "invalid", "expired", "url unreachable")
FAILED_STATUSES = ("failed", "unknown")


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._last_send: dict[str, float] = {}
        self._lock = asyncio.Lock()
        # The throttle's clock and sleep: tests replace them to assert the waits without sleeping.
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep

    def _is_sqlite(self) -> bool:
        return dialect_name(self.store.db) == "sqlite"

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
        }, sqlite=self._is_sqlite())
        if message_id is not None:
            store.jobs.send_message(message_id, 0)
        return message_id

    async def send(self, message_id: int) -> str | None:
        """Send one recorded message if it is still pending and due. Returns its new status, None when
        there was nothing to do (already sent, being sent elsewhere, or not due yet)."""
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
            last = self._last_send.get(row["channel"])
            wait = (last + interval - self.clock()) if last is not None else 0.0
            if wait > 0:
                await self.sleep(wait)
            msg = OutgoingMessage(recipient=row["recipient"], text=row["body"], template=row["kind"],
                                  params=tuple(json.loads(row["params_json"] or "[]")))
            try:
                result = await notifier.send(msg)
            except Exception as exc:  # a notifier bug is not a reason to resend blindly
                log.exception("notifier %s raised", row["channel"])
                result = SendResult(outcome=SendOutcome.UNKNOWN, error=f"error: {exc.__class__.__name__}")
            finally:
                self._last_send[row["channel"]] = self.clock()
        return await self._record(row, result)

    async def _record(self, row: dict[str, Any], result: SendResult) -> str:
        store = self.store
        now = now_ms()
        values: dict[str, Any] = {"updated_at": now, "error": result.error or None}
        retry_in: int | None = None
        if result.outcome == SendOutcome.ACCEPTED and result.message_id:
            values.update(status="accepted", message_id=result.message_id, sent_at=now, delivery_status="sent")
        elif result.outcome == SendOutcome.ACCEPTED:
            # "Accepted" without an id cannot be tracked, and may well be queued: never resend blindly.
            values.update(status="unknown", error=result.error or "accepted without a message id")
        elif result.outcome == SendOutcome.RETRY and row["attempts"] < MAX_ATTEMPTS:
            retry_in = BACKOFF_SECONDS[min(row["attempts"] - 1, len(BACKOFF_SECONDS) - 1)]
            values.update(status="pending", next_attempt_at=now + retry_in * 1000)
        elif result.outcome == SendOutcome.RETRY:
            values.update(status="failed",
                          error=f"{result.error or 'not queued'} (menyerah setelah {row['attempts']} percobaan)")
        elif result.outcome == SendOutcome.UNKNOWN:
            values.update(status="unknown")
        else:
            values.update(status="failed")
        await repo.finish(store.db, row["id"], values)
        if retry_in is not None:
            # Queued after the row is pending again, so the task finds it; the sweep covers a lost task.
            store.jobs.send_message(row["id"], retry_in)
        log.info("message %s (%s to %s, attempt %s): %s %s", row["id"], row["kind"], mask(row["recipient"]),
                 row["attempts"], values["status"], values["error"] or "")
        return str(values["status"])

    async def send_due(self) -> int:
        """The sweep: give up on sends a dead worker left half-done (as unknown), then send what is due."""
        store = self.store
        now = now_ms()
        for stuck in await repo.stuck_sending(store.db, now - STUCK_AFTER_MS):
            await repo.set_unknown(store.db, stuck, now)
        ids = await repo.due(store.db, now)
        for message_id in ids:
            await self.send(message_id)
        return len(ids)

    async def mark_delivery(self, channel: str, provider_message_id: str, status: str) -> bool:
        """Apply a delivery status from a webhook; forward-only (a late `sent` never undoes `read`).

        One conditional UPDATE, so two webhooks racing cannot move the status backwards either.
        """
        status = str(status).strip().lower()
        rank = DELIVERY_RANK.get(status)
        if rank is None or not provider_message_id:
            return False
        lower = [s for s, r in DELIVERY_RANK.items() if r < rank]
        return await repo.advance_delivery(self.store.db, channel, str(provider_message_id), status, lower,
                                           now_ms())

    async def resend_last(self, order_id: int) -> int | None:
        """Banyu's "resend message" on an order: the newest message to the buyer goes out again."""
        rows = await repo.for_order(self.store.db, order_id)
        buyer = [r for r in rows if not r["kind"].startswith("owner")] or rows
        return await self.resend(buyer[-1]["id"]) if buyer else None

    async def resend(self, message_id: int) -> int | None:
        """Banyu's resend. Returns the id of the message that will go out, None when there is none.

        - pending (waiting for a retry): made due now — a copy would reach the buyer twice;
        - sending: None (a send is in flight);
        - accepted / unknown / failed: a new row with the same text (never a retry of the old one). The
          copy's key is `resend:<id>`, so a double click makes one copy; to try again after the copy,
          resend the copy.
        """
        store = self.store
        row = await repo.get(store.db, message_id)
        if row is None or row["status"] == "sending":
            return None
        now = now_ms()
        if row["status"] == "pending":
            await repo.make_due(store.db, message_id, now)
            store.jobs.send_message(message_id, 0)
            return message_id
        key = f"resend:{row['id']}"
        new_id = await repo.insert(store.db, {
            "key": key, "channel": row["channel"], "recipient": row["recipient"],
            "kind": row["kind"], "body": row["body"], "params_json": row["params_json"], "status": "pending",
            "attempts": 0, "next_attempt_at": now, "order_id": row["order_id"], "created_at": now,
            "updated_at": now}, sqlite=self._is_sqlite())
        if new_id is None:
            existing = await repo.get_by_key(store.db, key)
            return int(existing["id"]) if existing else None
        log.info("message %s resent as %s (%s to %s)", row["id"], new_id, row["kind"], mask(row["recipient"]))
        store.jobs.send_message(new_id, 0)
        return new_id

    async def failures(self, limit: int = 50) -> list[dict[str, Any]]:
        """Messages Banyu should look at, newest first: not sent (`failed`), maybe sent (`unknown`), or
        accepted but reported undeliverable by a status webhook (`delivery_status` failed / expired / …).

        Each row: `id`, `order_id`, `order_code` (None for messages without an order), `channel`, `kind`,
        `recipient` (canonical 62…), `recipient_masked` (0812****7890), `status`, `delivery_status`,
        `error` (the gateway's reason), `attempts`, `created_at` / `updated_at` (epoch ms), `resent_as`
        (id of the copy made by `resend`, else None) and `can_resend` (True when no copy exists yet).
        """
        rows = await repo.failures(self.store.db, FAILED_STATUSES, DELIVERY_FAILURES, max(1, min(limit, 500)))
        copies = await repo.ids_by_keys(self.store.db, [f"resend:{r['id']}" for r in rows])
        out = []
        for r in rows:
            copy = copies.get(f"resend:{r['id']}")
            out.append({
                "id": r["id"], "order_id": r["order_id"], "order_code": r["order_code"],
                "channel": r["channel"], "kind": r["kind"], "recipient": r["recipient"],
                "recipient_masked": mask(r["recipient"]), "status": r["status"],
                "delivery_status": r["delivery_status"], "error": r["error"], "attempts": r["attempts"],
                "created_at": r["created_at"], "updated_at": r["updated_at"], "resent_as": copy,
                "can_resend": copy is None,
            })
        return out

    async def for_order(self, order_id: int) -> list[dict[str, Any]]:
        return await repo.for_order(self.store.db, order_id)
