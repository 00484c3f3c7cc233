"""Streaming / voucher brands sold through the game-feature endpoint: their kind, the one account field they
ask for (still `user_id`, the order's `data_no`), and the server choices' labels."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from core.interfaces import CatalogItem, PlacementOutcome
from plugins.providers_vipreseller.client import VipResellerClient
from plugins.providers_vipreseller.provider import VipResellerProvider
from plugins.providers_vipreseller.rules import GameRules, KindTable, default_kind_table
from plugins.providers_vipreseller.sandbox import VipResellerSandbox
from plugins.providers_vipreseller.sandbox_data import default_catalog

BASE = "http://vip.test/api"
STREAMING = ("user_id", "Email / No. HP akun", True)
VOUCHER = ("user_id", "No. HP / Email penerima", True)
PHONE = ("phone", "Nomor HP", True)


def fields(rules: Any) -> list[tuple[str, str, bool]]:
    return [(f.name, f.label, f.required) for f in rules.fields]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def real() -> tuple[dict[str, CatalogItem], VipResellerProvider]:
    """The shipped catalog through fetch_catalog: one item per brand, and the provider that fetched it."""
    sandbox = VipResellerSandbox()
    async with VipResellerClient(BASE, "sandbox-id", "sandbox-key", transport=sandbox.transport()) as client:
        provider = VipResellerProvider(client)
        items = await provider.fetch_catalog()
    return {i.brand: i for i in items}, provider


@pytest.mark.parametrize(("brand", "kind"), [
    ("Netflix Premium", "streaming"), ("Spotify Premium", "streaming"), ("Youtube Premium", "streaming"),
    ("Disney Hotstar", "streaming"), ("Vidio Premier", "streaming"), ("Viu Premium", "streaming"),
    ("Canva Pro", "streaming"), ("Chatgpt", "streaming"), ("Amazon Prime Video", "streaming"),
    ("Steam Wallet Code", "voucher"), ("Voucher Psn", "voucher"), ("Playstation Network (Psn)", "voucher"),
    ("Razer Gold", "voucher"), ("Apple Gift Card", "voucher"), ("Voucher Roblox", "voucher"),
    ("Voucher Valorant", "voucher"), ("Conquer Online (Point Card)", "voucher"),
    ("Mobile Legends: Bang Bang", "game"), ("Free Fire", "game"), ("Honor Of Kings Global", "game"),
    ("Valorant", "game"), ("Genshin Impact", "game"), ("Ragnarok X Razer Link", "game"),
    ("Magic Chess: Go Go", "game"), ("Mobile Legends (Joki Rank)", "game"),
])
def test_real_game_feature_brands_get_their_kind(real, brand: str, kind: str) -> None:
    by_brand, _ = real
    item = by_brand[brand]
    assert (item.kind, item.section) == (kind, "game"), "ordered through the game-feature endpoint"


def test_the_table_catches_exactly_these_shipped_brands() -> None:
    """Guards the substring patterns both ways: a new pattern must not swallow a real game."""
    table = default_kind_table()
    brands = {row["game"] for row in default_catalog()["game"]}
    by_kind: dict[str, set[str]] = {}
    for brand in brands:
        by_kind.setdefault(table.game_kind_for(brand), set()).add(brand)
    assert by_kind["streaming"] == {
        "Alight Motion", "Amazon Prime Video", "Bstation Premium", "Canva Pro", "Capcut Pro", "Chatgpt",
        "Disney Hotstar", "Gemini", "Getcontact Premium", "Iqiyi Premium", "K-vision Dan Gol", "Netflix Premium",
        "Orange Tv", "Perplexity Ai", "Picsart Pro", "Rcti Plus", "Resso Premium", "Spotify", "Spotify Premium",
        "Telegram Premium", "Tiktok Music", "Vidio", "Vidio Premier", "Vision Plus", "Viu Premium",
        "Wetv Premium", "Youtube Premium"}
    assert by_kind["voucher"] == {
        "Ancol", "Apple Gift Card", "Conquer Online (Point Card)", "Garena Shell Murah", "Jungleland",
        "Playstation Network (Psn)", "Po Garena Shell", "Razer Gold", "Steam Wallet Code", "Tix Id",
        "Voucher Fortnite V Bucks", "Voucher Garena Shell", "Voucher Megaxus", "Voucher Pb Zepetto",
        "Voucher Psn", "Voucher Razer Gold", "Voucher Roblox", "Voucher Valorant", "Warp Plus"}
    assert len(by_kind["game"]) == len(brands) - 27 - 19


def test_patterns_are_case_insensitive_substrings() -> None:
    table = KindTable({"game_brands": {"streaming": ["Netflix"], "voucher": ["gift card"]}})
    assert table.game_kind_for("NETFLIX Premium 4K") == "streaming"
    assert table.game_kind_for("xNetflixy") == "streaming"  # substring, not whole word
    assert table.game_kind_for("Apple GIFT CARD") == "voucher"
    assert table.game_kind_for("Card Wars Pass") == "game"
    with pytest.raises(ValueError):
        KindTable({"game_brands": {"pulsa": ["x"]}})


def test_prepaid_brands_keep_their_kinds(real) -> None:
    by_brand, _ = real
    assert (by_brand["Indomaret"].kind, by_brand["Indomaret"].section) == ("voucher", "prepaid")
    assert (by_brand["Alfamart Voucher"].kind, by_brand["Alfamart Voucher"].section) == ("voucher", "prepaid")
    assert by_brand["Telkomsel"].kind in ("pulsa", "data")


@pytest.mark.parametrize(("brand", "kind", "expected"), [
    ("Netflix Premium", "streaming", STREAMING), ("Youtube Premium", "streaming", STREAMING),
    ("Steam Wallet Code", "voucher", VOUCHER), ("Voucher Psn", "voucher", VOUCHER),
    ("K-vision Dan Gol", "streaming", ("user_id", "Nomor Kartu / ID Pelanggan", True)),
    # Prepaid brands of the same kinds, named like the game-feature table ("voucher"), still ask the phone.
    ("Indomaret", "voucher", PHONE), ("Alfamart Voucher", "voucher", PHONE), ("Itunes", "voucher", PHONE),
])
def test_fields_follow_the_endpoint_after_fetch_catalog(real, brand: str, kind: str, expected) -> None:
    _, provider = real
    rules = provider.category_rules(brand, kind)
    assert fields(rules) == [expected]
    assert rules.nickname_code is None and not rules.has_nickname_check


def test_games_keep_their_fields(real) -> None:
    _, provider = real
    ml = provider.category_rules("Mobile Legends: Bang Bang", "game")
    assert [f.name for f in ml.fields] == ["user_id", "zone_id"] and ml.nickname_code == "mobile-legends"
    ff = provider.category_rules("Free Fire", "game")
    assert fields(ff) == [("user_id", "User ID", True)] and ff.nickname_code == "free-fire"
    hok = provider.category_rules("Honor Of Kings Global", "game")
    assert fields(hok) == [("user_id", "User ID", True)] and hok.nickname_code is None


def test_without_a_fetch_the_table_decides() -> None:
    provider = VipResellerProvider(VipResellerClient(BASE, "i", "k"))
    assert fields(provider.category_rules("Netflix Premium", "streaming")) == [STREAMING]
    assert fields(provider.category_rules("Steam Wallet Code", "voucher")) == [VOUCHER]
    assert fields(provider.category_rules("Indomaret", "voucher")) == [PHONE]
    assert fields(provider.category_rules("Telkomsel", "streaming")) == [PHONE]


async def test_a_brand_listed_by_both_endpoints_asks_the_account_and_orders_either_way(make_request) -> None:
    row = {"game": "Netflix Premium", "code": "NFX1", "name": "Netflix 1 Bulan", "price": 30000,
           "server": "1", "status": "available"}
    prepaid = {"brand": "Netflix Premium", "code": "NFXP", "name": "Netflix Voucher", "price": 31000,
               "status": "available", "type": "streaming"}
    sandbox = VipResellerSandbox(catalog={"game": [row], "prepaid": [prepaid]})
    async with VipResellerClient(BASE, "sandbox-id", "sandbox-key", transport=sandbox.transport()) as client:
        provider = VipResellerProvider(client)
        items = await provider.fetch_catalog()
        assert {(i.code, i.kind, i.section) for i in items} == {("NFX1", "streaming", "game"),
                                                                ("NFXP", "streaming", "prepaid")}
        assert fields(provider.category_rules("Netflix Premium", "streaming")) == [STREAMING]
        placement = await provider.place_order(make_request("NFXP", "prepaid", {"user_id": "081234567890"}))
    assert placement.outcome is PlacementOutcome.ACCEPTED
    assert sandbox.calls_of("prepaid", "order")[0]["data_no"] == "081234567890"


async def test_a_streaming_order_sends_the_account_as_data_no(make_request) -> None:
    sandbox = VipResellerSandbox()
    async with VipResellerClient(BASE, "sandbox-id", "sandbox-key", transport=sandbox.transport()) as client:
        provider = VipResellerProvider(client)
        items = await provider.fetch_catalog()
        youtube = next(i for i in items if i.brand == "Youtube Premium" and i.is_available)  # Netflix: all empty
        assert youtube.kind == "streaming"
        target = {"user_id": "pembeli@gmail.com"}
        placement = await provider.place_order(make_request(youtube.code, youtube.section, target))
    assert placement.outcome is PlacementOutcome.ACCEPTED
    (form,) = sandbox.calls_of("game-feature", "order")
    assert form["service"] == youtube.code and form["data_no"] == "pembeli@gmail.com"
    assert "data_zone" not in form
    assert sandbox.calls_of("prepaid", "order") == []


def test_server_choices_carry_labels_in_their_order() -> None:
    provider = VipResellerProvider(VipResellerClient(BASE, "i", "k"))
    genshin = provider.category_rules("Genshin Impact", "game").fields[1]
    assert genshin.choices == ("os_asia", "os_usa", "os_euro", "os_cht")
    assert genshin.choice_labels == ("Asia", "America", "Europe", "TW/HK/MO")
    hsr = provider.category_rules("Honkai Star Rail", "game").fields[1]
    assert hsr.choices[0] == "prod_official_asia"
    assert hsr.choice_labels == ("Asia", "America", "Europe", "TW/HK/MO")
    assert provider.category_rules("Mobile Legends: Bang Bang", "game").fields[1].choice_labels == ()


def test_choice_labels_come_from_data() -> None:
    rules = GameRules({"games": [{"match": ["my game"], "zone": {
        "label": "Server", "choices": ["a", "b", "c"], "choice_labels": {"c": "Gamma", "a": "Alpha"}}}]})
    zone = rules.category_rules("My Game", "game").fields[1]
    assert zone.choices == ("a", "b", "c") and zone.choice_labels == ("Alpha", "b", "Gamma")
    with pytest.raises(ValueError):
        GameRules({"games": [{"match": ["g"], "zone": {"choices": ["a"], "choice_labels": {"z": "Zed"}}}]})
