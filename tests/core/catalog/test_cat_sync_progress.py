"""The sync as a job: progress in kv for the admin's "sync now", the periodic task, and provider failures
that keep the old catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.catalog.service import PROGRESS_KEY, SYNCED_AT_KEY, CatalogSyncError
from core.queue import build_queue, set_runner
from core.store import RecordingJobs, Store
from core.tables import products
from core.timeutil import now_ms
from tests.conftest import Fakes, StoreFactory, make_settings, small_catalog


async def progress_of(store: Store) -> dict[str, Any]:
    raw = await store.kv_get(PROGRESS_KEY)
    assert raw is not None
    return json.loads(raw)  # type: ignore[no-any-return]


async def test_progress_is_kept_in_kv(fakes: Fakes, make_store: StoreFactory) -> None:
    seen: list[tuple[int, int]] = []
    store = await make_store(sync=False)
    before = now_ms()
    result = await store.catalog.sync(progress=lambda done, total: seen.append((done, total)))
    state = await progress_of(store)
    assert state["state"] == "done" and state["error"] is None
    assert state["done"] == state["total"] == result.total == 12  # 8 game + 4 prepaid items (the junk row skipped)
    assert before <= state["started_at"] <= state["finished_at"] <= now_ms()
    assert state["inserted"] == 12 and seen[-1] == (12, 12)
    assert int(await store.kv_get(SYNCED_AT_KEY) or 0) == state["finished_at"]
    assert await store.catalog.sync_progress() == state


@pytest.mark.parametrize("fault", ["server_error", "garbage", "blocked_ip", "empty"])
async def test_a_provider_failure_keeps_the_old_catalog(store: Store, fakes: Fakes, fault: str) -> None:
    synced_at = await store.kv_get(SYNCED_AT_KEY)
    before = [dict(r._mapping) for r in await store.db.fetch_all(select(products).order_by(products.c.code))]
    if fault == "server_error":
        fakes.vip.server_error_next(2)  # the profile falls back to the basic tier; the services call fails
    elif fault == "garbage":
        fakes.vip.garbage_next(3)
    elif fault == "blocked_ip":
        fakes.vip.block_ip("203.0.113.7")
    else:
        fakes.vip.catalog = {"game": [], "prepaid": []}  # a reply listing nothing must not empty the store
    with pytest.raises(CatalogSyncError):
        await store.catalog.sync()
    state = await progress_of(store)
    assert state["state"] == "failed" and state["error"] and state["finished_at"]
    after = [dict(r._mapping) for r in await store.db.fetch_all(select(products).order_by(products.c.code))]
    assert after == before, "the old catalog stays as it was"
    assert await store.kv_get(SYNCED_AT_KEY) == synced_at
    assert (await store.catalog.product("ML86-S24") or {})["is_available"]

    fakes.vip.block_ip(None)
    fakes.vip.catalog = small_catalog()  # the provider is back
    await store.catalog.sync()
    assert (await progress_of(store))["state"] == "done"


async def test_sync_now_queues_once(fakes: Fakes, make_store: StoreFactory) -> None:
    jobs = RecordingJobs()
    store = await make_store(jobs=jobs)
    state = await store.catalog.request_sync()
    assert state["state"] == "queued" and jobs.of("sync_catalog") == [(0, 0.0)]
    again = await store.catalog.request_sync()  # Banyu taps twice: still one queued sync
    assert again["state"] == "queued" and len(jobs.of("sync_catalog")) == 1
    await store.catalog.sync()  # the worker runs it
    assert (await store.catalog.sync_progress() or {})["state"] == "done"
    await store.catalog.request_sync()
    assert len(jobs.of("sync_catalog")) == 2


async def test_the_periodic_task_runs_the_sync(tmp_path: Path, fakes: Fakes, make_store: StoreFactory) -> None:
    store = await make_store(sync=False)
    queue = build_queue(make_settings(tmp_path, queue_url=f"sqlite:///{tmp_path}/q.db"))
    task = queue.tasks["catalog_sync"]
    assert "catalog_sync" in [t.__name__ for t in queue.huey._registry._periodic_tasks]
    ran: list[Any] = []
    set_runner(lambda fn: ran.append(fn))
    try:
        task.call_local()
    finally:
        set_runner(None)
    assert len(ran) == 1
    await ran[0](store)
    assert int(await store.db.fetch_val(select(func.count()).select_from(products))) == 12
