"""Fixes in the vip-reseller plugin found while wiring the catalog: a profile hiccup must not re-price the
store at the basic tier, and an unknown nickname game code is the store's problem, not the buyer's ID."""

from __future__ import annotations

from sqlalchemy import func, select

from core.interfaces import CategoryRules, InputField
from core.store import Store
from core.tables import price_changes
from tests.conftest import Fakes, StoreFactory


async def test_profile_hiccup_keeps_the_last_known_tier(fakes: Fakes, make_store: StoreFactory) -> None:
    fakes.vip.level = "premium"
    store = await make_store()
    assert (await store.catalog.product("ML86-S24") or {})["cost_idr"] == 21950
    fakes.vip.server_error_next()  # the profile call fails; the services calls work
    result = await store.catalog.sync()
    assert result.written == 0
    assert (await store.catalog.product("ML86-S24") or {})["cost_idr"] == 21950
    assert await store.db.fetch_val(select(func.count()).select_from(price_changes)) == 0


async def test_unknown_game_code_is_not_blamed_on_the_buyer(sqlite_store: Store) -> None:
    rules = CategoryRules((InputField("user_id", "User ID"),), nickname_code="no-such-game")
    result = await sqlite_store.provider.check_nickname(rules, {"user_id": "12345678"})
    assert result.is_error and not result.is_found
    known = CategoryRules((InputField("user_id", "User ID"),), nickname_code="free-fire")
    missing = await sqlite_store.provider.check_nickname(known, {"user_id": "000999"})
    assert not missing.is_error and not missing.is_found  # a wrong ID is still "not found"
