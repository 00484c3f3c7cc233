"""The provider against the sample replies in tests/data/vipreseller (copied from the partner notes)."""

from __future__ import annotations

import logging

import httpx
import pytest

from core.interfaces import PlacementOutcome, ProviderStatus

ML = {"user_id": "12345678", "zone_id": "2001"}


async def test_game_order_ok(replay, fixture_json, make_request) -> None:
    provider, fake = replay({("game-feature", "order"): fixture_json("order-game-ok.json")})
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert placement.outcome is PlacementOutcome.ACCEPTED
    assert (placement.reference, placement.cost_idr, placement.balance_idr) == ("VP123456789", 23570, 1226430)
    assert placement.status is ProviderStatus.PENDING
    assert "VP123456789" in placement.raw
    assert fake.forms[0][1]["data_zone"] == "2001" and fake.forms[0][1]["data_no"] == "12345678"


async def test_prepaid_order_ok(replay, fixture_json, make_request) -> None:
    provider, fake = replay({("prepaid", "order"): fixture_json("order-prepaid-ok.json")})
    placement = await provider.place_order(make_request("S10", "prepaid", {"phone": "6281234567890"}))
    assert (placement.outcome, placement.reference, placement.cost_idr) == (
        PlacementOutcome.ACCEPTED, "VP123456790", 10830)
    assert fake.forms[0][1]["data_no"] == "081234567890"


@pytest.mark.parametrize(("name", "flag"), [("order-insufficient-balance.json", "needs_deposit"),
                                            ("ip-not-allowed.json", "needs_attention")])
async def test_order_refusals(replay, fixture_json, make_request, name: str, flag: str) -> None:
    provider, _ = replay({("game-feature", "order"): fixture_json(name)})
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert (placement.outcome, placement.flag) == (PlacementOutcome.REFUSED, flag)
    assert placement.reason == fixture_json(name)["message"]


@pytest.mark.parametrize("data", [None, {}, {"trxid": ""}, "VP1", [{"trxid": "VP1"}]])
async def test_accepted_without_trxid_is_unknown(replay, make_request, data) -> None:
    body = {"result": True, "data": data, "message": "Pesanan berhasil, pesanan akan diproses."}
    provider, _ = replay({("game-feature", "order"): body})
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert placement.outcome is PlacementOutcome.UNKNOWN


@pytest.mark.parametrize(("name", "status", "note"), [
    ("status-processing.json", ProviderStatus.PENDING, ""),
    ("status-success-game.json", ProviderStatus.SUCCESS, ""),
    ("status-error-zone.json", ProviderStatus.FAILED, "Zone tujuan salah."),
])
async def test_game_status_replies(replay, fixture_json, name, status, note) -> None:
    body = fixture_json(name)
    reference = body["data"][0]["trxid"]
    provider, fake = replay({("game-feature", "status"): body})
    update = await provider.fetch_status(reference, "game")
    assert update is not None
    assert (update.reference, update.status, update.note, update.cost_idr) == (reference, status, note, 23570)
    assert fake.forms[0][1]["trxid"] == reference


async def test_prepaid_success_carries_the_serial(replay, fixture_json) -> None:
    provider, fake = replay({("prepaid", "status"): fixture_json("status-success-prepaid.json")})
    update = await provider.fetch_status("VP123456790", "prepaid")
    assert update is not None and update.status is ProviderStatus.SUCCESS
    assert update.note == "SN: 0412345678901234567" and update.raw_status == "success"
    assert fake.forms[0][0] == "prepaid"


async def test_status_reply_for_another_trxid_is_ignored(replay, fixture_json) -> None:
    provider, _ = replay({("game-feature", "status"): fixture_json("status-processing.json")})
    assert await provider.fetch_status("VP999", "game") is None


@pytest.mark.parametrize(("word", "expected"), [
    ("success", ProviderStatus.SUCCESS), ("Success", ProviderStatus.SUCCESS),
    ("error", ProviderStatus.FAILED), ("failed", ProviderStatus.FAILED), ("gagal", ProviderStatus.FAILED),
    ("waiting", ProviderStatus.PENDING), ("processing", ProviderStatus.PENDING),
    ("process", ProviderStatus.PENDING), ("pending", ProviderStatus.PENDING),
    ("partial", ProviderStatus.PENDING),
])
async def test_status_words(replay, word, expected) -> None:
    body = {"result": True, "data": [{"trxid": "VP1", "status": word, "note": "", "price": 1}], "message": ""}
    provider, _ = replay({("game-feature", "status"): body})
    update = await provider.fetch_status("VP1", "game")
    assert update is not None and update.status is expected


async def test_unknown_status_word_is_pending_and_logged(replay, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    body = {"result": True, "data": [{"trxid": "VP1", "status": "refunding-soon", "price": "1000"}]}
    provider, _ = replay({("game-feature", "status"): body})
    update = await provider.fetch_status("VP1", "game")
    assert update is not None and update.status is ProviderStatus.PENDING and update.cost_idr == 1000
    assert "refunding-soon" in caplog.text


async def test_settle_against_fixture_list(replay, fixture_json, make_request) -> None:
    provider, fake = replay({("prepaid", "status"): fixture_json("status-success-prepaid.json")})
    found = await provider.settle(make_request("S10", "prepaid", {"phone": "6281234567890"},
                                               expected_cost_idr=10830))
    assert (found.outcome, found.reference, found.status, found.note) == (
        PlacementOutcome.ACCEPTED, "VP123456790", ProviderStatus.SUCCESS, "SN: 0412345678901234567")
    assert fake.forms[0][1]["limit"] == "50" and "trxid" not in fake.forms[0][1]
    wrong_code = await provider.settle(make_request("S20", "prepaid", {"phone": "6281234567890"}))
    assert wrong_code.outcome is PlacementOutcome.NOT_PLACED


async def test_settle_refused_lookup_is_unknown(replay, fixture_json, make_request) -> None:
    provider, _ = replay({("game-feature", "status"): fixture_json("ip-not-allowed.json")})
    assert (await provider.settle(make_request("ML86-S24", "game", ML))).outcome is PlacementOutcome.UNKNOWN


async def test_profile_balance_and_level(replay, fixture_json) -> None:
    provider, fake = replay({("profile", ""): fixture_json("profile.json")})
    assert await provider.fetch_balance() == 1_250_000
    assert await provider.fetch_level() == "basic"
    assert [endpoint for endpoint, _ in fake.forms] == ["profile", "profile"]


async def test_balance_is_none_on_failure(replay, fixture_json) -> None:
    provider, _ = replay({("profile", ""): fixture_json("ip-not-allowed.json")})
    assert await provider.fetch_balance() is None
    provider, _ = replay({("profile", ""): lambda request: httpx.Response(503, text="down")})
    assert await provider.fetch_balance() is None


async def test_nickname_replies(replay, fixture_json) -> None:
    provider, fake = replay({("game-feature", "get-nickname"): fixture_json("nickname-ml.json")})
    ml = await provider.check_nickname(provider.category_rules("Mobile Legends: Bang Bang", "game"), ML)
    assert (ml.is_found, ml.nickname, ml.region, ml.is_error) == (True, "RRQ•Lemon", "Indonesia", False)
    assert fake.forms[0][1] | {"key": "", "sign": ""} == {"key": "", "sign": "", "type": "get-nickname",
                                                          "code": "mobile-legends", "target": "12345678",
                                                          "additional_target": "2001"}
    provider, fake = replay({("game-feature", "get-nickname"): fixture_json("nickname-ff.json")})
    ff = await provider.check_nickname(provider.category_rules("Free Fire", "game"), {"user_id": "123456789"})
    assert (ff.is_found, ff.nickname, ff.region) == (True, "ｓｈａｄｏｗ么Dewa", None)
    assert fake.forms[0][1]["additional_target"] == ""
    provider, _ = replay({("game-feature", "get-nickname"): fixture_json("nickname-not-found.json")})
    missing = await provider.check_nickname(provider.category_rules("Free Fire", "game"), {"user_id": "1"})
    assert (missing.is_found, missing.is_error) == (False, False)
    assert missing.message == "Gagal mendapatkan nickname, pastikan ID sudah benar."
