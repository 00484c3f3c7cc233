"""Placing and settling orders against the stateful emulator."""

from __future__ import annotations

import pytest

from core.interfaces import PlacementOutcome, ProviderStatus
from plugins.providers_vipreseller.client import VipResellerClient
from plugins.providers_vipreseller.provider import VipResellerProvider
from plugins.providers_vipreseller.sandbox import VipResellerSandbox

ML = {"user_id": "12345678", "zone_id": "2001"}
SIGN = "885c2ab9314744841eba8303959a396d"  # md5("sandbox-id" + "sandbox-key")


async def test_game_order_sends_one_order_with_separate_zone(provider, sandbox, make_request) -> None:
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    orders = sandbox.calls_of("game-feature", "order")
    assert orders == [{"key": "sandbox-key", "sign": SIGN, "type": "order", "service": "ML86-S24",
                       "data_no": "12345678", "data_zone": "2001"}]
    assert placement.outcome is PlacementOutcome.ACCEPTED
    assert placement.reference == sandbox.orders[0]["trxid"] and placement.reference.startswith("VP")
    assert placement.reference[2:].isdigit()
    assert (placement.cost_idr, placement.balance_idr) == (23570, 1_250_000 - 23570)
    assert sandbox.balance_idr == 1_250_000 - 23570
    assert placement.status is ProviderStatus.PENDING


async def test_game_without_zone_sends_no_zone(provider, sandbox, make_request) -> None:
    placement = await provider.place_order(make_request("FF100-S1", "game", {"user_id": " 998877 "}))
    assert placement.outcome is PlacementOutcome.ACCEPTED
    (form,) = sandbox.calls_of("game-feature", "order")
    assert form["data_no"] == "998877" and "data_zone" not in form


async def test_prepaid_phone_goes_out_in_local_form(provider, sandbox, make_request) -> None:
    placement = await provider.place_order(make_request("S10", "prepaid", {"phone": "6281234567890"}))
    assert placement.outcome is PlacementOutcome.ACCEPTED
    (form,) = sandbox.calls_of("prepaid", "order")
    assert form["data_no"] == "081234567890" and form["service"] == "S10" and "data_zone" not in form
    assert sandbox.calls_of("game-feature") == []


async def test_pln_uses_the_meter_number(provider, sandbox, make_request) -> None:
    placement = await provider.place_order(make_request("PLN20", "prepaid", {"meter_no": "12345678901"}))
    assert placement.outcome is PlacementOutcome.ACCEPTED
    assert sandbox.calls_of("prepaid", "order")[0]["data_no"] == "12345678901"


async def test_insufficient_balance_needs_a_deposit(sandbox, provider, make_request) -> None:
    sandbox.balance_idr = 1000
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert (placement.outcome, placement.flag) == (PlacementOutcome.REFUSED, "needs_deposit")
    assert placement.reason == "Saldo Anda tidak cukup untuk melakukan pemesanan ini."
    assert sandbox.orders == [] and sandbox.balance_idr == 1000


@pytest.mark.parametrize("setup", ["ip", "unknown_service", "empty_service"])
async def test_refusals_before_buying_need_attention(sandbox, provider, make_request, setup: str) -> None:
    product = "ML86-S24"
    if setup == "ip":
        sandbox.block_ip("203.0.113.7")
    elif setup == "unknown_service":
        product = "NOPE-1"
    else:
        product = "ML5-EMPTY"
    placement = await provider.place_order(make_request(product, "game", ML))
    assert (placement.outcome, placement.flag) == (PlacementOutcome.REFUSED, "needs_attention")
    assert placement.reason
    assert sandbox.orders == []


async def test_bad_credentials_need_attention(sandbox, make_request) -> None:
    async with VipResellerClient("http://vip.test/api", "sandbox-id", "wrong",
                                 transport=sandbox.transport()) as c:
        placement = await VipResellerProvider(c).place_order(make_request("ML86-S24", "game", ML))
    assert (placement.outcome, placement.flag) == (PlacementOutcome.REFUSED, "needs_attention")
    assert sandbox.orders == []


@pytest.mark.parametrize(("message", "outcome", "flag"), [
    ("Nomor tujuan salah.", PlacementOutcome.FAILED, None),
    ("Zone tujuan salah.", PlacementOutcome.FAILED, None),
    ("ID Pelanggan tidak valid.", PlacementOutcome.FAILED, None),
    ("User ID tidak ditemukan.", PlacementOutcome.FAILED, None),
    ("Layanan tidak ditemukan.", PlacementOutcome.REFUSED, "needs_attention"),
    ("Produk sedang gangguan.", PlacementOutcome.REFUSED, "needs_attention"),
    ("Server sedang maintenance.", PlacementOutcome.REFUSED, "needs_attention"),
    ("Stok kosong.", PlacementOutcome.REFUSED, "needs_attention"),
    ("Sign tidak valid.", PlacementOutcome.REFUSED, "needs_attention"),
    ("IP 10.0.0.1 tidak diizinkan.", PlacementOutcome.REFUSED, "needs_attention"),
    ("Saldo tidak cukup.", PlacementOutcome.REFUSED, "needs_deposit"),
    ("Terjadi kesalahan, silakan coba lagi.", PlacementOutcome.REFUSED, "needs_attention"),
    ("", PlacementOutcome.REFUSED, "needs_attention"),
])
async def test_refusal_messages_are_classified(sandbox, provider, make_request, message, outcome,
                                               flag) -> None:
    sandbox.fail_next_order(message)
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert (placement.outcome, placement.flag) == (outcome, flag)
    assert placement.reason == message
    assert sandbox.orders == []


async def test_connect_error_was_never_sent(sandbox, provider, make_request) -> None:
    sandbox.connect_error_next()
    placement = await provider.place_order(make_request("ML86-S24", "game", ML))
    assert (placement.outcome, placement.flag) == (PlacementOutcome.REFUSED, "retry_later")
    assert sandbox.calls == [] and sandbox.orders == []


async def test_timeout_after_accept_is_unknown_then_settled_to_the_real_trxid(sandbox, provider,
                                                                            make_request) -> None:
    sandbox.timeout_next_order()
    request = make_request("ML86-S24", "game", ML, expected_cost_idr=23000)
    placement = await provider.place_order(request)
    assert placement.outcome is PlacementOutcome.UNKNOWN and placement.reference is None
    settled = await provider.settle(request)
    assert settled.outcome is PlacementOutcome.ACCEPTED
    assert settled.reference == sandbox.orders[0]["trxid"]
    assert settled.cost_idr == 23570 and settled.status is ProviderStatus.PENDING
    assert len(sandbox.orders) == 1 and len(sandbox.calls_of("game-feature", "order")) == 1
    assert sandbox.calls_of("game-feature", "status")[-1]["limit"] == "50"


async def test_slow_reply_past_the_read_timeout_is_unknown(sandbox, make_request) -> None:
    sandbox.delay_seconds = 0.3
    async with VipResellerClient("http://vip.test/api", "sandbox-id", "sandbox-key", timeout_seconds=0.05,
                                 transport=sandbox.transport()) as client:
        placement = await VipResellerProvider(client).place_order(make_request("ML86-S24", "game", ML))
    assert placement.outcome is PlacementOutcome.UNKNOWN
    assert len(sandbox.orders) == 1  # the provider did buy it


@pytest.mark.parametrize("fault", ["server_error_next", "garbage_next"])
async def test_5xx_or_garbage_is_unknown_and_settles_as_not_placed(sandbox, provider, make_request,
                                                                 fault: str) -> None:
    getattr(sandbox, fault)()
    request = make_request("ML86-S24", "game", ML)
    assert (await provider.place_order(request)).outcome is PlacementOutcome.UNKNOWN
    settled = await provider.settle(request)
    assert settled.outcome is PlacementOutcome.NOT_PLACED and settled.reference is None


async def test_settle_skips_references_owned_by_other_orders(sandbox, provider, make_request) -> None:
    first = await provider.place_order(make_request("ML86-S24", "game", ML, order_code="MADD-AAAAAA"))
    mine = make_request("ML86-S24", "game", ML, known_references=frozenset({first.reference}))
    assert (await provider.settle(mine)).outcome is PlacementOutcome.NOT_PLACED
    second = await provider.place_order(make_request("ML86-S24", "game", ML))
    settled = await provider.settle(mine)
    assert (settled.outcome, settled.reference) == (PlacementOutcome.ACCEPTED, second.reference)


async def test_settle_takes_the_newest_match(sandbox, provider, make_request) -> None:
    await provider.place_order(make_request("ML86-S24", "game", ML))
    newest = await provider.place_order(make_request("ML86-S24", "game", ML))
    settled = await provider.settle(make_request("ML86-S24", "game", ML))
    assert settled.reference == newest.reference


@pytest.mark.parametrize(("target", "expected"), [
    ({"user_id": "12345678", "zone_id": "2001"}, PlacementOutcome.ACCEPTED),
    ({"user_id": "12345679", "zone_id": "2001"}, PlacementOutcome.NOT_PLACED),
    ({"user_id": "12345678", "zone_id": "2002"}, PlacementOutcome.NOT_PLACED),
])
async def test_settle_matches_target_and_zone(sandbox, provider, make_request, target, expected) -> None:
    await provider.place_order(make_request("ML86-S24", "game", ML))
    assert (await provider.settle(make_request("ML86-S24", "game", target))).outcome is expected


@pytest.mark.parametrize(("expected_cost", "outcome"), [
    (23570, PlacementOutcome.ACCEPTED), (19700, PlacementOutcome.ACCEPTED),
    (28280, PlacementOutcome.ACCEPTED), (None, PlacementOutcome.ACCEPTED),
    (19000, PlacementOutcome.NOT_PLACED), (30000, PlacementOutcome.NOT_PLACED),
])
async def test_settle_price_window(sandbox, provider, make_request, expected_cost, outcome) -> None:
    await provider.place_order(make_request("ML86-S24", "game", ML))
    request = make_request("ML86-S24", "game", ML, expected_cost_idr=expected_cost)
    assert (await provider.settle(request)).outcome is outcome


async def test_settle_prepaid_compares_phone_forms_and_code(sandbox, provider, make_request) -> None:
    sandbox.timeout_next_order()
    request = make_request("S10", "prepaid", {"phone": "6281234567890"})
    assert (await provider.place_order(request)).outcome is PlacementOutcome.UNKNOWN
    settled = await provider.settle(request)
    assert (settled.outcome, settled.reference) == (PlacementOutcome.ACCEPTED, sandbox.orders[0]["trxid"])
    other_product = make_request("S20", "prepaid", {"phone": "6281234567890"})
    assert (await provider.settle(other_product)).outcome is PlacementOutcome.NOT_PLACED
    assert sandbox.calls_of("game-feature") == []


async def test_settle_is_unknown_when_the_lookup_fails(sandbox, provider, make_request) -> None:
    await provider.place_order(make_request("ML86-S24", "game", ML))
    sandbox.server_error_next()
    assert (await provider.settle(make_request("ML86-S24", "game", ML))).outcome is PlacementOutcome.UNKNOWN
    sandbox.connect_error_next()
    assert (await provider.settle(make_request("ML86-S24", "game", ML))).outcome is PlacementOutcome.UNKNOWN


async def test_settle_is_unknown_when_a_full_page_hides_older_orders(make_request) -> None:
    sandbox = VipResellerSandbox(balance_idr=10_000_000,
                                 catalog={"game": [{"code": "FF5", "game": "Free Fire", "name": "5 Diamonds",
                                                    "price": 1000, "status": "available"}], "prepaid": []})
    async with VipResellerClient("http://vip.test/api", "sandbox-id", "sandbox-key",
                                 transport=sandbox.transport()) as client:
        provider = VipResellerProvider(client)
        for i in range(50):
            await provider.place_order(make_request("FF5", "game", {"user_id": f"5{i:07d}"}))
        settled = await provider.settle(make_request("FF5", "game", {"user_id": "99999999"}))
    assert settled.outcome is PlacementOutcome.UNKNOWN


async def test_missing_target_fails_without_calling(sandbox, provider, make_request) -> None:
    placement = await provider.place_order(make_request("S10", "prepaid", {}))
    assert placement.outcome is PlacementOutcome.FAILED
    assert sandbox.calls == []
