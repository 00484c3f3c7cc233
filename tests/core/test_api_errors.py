"""Bad input gets a clear 4xx (Indonesian on buyer endpoints) and writes nothing (DESIGN §6)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core.tables import order_events, orders, outbox


async def _counts(store: Any) -> tuple[int, int, int]:
    return tuple([int(await store.db.fetch_val(select(func.count()).select_from(t)))  # type: ignore[return-value]
                  for t in (orders, order_events, outbox)])


GOOD = {"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001", "whatsapp": "0812-3456-7890"}


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({**GOOD, "product": "NO-SUCH"}, 422, "unknown_product", "product"),
    ({**GOOD, "product": ""}, 422, "unknown_product", "product"),
    ({**GOOD, "product": 123}, 422, "unknown_product", "product"),
    ({**GOOD, "product": "JOKI-ML"}, 422, "unknown_product", "product"),  # login product: hidden
    ({**GOOD, "product": "ML5000"}, 422, "product_unavailable", "product"),  # empty at the provider
    ({k: v for k, v in GOOD.items() if k != "zone_id"}, 422, "missing_field", "zone_id"),
    ({**GOOD, "zone_id": ""}, 422, "missing_field", "zone_id"),
    ({**GOOD, "user_id": ""}, 422, "missing_field", "user_id"),
    ({**GOOD, "user_id": "123|2001"}, 422, "invalid_field", "user_id"),
    ({**GOOD, "user_id": {"x": 1}}, 422, "invalid_field", "user_id"),
    ({**GOOD, "whatsapp": "abc"}, 422, "invalid_whatsapp", "whatsapp"),
    ({**GOOD, "whatsapp": "0877887"}, 422, "whatsapp_too_short", "whatsapp"),
    ({**GOOD, "whatsapp": "021-555-1234"}, 422, "whatsapp_not_mobile", "whatsapp"),
    ({k: v for k, v in GOOD.items() if k != "whatsapp"}, 422, "invalid_whatsapp", "whatsapp"),
    ({**GOOD, "user_id": "00000000"}, 422, "nickname_not_found", "user_id"),
    ({"product": "GI60", "user_id": "812345678", "zone_id": "mars", "whatsapp": "081234567890"}, 422,
     "invalid_choice", "zone_id"),
    ({"product": "S10", "phone": "021-555", "whatsapp": "081234567890"}, 422, "invalid_phone", "phone"),
])
async def test_bad_order_input_is_refused_and_nothing_is_written(client: Any, store: Any, body: dict[str, Any],
                                                                 status: int, code: str, field: str) -> None:
    before = await _counts(store)
    r = await client.post("/api/orders", json=body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["field"] == field
    assert err["message"] and err["message"] != code  # a human sentence from the message file
    assert await _counts(store) == before


async def test_messages_are_indonesian(sqlite_client: Any) -> None:
    r = await sqlite_client.post("/api/orders", json={**GOOD, "whatsapp": "abc"})
    assert "Nomor WhatsApp tidak valid" in r.json()["error"]["message"]
    r = await sqlite_client.post("/api/orders", json={k: v for k, v in GOOD.items() if k != "zone_id"})
    assert r.json()["error"]["message"] == "Zone ID wajib diisi."


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
async def test_body_that_is_not_a_json_object_is_a_400(sqlite_client: Any, sqlite_store: Any, raw: bytes) -> None:
    r = await sqlite_client.post("/api/orders", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] in ("invalid_json", "invalid_body")
    assert (await _counts(sqlite_store))[0] == 0


async def test_unknown_order_and_category_are_404(sqlite_client: Any) -> None:
    r = await sqlite_client.get("/api/orders/MADD-ZZZZZZ")
    assert r.status_code == 404 and r.json()["error"]["code"] == "order_not_found"
    r = await sqlite_client.get("/api/orders/not-a-code")
    assert r.status_code == 404
    r = await sqlite_client.get("/api/catalog/no-such-game")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_category"


async def test_order_code_lookup_is_case_insensitive(sqlite_client: Any) -> None:
    r = await sqlite_client.post("/api/orders", json=GOOD)
    code = r.json()["code"]
    assert code.startswith("MADD-") and len(code) == 11
    assert all(ch not in "ILOU" for ch in code[5:])
    r = await sqlite_client.get(f"/api/orders/{code.lower()}")
    assert r.status_code == 200 and r.json()["code"] == code


async def test_order_creation_is_rate_limited_per_ip(sqlite_client: Any, sqlite_store: Any) -> None:
    limit = sqlite_store.settings.order_rate_per_minute
    statuses = [(await sqlite_client.post("/api/orders", json={**GOOD, "whatsapp": f"08123456{n:04d}"})).status_code
                for n in range(limit + 1)]
    assert statuses[:limit] == [201] * limit
    assert statuses[-1] == 429
    assert (await sqlite_client.post("/api/orders", json=GOOD)).json()["error"]["code"] == "rate_limited"


async def test_one_whatsapp_number_cannot_be_flooded_with_orders(make_store: Any) -> None:
    from tests.conftest import client_for

    store = await make_store(limits={"unpaid_per_whatsapp_per_hour": 3})
    async with client_for(store) as client:
        statuses = [(await client.post("/api/orders", json=GOOD)).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        r = await client.post("/api/orders", json=GOOD)
        assert r.json()["error"]["code"] == "too_many_unpaid" and r.json()["error"]["field"] == "whatsapp"
        other = await client.post("/api/orders", json={**GOOD, "whatsapp": "081298765432"})
        assert other.status_code == 201


async def test_orders_from_another_sites_page_are_refused(sqlite_client: Any, sqlite_store: Any) -> None:
    r = await sqlite_client.post("/api/orders", json=GOOD, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_site"
    r = await sqlite_client.post("/c/mobile-legends-bang-bang", data=GOOD, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert await sqlite_store.db.fetch_val("SELECT count(*) FROM orders") == 0
    r = await sqlite_client.post("/api/orders", json=GOOD, headers={"Origin": "http://store.test"})
    assert r.status_code == 201  # the store's own pages


@pytest.mark.parametrize("raw", [
    rb'{"product": "ML86-S24\u0000"}', rb'{"product": "ML86\ud83d"}',
    b'{"product": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"product": "ML86-S24", "user_id": 99999999999999999999999999}',
])
async def test_hostile_json_is_a_400_never_a_500(client: Any, raw: bytes) -> None:
    r = await client.post("/api/orders", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = await client.post("/api/nickname", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400


async def test_hostile_path_params_are_404(client: Any) -> None:
    for path in ("/api/catalog/mobile%00", "/c/mobile%00", "/api/catalog/" + "x" * 500, "/pesanan/MADD%00"):
        r = await client.get(path)
        assert r.status_code == 404, path


async def test_unknown_route_and_method_are_json_4xx(sqlite_client: Any) -> None:
    r = await sqlite_client.get("/api/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await sqlite_client.get("/api/orders")
    assert r.status_code == 405


async def test_healthz(sqlite_client: Any) -> None:
    r = await sqlite_client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "queue": "ok"}


async def test_healthz_reports_a_broken_queue_and_a_down_database(sqlite_store: Any, tmp_path: Any) -> None:
    import httpx

    from core.app import create_app
    from core.db import make_database
    from core.queue import HueyJobs, build_queue
    from tests.conftest import make_settings

    broken = make_settings(tmp_path, queue_url="redis://127.0.0.1:1/0")
    sqlite_store.jobs = HueyJobs(build_queue(broken))
    app = create_app(sqlite_store.settings, store=sqlite_store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/healthz")
        assert r.status_code == 200 and r.json()["queue"] == "down" and r.json()["status"] == "degraded"
        real = sqlite_store.db
        sqlite_store.db = make_database("sqlite+aiosqlite:////proc/no-such-dir/madd.db")
        try:
            r = await c.get("/healthz")
        finally:
            sqlite_store.db = real
        assert r.status_code == 503 and r.json()["database"] == "down"
