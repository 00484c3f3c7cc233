"""The Huey instance built from `MADD_QUEUE_URL`, the task definitions, and the Jobs adapter.

Tasks are plain functions taking ids (Huey refuses `async def`); each re-reads state from the database and
runs the async service on the worker's event loop (see `core.worker`). The web process only enqueues.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from huey import Huey, RedisHuey, SqliteHuey, crontab

from core.settings import ConfigError, Settings
from core.timeutil import now_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

# Set by the worker process: runs a coroutine factory with the worker's Store on its event loop.
Runner = Callable[[Callable[["Store"], Awaitable[Any]]], Any]
_runner: Runner | None = None


def set_runner(runner: Runner | None) -> None:
    global _runner
    _runner = runner


def _run(fn: Callable[[Store], Awaitable[Any]]) -> Any:
    if _runner is None:
        raise RuntimeError("no worker runtime: tasks run inside `madd worker`")
    return _runner(fn)


# One-off tasks: name -> the async service it runs with (store, id). Tests drive queued work through it.
TASK_SERVICES: dict[str, Callable[[Store, int], Awaitable[Any]]] = {
    "fulfil": lambda s, i: s.fulfilment.fulfil_due(i),
    "settle": lambda s, i: s.fulfilment.settle(i),
    "poll": lambda s, i: s.fulfilment.poll(i),
    "send_message": lambda s, i: s.outbox.send(i),
}


def make_huey(settings: Settings, name: str = "madd") -> Huey:
    url = settings.queue_url
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url.split("sqlite:///", 1)[-1] if "sqlite:///" in url else parsed.path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=name, filename=path, utc=True)
    if parsed.scheme in ("redis", "rediss"):
        return RedisHuey(name=name, url=url, utc=True)
    raise ConfigError(f"MADD_QUEUE_URL must be sqlite:///path or redis://host:port/db, got {url!r}")


def _every(seconds: int) -> Any:
    """A crontab close to `seconds` (cron steps restart each hour / day, so prefer divisors of 60 and 24)."""
    minutes = max(1, seconds // 60)
    if minutes < 60:
        return crontab(minute="*" if minutes == 1 else f"*/{minutes}")
    hours = max(1, minutes // 60)
    return crontab(minute="0", hour="*" if hours == 1 else f"*/{hours}")


@dataclass
class Queue:
    huey: Huey
    tasks: dict[str, Any]


def build_queue(settings: Settings, name: str | None = None) -> Queue:
    huey = make_huey(settings, name or settings.queue_name)
    t: dict[str, Any] = {}

    def one_off(name: str) -> Any:
        service = TASK_SERVICES[name]

        def task(ident: int) -> None:
            _run(lambda s: service(s, ident))

        task.__name__ = name
        return huey.task(name=name)(task)

    for name in TASK_SERVICES:
        t[name] = one_off(name)

    @huey.periodic_task(crontab(minute="*"), name="sweep")  # type: ignore[untyped-decorator]
    def sweep() -> None:
        _run(lambda s: run_sweep(s))

    @huey.periodic_task(_every(settings.catalog_sync_seconds),  # type: ignore[untyped-decorator]
                        name="catalog_sync")
    def catalog_sync() -> None:
        _run(lambda s: s.catalog.sync())

    @huey.periodic_task(_every(settings.reconcile_seconds),  # type: ignore[untyped-decorator]
                        name="reconcile")
    def reconcile() -> None:
        _run(lambda s: s.payments.reconcile())

    @huey.periodic_task(crontab(minute="*/5"), name="balance_watch")  # type: ignore[untyped-decorator]
    def balance_watch() -> None:
        _run(lambda s: watch_balance(s))

    t.update(sweep=sweep, catalog_sync=catalog_sync, reconcile=reconcile, balance_watch=balance_watch)
    return Queue(huey=huey, tasks=t)


class HueyJobs:
    """The core's Jobs interface on top of Huey (delay in seconds, never naive ETAs)."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    def _enqueue(self, name: str, ident: int, delay: float) -> None:
        try:
            self.queue.tasks[name].schedule((ident,), delay=max(0, delay)) if delay > 0 else \
                self.queue.tasks[name](ident)
        except Exception:  # the database holds the truth; the sweep picks up what was not queued
            log.exception("could not enqueue %s(%s); the sweep will pick it up", name, ident)

    def fulfil(self, order_id: int, delay: float) -> None:
        self._enqueue("fulfil", order_id, delay)

    def settle(self, order_id: int, delay: float) -> None:
        self._enqueue("settle", order_id, delay)

    def poll(self, order_id: int, delay: float) -> None:
        self._enqueue("poll", order_id, delay)

    def send_message(self, message_id: int, delay: float) -> None:
        self._enqueue("send_message", message_id, delay)

    def sync_catalog(self) -> None:
        """Banyu's "sync now": the worker runs it (progress is kept in the kv table)."""
        try:
            self.queue.tasks["catalog_sync"]()
        except Exception:
            log.exception("could not enqueue the catalog sync")


async def run_sweep(store: Store) -> dict[str, int]:
    """Everything periodic that keeps state moving if a queued task was lost (run at start, then each minute)."""
    out: dict[str, int] = {}
    for name, fn in (("fulfil", store.fulfilment.sweep_due), ("expire", store.orders.expire_due),
                     ("settle", store.fulfilment.sweep_unsettled), ("callbacks", store.callbacks.apply_kept),
                     ("poll", store.fulfilment.sweep_processing),
                     ("payments", store.payments.reprocess_events), ("outbox", store.outbox.send_due)):
        try:
            out[name] = await fn()
        except Exception:
            log.exception("sweep step %s failed", name)
    out["plugin_tasks"] = await run_plugin_tasks(store)
    return out


async def run_plugin_tasks(store: Store) -> int:
    """Run the periodic jobs plugins registered (`register_tasks`) whose interval has elapsed."""
    from core.timeutil import now_ms

    ran = 0
    for name, every_seconds, fn in store.partners.tasks:
        key = f"task_last_run:{name}"
        last = await store.kv_int(key)
        now = now_ms()
        if last is not None and now - last < every_seconds * 1000:
            continue
        await store.kv_set(key, str(now))
        try:
            await fn(store)
            ran += 1
        except Exception:
            log.exception("plugin task %s failed", name)
    return ran


async def watch_balance(store: Store) -> int | None:
    """Poll the provider balance into kv `provider_balance_idr`; alert Banyu once per low-balance spell.

    "Already alerted" is its own kv flag: fulfilment also writes the balance after each order, so comparing
    with the previous value would miss a drop caused by an order.
    """
    balance = await store.provider.fetch_balance()
    if balance is None:
        return None
    previous = await store.kv_int("provider_balance_idr")
    await store.kv_set("provider_balance_idr", str(balance))
    threshold = store.settings.low_balance_idr
    alerted = await store.kv_get("low_balance_alerted") == "1"
    if balance < threshold and not alerted:
        await store.kv_set("low_balance_alerted", "1")
        await store.alert_owner("low_balance", {"balance_idr": balance, "threshold_idr": threshold},
                                key=f"low_balance:{now_ms()}")
    elif balance >= threshold and alerted:
        await store.kv_set("low_balance_alerted", "0")
    if previous is None or previous < balance:
        # A top-up (or the first reading): orders held for the deposit that it now covers are due again.
        await store.fulfilment.release_deposit_flags(balance)
    return balance
