"""The worker process: one asyncio loop (in a helper thread) with its own Store and database pool, and the
Huey consumer in the main thread (it installs signal handlers). Huey's task threads hand coroutines to the
loop, so the domain code stays async and the tasks stay plain functions."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from core import queue as q
from core.settings import Settings
from core.store import Store

log = logging.getLogger(__name__)


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="madd-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[Any], timeout: float | None = None) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def run_worker(settings: Settings, workers: int = 2) -> None:
    queue = q.build_queue(settings)
    loop = LoopThread()
    store = Store(settings, jobs=q.HueyJobs(queue))
    loop.run(store.connect())

    def runner(fn: Callable[[Store], Awaitable[Any]]) -> Any:
        return loop.run(fn(store))

    q.set_runner(runner)
    log.info("worker started (queue %s)", settings.queue_url.split("@")[-1])
    try:
        # Re-enqueue overdue work at start: a flushed queue or a restarted worker loses nothing.
        loop.run(q.run_sweep(store))
    except Exception:
        log.exception("start-up sweep failed")
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                          initial_delay=0.1, backoff=1.15, max_delay=1.0,
                                          scheduler_interval=1, check_worker_health=True)
    try:
        consumer.run()
    finally:
        q.set_runner(None)
        try:
            loop.run(store.close(), timeout=10)
        finally:
            loop.stop()
