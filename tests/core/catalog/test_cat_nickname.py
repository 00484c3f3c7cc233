"""Nickname checks: brief cache, per-IP limit that never blocks ordering, clear Indonesian refusals, provider
trouble reported as "unavailable" (never a 5xx, never blamed on the buyer's ID), bad input named by field."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.store import Store
from tests.conftest import Fakes, StoreFactory
from tests.core.catalog.cat_helpers import ML_ORDER, ML_SLUG, http_client, settings_for

ML = {"category": ML_SLUG, "user_id": "12345678", "zone_id": "2001"}


def nickname_calls(fakes: Fakes) -> list[dict[str, str]]:
    return fakes.vip.calls_of("game-feature", "get-nickname")


async def test_two_checks_make_one_provider_call(sqlite_client: httpx.AsyncClient, fakes: Fakes) -> None:
    first = await sqlite_client.post("/api/nickname", json=ML)
    second = await sqlite_client.post("/api/nickname", json={**ML, "user_id": " 12345678 "})
    assert first.status_code == second.status_code == 200
    assert first.json()["nickname"] == second.json()["nickname"] != ""
    calls = nickname_calls(fakes)
    assert len(calls) == 1
    assert (calls[0]["code"], calls[0]["target"], calls[0]["additional_target"]) == \
        ("mobile-legends", "12345678", "2001")
    # Another zone is another account: asked again.
    assert (await sqlite_client.post("/api/nickname", json={**ML, "zone_id": "2002"})).status_code == 200
    assert len(nickname_calls(fakes)) == 2


async def test_concurrent_checks_of_one_id_share_a_call(sqlite_store: Store, fakes: Fakes) -> None:
    fakes.vip.delay_seconds = 0.05
    async with http_client(sqlite_store) as client:
        replies = await asyncio.gather(*[client.post("/api/nickname", json=ML) for _ in range(20)])
    assert {r.status_code for r in replies} == {200}
    assert len(nickname_calls(fakes)) == 1


async def test_unknown_id_is_a_clear_422(sqlite_client: httpx.AsyncClient, fakes: Fakes) -> None:
    r = await sqlite_client.post("/api/nickname", json={**ML, "user_id": "000111"})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "nickname_not_found" and error["field"] == "user_id"
    assert "ID tidak ditemukan" in error["message"]
    r = await sqlite_client.post("/api/orders", json={**ML_ORDER, "user_id": "000111"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "nickname_not_found"
    assert len(nickname_calls(fakes)) == 1, "the order reused the cached answer"


def arm(fakes: Fakes, fault: str) -> None:
    if fault == "server_error":
        fakes.vip.server_error_next()
    elif fault == "garbage":
        fakes.vip.garbage_next()
    elif fault == "blocked_ip":
        fakes.vip.block_ip("203.0.113.7")
    else:
        fakes.vip.connect_error_next()


@pytest.mark.parametrize("fault", ["server_error", "garbage", "blocked_ip", "connect_error"])
async def test_provider_trouble_is_unavailable_not_a_5xx(sqlite_client: httpx.AsyncClient, fakes: Fakes,
                                                         fault: str) -> None:
    arm(fakes, fault)
    r = await sqlite_client.post("/api/nickname", json=ML)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "nickname_unavailable" and r.json()["error"]["field"] == "user_id"
    assert "gangguan" in r.json()["error"]["message"]
    arm(fakes, fault)
    r = await sqlite_client.post("/api/orders", json=ML_ORDER)
    assert r.status_code == 422 and r.json()["error"]["code"] == "nickname_unavailable"
    fakes.vip.block_ip(None)
    r = await sqlite_client.post("/api/nickname", json=ML)  # trouble is not cached: the next try asks again
    assert r.status_code == 200 and r.json()["nickname"]


@pytest.mark.parametrize(("body", "field"), [
    ({"category": ML_SLUG, "zone_id": "2001"}, "user_id"),
    ({"category": ML_SLUG, "user_id": "12345678"}, "zone_id"),
    ({"category": ML_SLUG, "user_id": "12345678", "zone_id": "20 01"}, "zone_id"),
    ({"category": "no-such-game", "user_id": "1", "zone_id": "1"}, "category"),
    ({"user_id": "12345678", "zone_id": "2001"}, "category"),
    ({"category": ["x"], "user_id": "1"}, "category"),
    ({"category": "genshin-impact", "user_id": "800123456", "zone_id": "mars"}, "zone_id"),
])
async def test_bad_input_names_the_field(sqlite_client: httpx.AsyncClient, fakes: Fakes, body: dict[str, Any],
                                         field: str) -> None:
    r = await sqlite_client.post("/api/nickname", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field and r.json()["error"]["message"]
    assert nickname_calls(fakes) == []


async def test_not_json_is_a_400(sqlite_client: httpx.AsyncClient) -> None:
    r = await sqlite_client.post("/api/nickname", content=b"user_id=1", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400


async def test_rate_limit_per_ip_never_blocks_ordering(tmp_path: Path, fakes: Fakes,
                                                       make_store: StoreFactory) -> None:
    store = await make_store(settings_for(tmp_path, limits={"nickname_per_minute": 3, "orders_per_minute": 10}))
    async with http_client(store) as client, http_client(store, ip="198.51.100.4") as other:
        for n in range(3):
            r = await client.post("/api/nickname", json={**ML, "user_id": f"1000{n}"})
            assert r.status_code == 200
        r = await client.post("/api/nickname", json={**ML, "user_id": "10009"})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert "Terlalu banyak" in r.json()["error"]["message"]
        assert (await client.post("/api/nickname", json={**ML, "user_id": "10000"})).status_code == 200  # cached
        assert (await other.post("/api/nickname", json={**ML, "user_id": "10009"})).status_code == 200
        calls = len(nickname_calls(fakes))
        r = await client.post("/api/orders", json={**ML_ORDER, "user_id": "10000"})
        assert r.status_code == 201, r.text
        assert len(nickname_calls(fakes)) == calls, "the order used the cached nickname"
        r = await client.post("/api/orders", json={**ML_ORDER, "user_id": "55555"})  # never checked before
        assert r.status_code == 201, "the nickname limit never refuses an order"
    order = await store.orders.get(r.json()["code"])
    assert order["nickname"]


async def test_checkout_checks_the_id_itself(sqlite_client: httpx.AsyncClient, sqlite_store: Store,
                                             fakes: Fakes) -> None:
    r = await sqlite_client.post("/api/orders", json=ML_ORDER)
    assert r.status_code == 201
    order = await sqlite_store.orders.get(r.json()["code"])
    assert order["nickname"] and len(nickname_calls(fakes)) == 1
    r = await sqlite_client.post("/api/orders", json={**ML_ORDER, "zone_id": ""})
    assert r.status_code == 422 and r.json()["error"]["field"] == "zone_id"
    # The storefront form runs the same check.
    page = await sqlite_client.post(f"/c/{ML_SLUG}", data={**ML_ORDER, "user_id": "000222"})
    assert page.status_code == 422 and "ID tidak ditemukan" in page.text
    assert 'value="000222"' in page.text, "what the buyer typed is kept"


async def test_games_without_a_check_need_none(sqlite_client: httpx.AsyncClient, fakes: Fakes) -> None:
    r = await sqlite_client.post("/api/nickname", json={"category": "telkomsel", "phone": "081234567890"})
    assert r.status_code == 200 and r.json() == {"nickname": None, "nickname_check": False}
    assert nickname_calls(fakes) == []
