from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from plugins.providers_vipreseller.client import VipResellerClient
from plugins.providers_vipreseller.provider import ProviderError, VipResellerProvider
from plugins.providers_vipreseller.rules import default_kind_table
from plugins.providers_vipreseller.sandbox import VipResellerSandbox

BASE = "http://vip.test/api"


async def catalog_of(sandbox: VipResellerSandbox) -> tuple[list[Any], VipResellerProvider]:
    async with VipResellerClient(BASE, "sandbox-id", "sandbox-key", transport=sandbox.transport()) as client:
        provider = VipResellerProvider(client)
        return await provider.fetch_catalog(), provider


async def test_the_shipped_real_catalog_syncs_whole() -> None:
    sandbox = VipResellerSandbox()
    items, provider = await catalog_of(sandbox)
    assert provider.level == "basic"
    assert [(endpoint, form.get("type")) for endpoint, form in sandbox.calls] == [
        ("profile", None), ("game-feature", "services"), ("prepaid", "services")]
    codes = Counter(i.code for i in items)
    assert sum(1 for n in codes.values() if n > 1) == 15  # repeated codes are passed on; the core keeps the last
    by_brand = Counter(i.brand for i in items)
    assert by_brand["Mobile Legends: Bang Bang"] > 1200
    assert by_brand["Free Fire"] > 130
    assert all(i.code and i.name for i in items)
    # 4,424 game rows (15 codes repeat); 1,667 prepaid rows minus one junk row.
    assert sum(1 for i in items if i.section == "game") == 4424
    assert sum(1 for i in items if i.section == "prepaid") == 1666
    kinds = {(i.brand, i.kind) for i in items if i.section == "prepaid"}
    for pair in [("Telkomsel", "pulsa"), ("Telkomsel", "data"), ("DANA", "emoney"), ("GoPay", "emoney"),
                 ("ShopeePay", "emoney"), ("PLN Prabayar", "pln"), ("Indomaret", "voucher")]:
        assert pair in kinds
    # Game-feature items are games, except app / streaming subscriptions and voucher codes (kinds.yaml).
    assert {i.kind for i in items if i.section == "game"} == {"game", "streaming", "voucher"}
    game_kinds = {i.brand: i.kind for i in items if i.section == "game"}
    assert (game_kinds["Netflix Premium"], game_kinds["Steam Wallet Code"]) == ("streaming", "voucher")
    ax10 = next(i for i in items if i.code == "AX10")
    assert (ax10.cost_idr, ax10.is_available, ax10.note) == (12039, True, "Pengisian instan Axis 10.000")


async def test_account_level_picks_the_price_tier(sandbox: VipResellerSandbox) -> None:
    sandbox.level = "premium"
    items, provider = await catalog_of(sandbox)
    assert provider.level == "premium"
    assert {i.code: i.cost_idr for i in items}["ML86-S24"] == 23470
    sandbox.level = "special"
    items, _ = await catalog_of(sandbox)
    assert {i.code: i.cost_idr for i in items}["ML86-S24"] == 23370
    sandbox.level = "platinum"  # unknown level: the basic (dearest) column
    items, _ = await catalog_of(sandbox)
    assert {i.code: i.cost_idr for i in items}["ML86-S24"] == 23570


async def test_profile_failure_falls_back_to_basic(sandbox: VipResellerSandbox) -> None:
    sandbox.level = "special"
    sandbox.server_error_next()  # only the profile call fails
    items, provider = await catalog_of(sandbox)
    assert provider.level is None
    assert {i.code: i.cost_idr for i in items}["ML86-S24"] == 23570


async def test_unreadable_services_raise_so_the_old_catalog_is_kept(sandbox: VipResellerSandbox) -> None:
    sandbox.block_ip()
    with pytest.raises(ProviderError):
        await catalog_of(sandbox)


def _row(code: str, name: str, price: Any, game: str = "Free Fire",
         status: str = "available") -> dict[str, Any]:
    return {"code": code, "game": game, "name": name, "price": price, "server": "1", "status": status}


async def test_junk_rows_are_skipped_and_flat_prices_accepted() -> None:
    game = [
        _row("", "", {"basic": 200, "premium": 199, "special": 198}),
        _row("FF5", "", 1000),
        _row("", "No code", 1000),
        _row("FF50", "50 Diamonds", 7000),
        _row("FF70", "70 Diamonds", "6483.00"),
        _row("FFX", "Broken price", "murah"),
        "not even an object",
        _row("FF100", "100 Diamonds", {"basic": 14200, "premium": 14100, "special": 14000}, status="empty"),
    ]
    items, _ = await catalog_of(VipResellerSandbox(catalog={"game": game, "prepaid": []}))  # type: ignore[dict-item]
    assert {i.code: (i.cost_idr, i.is_available) for i in items} == {
        "FF50": (7000, True), "FF70": (6483, True), "FF100": (14200, False)}
    assert all(isinstance(i.cost_idr, int) for i in items)


async def test_a_code_listed_twice_is_passed_on_in_order_for_the_core_to_keep_the_last() -> None:
    # Product identity (one row per code, the last seen) is the store's rule: core/catalog/sync.dedupe.
    game = [_row("ML1", "First listing", 1000, game="Mobile Legends: Bang Bang"),
            _row("FF1", "Free Fire 5", 900),
            _row("ML1", "Second listing", 1100, game="Mobile Legends: Bang Bang")]
    items, _ = await catalog_of(VipResellerSandbox(catalog={"game": game, "prepaid": []}))
    assert [(i.code, i.name) for i in items] == [("ML1", "First listing"), ("FF1", "Free Fire 5"),
                                                ("ML1", "Second listing")]


async def test_login_products_are_flagged(sandbox: VipResellerSandbox) -> None:
    sandbox.catalog["game"].extend([
        _row("FFV1", "100 Diamonds", 15000, game="Free Fire Vilog"),
        _row("MLV1", "[Vilog] Saber Onimaru", 50000, game="Mobile Legends: Bang Bang"),
        _row("RBX1", "80 Robux via LOGIN", 16000, game="Roblox"),
    ])
    items, _ = await catalog_of(sandbox)
    login = {i.code for i in items if i.is_login_product}
    assert login == {"FFV1", "MLV1", "RBX1", "MLJOKI-1"}


@pytest.mark.parametrize(("brand", "type_", "kind"), [
    ("Telkomsel", "pulsa-reguler", "pulsa"),
    ("XL", "paket-internet", "data"),
    ("GO PAY", "saldo-emoney", "emoney"),
    ("GoPay", "e-money", "emoney"),
    ("OVO", "topup", "emoney"),
    ("SHOPEE PAY", "emoney", "emoney"),
    ("LinkAja", "", "emoney"),
    ("Mandiri E-Money", "saldo-emoney", "emoney"),
    ("PLN Prabayar", "token-pln", "pln"),
    ("PLN", "token-listrik", "pln"),
    ("Token Listrik", "", "pln"),
    ("Netflix", "streaming", "streaming"),
    ("Spotify Premium", "", "streaming"),
    ("Alfamart Voucher", "paket-internet", "voucher"),
    ("Google Play", "voucher-game", "voucher"),
    ("Novotel", "something-new", "voucher"),  # "ovo" inside a word is not OVO
])
def test_prepaid_kinds(brand: str, type_: str, kind: str) -> None:
    assert default_kind_table().kind_for(brand, type_) == kind
