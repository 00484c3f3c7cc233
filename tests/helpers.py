"""Test helpers: tip bodies, driving queued Huey work through the services, moving the clock of an order."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import update

from core.queue import TASK_SERVICES
from core.store import RecordingJobs, Store
from core.tables import orders
from core.timeutil import now_ms


def tip(code: str | None, amount: int, *, message: str | None = None, tx: str | None = None,
        net: int | None = None, unit: int = 1000) -> dict[str, Any]:
    return {"created_at": time.strftime("%Y-%m-%dT%H:%M:%S+07:00"), "transaction_id": tx or str(uuid.uuid4()),
            "type": "tip", "supporter_name": "Budi", "supporter_avatar": "",
            "supporter_message": message if message is not None else (code or ""), "media": None, "unit": "Koin",
            "unit_icon": "", "quantity": amount // unit, "price": amount,
            "net_amount": net if net is not None else amount * 94 // 100}


def webhook_headers(token: str) -> dict[str, str]:
    return {"X-Webhook-Token": token, "Content-Type": "application/json"}


def body(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


async def end_cooldown(store: Store, order_id: int) -> None:
    """Time passes: the order's cooldown is over now."""
    await store.db.execute(update(orders).where(orders.c.id == order_id).values(fulfil_at=now_ms() - 1))


async def drain_recorded(store: Store, jobs: RecordingJobs, kinds: tuple[str, ...] = ("send_message",)) -> int:
    """Run what the store queued (of the given kinds) through the services, like a worker would."""
    done = 0
    while True:
        pending = [c for c in jobs.calls if c[0] in kinds]
        if not pending:
            return done
        jobs.calls = [c for c in jobs.calls if c[0] not in kinds]
        for kind, ident, _ in pending:
            await TASK_SERVICES[kind](store, ident)
            done += 1


async def drain_huey(store: Store, huey: Any) -> list[str]:
    """One worker pass, early: take every pending and scheduled task off a real Huey queue and run its service
    in-process. A task that is not due yet re-reads the database and re-queues itself, as in production."""
    ran = []
    tasks = list(huey.pending()) + list(huey.scheduled())
    huey.flush()
    for task in tasks:
        if task.name in TASK_SERVICES:
            await TASK_SERVICES[task.name](store, *task.args)
            ran.append(task.name)
    return ran
