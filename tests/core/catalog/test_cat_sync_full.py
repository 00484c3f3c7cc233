"""The real catalog (4,424 game-feature + 1,667 prepaid rows): synced fast, a second sync writes nothing, and
what buyers see follows DESIGN §9 (categories from brand names, slugs, hidden login items, one row per code)."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.catalog.sync import dedupe
from core.interfaces import CatalogItem
from core.store import Store
from core.tables import categories, price_changes, products
from tests.conftest import Fakes, StoreFactory
from tests.core.catalog.cat_helpers import ML_SLUG, http_client, install_write_log, writes


async def test_second_sync_of_the_real_catalog_writes_nothing(full_fakes: Fakes, make_store: StoreFactory,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    store = await make_store(sync=False)
    await install_write_log(store)
    caplog.set_level(logging.WARNING)

    started = time.perf_counter()
    first = await store.catalog.sync()
    elapsed = time.perf_counter() - started
    assert first.total == 6075 and first.inserted == 6075 and first.updated == first.removed == 0
    assert elapsed < 3.0, f"first sync took {elapsed:.2f}s (row-by-row inserts took ~5.5s)"
    counted = await writes(store)
    assert counted[("products", "insert")] == 6075  # the write log sees every row
    assert counted[("categories", "insert")] >= 100

    await store.db.execute("DELETE FROM write_log")
    second = await store.catalog.sync()
    assert (second.inserted, second.updated, second.removed, second.unchanged) == (0, 0, 0, 6075)
    assert await writes(store) == {}, "an unchanged provider list must not write a single row"
    assert await store.db.fetch_val(select(func.count()).select_from(price_changes)) == 0

    # A code listed twice is stored once, the last row seen wins, and the duplicate is logged.
    ml9288 = await store.catalog.product("ML9288-S24")
    assert ml9288 is not None and ml9288["name"] == "[Promo] 9288 Diamonds PROMO"
    assert any("ML9288-S24" in r.getMessage() and "twice" in r.getMessage() for r in caplog.records)

    async with http_client(store) as client:
        listing = (await client.get("/api/catalog")).json()["categories"]
        assert len(listing) >= 100
        for c in listing:
            assert c["slug"] == re.sub(r"[^a-z0-9]+", "-", c["name"].lower()).strip("-"), c
            assert c["kind"] in ("game", "pulsa", "data", "emoney", "pln", "streaming", "voucher")
        by_slug = {c["slug"]: c for c in listing}
        assert by_slug[ML_SLUG]["name"] == "Mobile Legends: Bang Bang" and by_slug[ML_SLUG]["kind"] == "game"
        assert by_slug["telkomsel"]["kind"] == "pulsa" and by_slug["telkomsel-data"]["kind"] == "data"
        assert by_slug["pln-prabayar"]["kind"] == "pln" and by_slug["dana"]["kind"] == "emoney"
        assert "mobile-legends-joki-rank" not in by_slug  # every item needs a login: the brand is hidden
        assert (await client.get("/api/catalog/mobile-legends-joki-rank")).status_code == 404

        ml = (await client.get(f"/api/catalog/{ML_SLUG}")).json()
        codes = [p["code"] for p in ml["products"]]
        assert len(codes) > 1000 and len(codes) == len(set(codes)) == by_slug[ML_SLUG]["product_count"]
        assert not [p for p in ml["products"] if re.search(r"vilog|joki|login", p["name"], re.I)]
        assert "MLVILOG7155-S22" not in codes  # "[Vilog] 7155 Diamonds": a login product
        listed = {p["code"]: p for p in ml["products"]}
        assert listed["MLAPRM344-S3"]["available"] is False  # status "empty" at the provider
        assert listed["ML233_24-S1A"]["available"] is True  # listed, priced over the margin floor
        assert listed["ML154_16-S1A"]["available"] is False  # listed, but 5 % markup < 5.7 % fee: under the floor
        assert [f["name"] for f in ml["fields"]] == ["user_id", "zone_id"] and ml["nickname_check"] is True
        kinds = Counter(c["kind"] for c in listing)
        assert kinds["game"] > 80 and kinds["pulsa"] > 5 and kinds["data"] > 3
        # Streaming subscriptions and voucher codes of the game-feature list are not "Top Up Game".
        assert kinds["streaming"] >= 20 and kinds["voucher"] >= 15
        assert by_slug["netflix-premium"]["kind"] == "streaming" and by_slug["voucher-psn"]["kind"] == "voucher"


@pytest.mark.postgres
async def test_second_sync_writes_nothing_on_postgresql(full_fakes: Fakes, make_store: StoreFactory) -> None:
    from tests.conftest import create_pg_database, drop_pg_database, need_service

    need_service("PostgreSQL", "127.0.0.1", 5432)
    url = await create_pg_database()
    try:
        store = await make_store(database_url=url, sync=False)
        first = await store.catalog.sync()
        assert first.inserted == 6075
        before = await _stamps(store)
        second = await store.catalog.sync()
        assert second.written == 0 and second.unchanged == 6075
        assert await _stamps(store) == before
        await store.close()
    finally:
        await drop_pg_database(url)


async def _stamps(store: Store) -> tuple[int, int, int, int]:
    q = store.db.fetch_val
    return (int(await q(select(func.max(products.c.updated_at)))),
            int(await q(select(func.max(categories.c.updated_at)))),
            int(await q(select(func.count()).select_from(products))),
            int(await q(select(func.count()).select_from(price_changes))))


def test_core_dedupe_keeps_the_last_row_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    def item(code: str, name: str) -> CatalogItem:
        return CatalogItem(code=code, name=name, brand="B", kind="game", section="game", cost_idr=1,
                           is_available=True)

    caplog.set_level(logging.WARNING)
    kept = dedupe([item("A", "first"), item("B", "b"), item("A", "second")])
    assert [(i.code, i.name) for i in kept.values()] == [("B", "b"), ("A", "second")]
    assert any("A" in r.getMessage() and "twice" in r.getMessage() for r in caplog.records)
