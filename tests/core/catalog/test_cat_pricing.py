"""Sell prices: markup rules by kind / brand / product, Banyu's overrides, whole Trakteer units, the account's
price tier, every change logged, and the margin floor hiding an item (one owner alert per sync)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.errors import ApiError
from core.store import Store
from core.tables import price_changes
from tests.conftest import Fakes, StoreFactory
from tests.core.catalog.cat_helpers import ML_ORDER, ML_SLUG, AlertRecorder, http_client, settings_for

RULES = {"markup_percent": "5", "margin_floor_idr": 0, "rules": [
    {"kind": "game", "percent": "10"},
    {"brand": "free fire", "percent": "2"},
    {"product": "ML86-S24", "percent": "0", "fixed_idr": 3000},
]}


async def prices(store: Store) -> dict[str, int]:
    return {code: (await store.catalog.product(code) or {})["price_idr"]
            for code in ("ML86-S24", "ML172-S24", "MLWDP", "FF70", "GI60", "S10", "TSELD1", "PLN20")}


async def changes(store: Store, code: str) -> list[tuple[int, int, int, int]]:
    rows = await store.db.fetch_all(select(price_changes).where(price_changes.c.product_code == code)
                                    .order_by(price_changes.c.id))
    return [(r["old_cost_idr"], r["new_cost_idr"], r["old_price_idr"], r["new_price_idr"]) for r in rows]


async def test_rules_by_kind_brand_and_product(tmp_path: Path, make_store: StoreFactory) -> None:
    store = await make_store(settings_for(tmp_path, pricing=RULES))
    assert await prices(store) == {
        "ML86-S24": 25000,  # product rule: 22.000 + Rp 3.000
        "ML172-S24": 49000,  # kind rule: 44.000 + 10 % = 48.400 -> 49.000
        "MLWDP": 30000,  # 27.000 + 10 % = 29.700 -> 30.000
        "FF70": 10000,  # brand rule beats kind: 9.000 + 2 % = 9.180 -> 10.000
        "GI60": 16000,  # 14.000 + 10 % = 15.400 -> 16.000
        "S10": 12000,  # default 5 %: 10.830 + 542 = 11.372 -> 12.000
        "TSELD1": 16000, "PLN20": 22000,
    }


@pytest.mark.parametrize(("unit", "expected"), [(1000, {"ML86-S24": 24000, "S10": 12000, "FF70": 10000}),
                                                (5000, {"ML86-S24": 25000, "S10": 15000, "FF70": 10000})])
async def test_prices_round_up_to_whole_trakteer_units(tmp_path: Path, make_store: StoreFactory, unit: int,
                                                       expected: dict[str, int]) -> None:
    store = await make_store(settings_for(tmp_path, unit=unit))
    assert store.gateway.unit_price_idr == unit
    got = {code: price for code, price in (await prices(store)).items() if code in expected}
    assert got == expected
    assert all(p % unit == 0 for p in (await prices(store)).values())


async def test_overrides_reprice_at_once_log_every_change_and_hold_on_next_sync(
        tmp_path: Path, make_store: StoreFactory) -> None:
    store = await make_store(settings_for(tmp_path, pricing=RULES))
    assert await store.catalog.overrides() == []

    brand = await store.catalog.set_override(brand="mobile legends", percent="8", note="promo ML")
    assert (brand["brand"], brand["percent_bp"], brand["fixed_idr"], brand["product"], brand["kind"]) == \
        ("mobile legends", 800, 0, "", "")
    assert brand["repriced"] == 3  # ML172, ML5000 and the (hidden) JOKI-ML; MLWDP rounds to the same price
    p = await prices(store)
    assert (p["ML172-S24"], p["MLWDP"], p["ML86-S24"], p["FF70"]) == (48000, 30000, 25000, 10000)
    assert await changes(store, "ML172-S24") == [(44000, 44000, 49000, 48000)]

    # Same specificity as the settings product rule: Banyu's override wins.
    own = await store.catalog.set_override(product="ML86-S24", percent="1")
    assert (await prices(store))["ML86-S24"] == 23000  # 22.000 + 1 % = 22.220 -> 23.000
    again = await store.catalog.set_override(product="ML86-S24", percent="2", fixed_idr=500)
    assert again["id"] == own["id"], "one override per selector: saving again replaces it"
    assert (await prices(store))["ML86-S24"] == 23000  # 22.000 + 440 + 500 = 22.940
    assert len(await store.catalog.overrides()) == 2

    # The immediate re-price wrote the same rows the sync computes: the next sync has nothing to do.
    result = await store.catalog.sync()
    assert result.written == 0

    assert await store.catalog.delete_override(brand["id"]) is True
    assert await store.catalog.delete_override(brand["id"]) is False
    assert (await prices(store))["ML172-S24"] == 49000
    assert await changes(store, "ML172-S24") == [(44000, 44000, 49000, 48000), (44000, 44000, 48000, 49000)]
    assert [o["product"] for o in await store.catalog.overrides()] == ["ML86-S24"]


async def test_overrides_apply_on_the_next_sync_too(tmp_path: Path, make_store: StoreFactory,
                                                    fakes: Fakes) -> None:
    store = await make_store(settings_for(tmp_path))
    await store.catalog.set_override(kind="pulsa", percent="20")
    assert (await store.catalog.product("S10") or {})["price_idr"] == 13000  # 10.830 + 2.166 -> 13.000
    fakes.vip.set_service("prepaid", "S25", price={"basic": 30000, "premium": 29950, "special": 29900})
    await store.catalog.sync()
    assert (await store.catalog.product("S25") or {})["price_idr"] == 36000  # new cost, override applied


@pytest.mark.parametrize(("args", "field"), [
    ({"percent": "5"}, "product"),  # no selector at all
    ({"product": "NOPE", "percent": "5"}, "product"),
    ({"kind": "crypto", "percent": "5"}, "kind"),
    ({"brand": "ml", "percent": "lima"}, "percent"),
    ({"brand": "ml", "percent": "-3"}, "percent"),
    ({"brand": "ml", "percent": "5", "fixed_idr": "1.5"}, "fixed_idr"),
])
async def test_bad_overrides_are_refused_with_the_field(sqlite_store: Store, args: dict[str, Any],
                                                        field: str) -> None:
    with pytest.raises(ApiError) as refused:
        await sqlite_store.catalog.set_override(**args)
    assert refused.value.status == 422 and refused.value.field == field
    assert await sqlite_store.catalog.overrides() == []


async def test_price_rise_past_the_floor_hides_items_and_alerts_once(store: Store, fakes: Fakes) -> None:
    alerts = AlertRecorder(store)
    # 24.700 + 5 % -> Rp 26.000, but cost + 5.7 % fee = 26.182: under the floor. Same for the pass.
    fakes.vip.set_service("game", "ML86-S24", price={"basic": 24700, "premium": 24650, "special": 24600})
    fakes.vip.set_service("game", "MLWDP", price={"basic": 27500, "premium": 27450, "special": 27400})
    fakes.vip.set_service("game", "ML172-S24", price={"basic": 45000, "premium": 44950, "special": 44900})
    result = await store.catalog.sync()
    assert sorted(result.newly_below_floor) == ["ML86-S24", "MLWDP"]
    assert len(alerts.of("price_floor")) == 1, "one alert per sync, not one per item"
    assert alerts.of("price_floor")[0]["count"] == 2
    assert await changes(store, "ML86-S24") == [(22000, 24700, 24000, 26000)]
    assert await changes(store, "ML172-S24") == [(44000, 45000, 47000, 48000)]  # a rise still over the floor

    async with http_client(store) as client:
        listed = {p["code"]: p for p in (await client.get(f"/api/catalog/{ML_SLUG}")).json()["products"]}
        assert listed["ML86-S24"]["available"] is False and listed["MLWDP"]["available"] is False
        assert listed["ML172-S24"]["available"] is True
        r = await client.post("/api/orders", json=ML_ORDER)
        assert r.status_code == 422 and r.json()["error"]["code"] == "product_unavailable"
        assert r.json()["error"]["field"] == "product"
        page = (await client.get(f"/c/{ML_SLUG}")).text
        assert 'value="ML86-S24"' not in page and 'value="ML172-S24"' in page

    await store.catalog.sync()  # still under the floor: no second alert
    assert len(alerts.of("price_floor")) == 1
    fakes.vip.set_service("game", "ML86-S24", price={"basic": 22000, "premium": 21950, "special": 21900})
    await store.catalog.sync()
    assert (await store.catalog.product("ML86-S24") or {})["is_below_floor"] is False


async def test_prices_follow_the_account_tier(fakes: Fakes, make_store: StoreFactory) -> None:
    fakes.vip.level = "premium"
    store = await make_store()
    assert (await store.catalog.product("ML86-S24") or {})["cost_idr"] == 21950
    assert (await store.catalog.product("S10") or {})["cost_idr"] == 10780
    fakes.vip.level = "basic"  # the account was downgraded: basic (dearer) prices, every change logged
    await store.catalog.sync()
    assert (await store.catalog.product("ML86-S24") or {})["cost_idr"] == 22000
    assert await changes(store, "ML86-S24") == [(21950, 22000, 24000, 24000)]


async def test_an_override_under_the_floor_hides_and_alerts_once(sqlite_store: Store) -> None:
    alerts = AlertRecorder(sqlite_store)
    saved = await sqlite_store.catalog.set_override(brand="mobile legends", percent="0")
    # 0 % markup: Rp 22.000 cost sells at Rp 22.000, which cannot pay the 5.7 % fee.
    assert "ML86-S24" in saved["below_floor"] and "MLWDP" in saved["below_floor"]
    assert len(alerts.of("price_floor")) == 1
    product = await sqlite_store.catalog.product("ML86-S24") or {}
    assert (product["price_idr"], product["is_below_floor"]) == (22000, True)
    await sqlite_store.catalog.delete_override(saved["id"])
    assert (await sqlite_store.catalog.product("ML86-S24") or {})["is_below_floor"] is False
