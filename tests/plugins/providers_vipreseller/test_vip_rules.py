from __future__ import annotations

import pytest

from core.interfaces import CategoryRules
from plugins.providers_vipreseller.client import VipResellerClient
from plugins.providers_vipreseller.provider import VipResellerProvider
from plugins.providers_vipreseller.rules import GameRules
from plugins.providers_vipreseller.sandbox_data import default_catalog


@pytest.fixture(scope="module")
def rules_of():
    provider = VipResellerProvider(VipResellerClient("http://vip.test/api", "i", "k"))
    return provider.category_rules


def shape(rules: CategoryRules) -> list[tuple[str, str, bool, tuple[str, ...]]]:
    return [(f.name, f.label, f.required, f.choices) for f in rules.fields]


@pytest.mark.parametrize("brand",
                         ["Mobile Legends: Bang Bang", "MOBILE LEGENDS A", "Mobile Legends (Joki Rank)"])
def test_mobile_legends_needs_user_and_zone(rules_of, brand: str) -> None:
    rules = rules_of(brand, "game")
    assert rules.nickname_code == "mobile-legends" and rules.has_nickname_check
    assert shape(rules) == [("user_id", "User ID", True, ()), ("zone_id", "Zone ID", True, ())]


@pytest.mark.parametrize("brand", ["Free Fire", "Free Fire Max", "Free Fire Global"])
def test_free_fire_needs_the_user_id_only(rules_of, brand: str) -> None:
    rules = rules_of(brand, "game")
    assert rules.nickname_code == "free-fire"
    assert shape(rules) == [("user_id", "User ID", True, ())]


def test_genshin_server_is_a_zone_id_with_choices(rules_of) -> None:
    rules = rules_of("Genshin Impact", "game")
    assert rules.nickname_code == "genshin-impact"
    assert shape(rules)[1] == ("zone_id", "Server", True, ("os_asia", "os_usa", "os_euro", "os_cht"))


@pytest.mark.parametrize("brand", ["Honkai Star Rail", "Honkai: Star Rail"])
def test_honkai_star_rail_needs_both_words(rules_of, brand: str) -> None:
    rules = rules_of(brand, "game")
    assert rules.nickname_code == "honkai-star-rail"
    assert shape(rules)[1] == ("zone_id", "Server", True, (
        "prod_official_asia", "prod_official_usa", "prod_official_eur", "prod_official_cht"))
    assert rules_of("Honkai Impact 3", "game").nickname_code is None


@pytest.mark.parametrize(("brand", "code"), [
    ("Valorant", "valorant"), ("Pubg Mobile (Id)", "pubgm"), ("Pubg Mobile (Global)", "pubgm"),
    ("Pubgm Indo A", "pubgm"), ("Point Blank (Id)", "pointblank"),
])
def test_other_nickname_games(rules_of, brand: str, code: str) -> None:
    rules = rules_of(brand, "game")
    assert rules.nickname_code == code
    assert [f.name for f in rules.fields] == ["user_id"]


@pytest.mark.parametrize("brand", ["Lords Mobile", "Voucher Valorant", "Roblox", ""])
def test_unknown_games_ask_the_user_id_without_a_check(rules_of, brand: str) -> None:
    rules = rules_of(brand, "game")
    assert rules.nickname_code is None and not rules.has_nickname_check
    assert shape(rules) == [("user_id", "User ID", True, ())]


@pytest.mark.parametrize("kind", ["pulsa", "data", "emoney", "streaming", "voucher"])
def test_prepaid_kinds_ask_the_phone(rules_of, kind: str) -> None:
    rules = rules_of("Telkomsel", kind)
    assert shape(rules) == [("phone", "Nomor HP", True, ())]
    assert rules.nickname_code is None


def test_pln_asks_the_meter_number(rules_of) -> None:
    rules = rules_of("PLN Prabayar", "pln")
    assert shape(rules) == [("meter_no", "Nomor Meter / ID Pelanggan", True, ())]


def test_every_real_game_brand_resolves(rules_of) -> None:
    brands = {row["game"] for row in default_catalog()["game"]}
    checked = {b for b in brands if rules_of(b, "game").has_nickname_check}
    assert {"Mobile Legends: Bang Bang", "Free Fire", "Genshin Impact", "Honkai Star Rail", "Valorant",
            "Point Blank (Id)", "Pubg Mobile (Id)"} <= checked
    assert all(rules_of(b, "game").fields[0].name == "user_id" for b in brands)


def test_rules_come_from_data() -> None:
    rules = GameRules({"games": [{"match": ["my game"], "nickname_code": "my-code",
                                  "zone": {"label": "Server", "choices": ["a", "b"]}}]})
    got = rules.category_rules("My Game Deluxe", "game")
    assert got.nickname_code == "my-code"
    assert got.fields[1].name == "zone_id" and got.fields[1].choices == ("a", "b")
    with pytest.raises(ValueError):
        GameRules({"games": [{"nickname_code": "x"}]})
