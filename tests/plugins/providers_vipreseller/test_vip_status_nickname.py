"""Status polling, balance, stock and nickname checks against the emulator."""

from __future__ import annotations

from core.interfaces import CategoryRules, InputField, ProviderStatus
from plugins.providers_vipreseller.client import CallOutcome

ML = {"user_id": "12345678", "zone_id": "2001"}


async def test_status_moves_waiting_processing_success(sandbox, provider, make_request) -> None:
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert sandbox.orders[0]["status"] == "waiting"
    first = await provider.fetch_status(placement.reference, "game")
    second = await provider.fetch_status(placement.reference, "game")
    assert first is not None and second is not None
    assert (first.raw_status, first.status) == ("processing", ProviderStatus.PENDING)
    assert (second.raw_status, second.status, second.note) == ("success", ProviderStatus.SUCCESS, "")
    assert second.cost_idr == 23570


async def test_zone_9999_ends_in_error_and_is_refunded(sandbox, provider, make_request) -> None:
    request = make_request("ML86-S24", "game", {"user_id": "1", "zone_id": "9999"})
    placement = await provider.place_order(request)
    sandbox.advance()
    update = await provider.fetch_status(placement.reference, "game")
    assert update is not None
    assert (update.status, update.note) == (ProviderStatus.FAILED, "Zone tujuan salah.")
    assert sandbox.balance_idr == 1_250_000


async def test_prepaid_success_note_has_a_serial(sandbox, provider, make_request) -> None:
    placement = await provider.place_order(make_request("S10", "prepaid", {"phone": "6281234567890"}))
    sandbox.advance(placement.reference)
    sandbox.advance(placement.reference)
    sandbox.auto_advance = False
    update = await provider.fetch_status(placement.reference, "prepaid")
    assert update is not None and update.status is ProviderStatus.SUCCESS
    assert update.note.startswith("SN: ") and update.note[4:].isdigit()


async def test_status_of_an_unknown_or_unreachable_order_is_none(sandbox, provider, make_request) -> None:
    assert await provider.fetch_status("VP1", "game") is None
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert await provider.fetch_status(placement.reference, "prepaid") is None  # wrong section
    sandbox.server_error_next()
    assert await provider.fetch_status(placement.reference, "game") is None


async def test_status_is_always_an_array_and_lists_newest_first(sandbox, provider, make_request) -> None:
    refs = [(await provider.place_order(make_request("ML86-S24", "game", ML))).reference for _ in range(3)]
    one = await provider.client.status("game", trxid=refs[0])
    assert isinstance(one.data, list) and [e["trxid"] for e in one.data] == [refs[0]]
    listed = await provider.client.status("game", limit=2)
    assert [e["trxid"] for e in listed.data] == [refs[2], refs[1]]
    assert all("zone" in e and "code" not in e for e in listed.data)


async def test_balance_level_and_stock(sandbox, provider, make_request) -> None:
    assert await provider.fetch_balance() == 1_250_000
    await provider.place_order(make_request("FF100-S1", "game", {"user_id": "42"}))
    assert await provider.fetch_balance() == 1_250_000 - 14200
    sandbox.level = "special"
    assert await provider.fetch_level() == "special"
    sandbox.stock["FF100-S1"] = 7
    assert await provider.fetch_stock("FF100-S1") == 7
    assert await provider.fetch_stock("ML5-EMPTY") == 0
    assert await provider.fetch_stock("NOPE") is None
    sandbox.block_ip()
    assert await provider.fetch_balance() is None and await provider.fetch_level() is None


async def test_nickname_found_with_region(sandbox, provider) -> None:
    rules = provider.category_rules("Mobile Legends: Bang Bang", "game")
    result = await provider.check_nickname(rules, ML)
    again = await provider.check_nickname(rules, ML)
    other = await provider.check_nickname(rules, {"user_id": "87654321", "zone_id": "2001"})
    assert result.is_found and result.nickname and result.region == "Indonesia"
    assert again.nickname == result.nickname != other.nickname
    assert sandbox.calls_of("game-feature", "get-nickname")[0] | {"key": "", "sign": ""} == {
        "key": "", "sign": "", "type": "get-nickname", "code": "mobile-legends", "target": "12345678",
        "additional_target": "2001"}


async def test_nickname_genshin_server_and_free_fire(sandbox, provider) -> None:
    genshin = provider.category_rules("Genshin Impact", "game")
    found = await provider.check_nickname(genshin, {"user_id": "812345678", "zone_id": "os_asia"})
    assert found.is_found and found.region is None
    ff = await provider.check_nickname(provider.category_rules("Free Fire", "game"), {"user_id": "123456"})
    assert ff.is_found
    assert sandbox.calls_of("game-feature", "get-nickname")[-1]["additional_target"] == ""


async def test_nickname_not_found(sandbox, provider) -> None:
    rules = provider.category_rules("Mobile Legends: Bang Bang", "game")
    for user in ("00000000", "000123"):
        result = await provider.check_nickname(rules, {"user_id": user, "zone_id": "2001"})
        assert (result.is_found, result.is_error) == (False, False)
        assert result.message == "Gagal mendapatkan nickname, pastikan ID sudah benar."


async def test_nickname_errors_are_not_blamed_on_the_buyer(sandbox, provider) -> None:
    rules = provider.category_rules("Free Fire", "game")
    sandbox.connect_error_next()
    assert (await provider.check_nickname(rules, {"user_id": "1234"})).is_error
    sandbox.server_error_next()
    assert (await provider.check_nickname(rules, {"user_id": "1234"})).is_error
    sandbox.block_ip()
    blocked = await provider.check_nickname(rules, {"user_id": "1234"})
    assert blocked.is_error and not blocked.is_found and "tidak diizinkan" in blocked.message


async def test_nickname_without_a_code_or_user_makes_no_call(sandbox, provider) -> None:
    no_check = CategoryRules((InputField("user_id", "User ID"),))
    assert not (await provider.check_nickname(no_check, {"user_id": "1"})).is_found
    empty = await provider.check_nickname(provider.category_rules("Free Fire", "game"), {"user_id": " "})
    assert not empty.is_found
    assert sandbox.calls == []


async def test_unknown_nickname_code_is_refused_by_the_emulator(provider) -> None:
    reply = await provider.client.get_nickname("no-such-game", "123")
    assert reply.outcome is CallOutcome.REFUSED
