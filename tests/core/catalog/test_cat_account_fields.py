"""Streaming / voucher brands of the game-feature list through the store: their own kinds in the catalog, one
account field (`user_id`) sent as the order's `data_no`, and server choices shown with human labels."""

from __future__ import annotations

import json

import httpx

from core.catalog.service import rules_from_row, rules_to_json
from core.interfaces import CategoryRules, InputField
from core.orders.states import Status
from core.store import RecordingJobs, Store
from plugins.providers_vipreseller.sandbox import VipResellerSandbox
from tests.conftest import VIP_ID, VIP_KEY, Fakes, StoreFactory, small_catalog
from tests.core.catalog.cat_helpers import http_client
from tests.helpers import drain_recorded, end_cooldown

YOUTUBE = {"code": "YTPREM1", "game": "Youtube Premium", "name": "YouTube Individu 1 Bulan",
           "price": {"basic": 30000, "premium": 29900, "special": 29800}, "server": "1", "status": "available"}
STEAM = {"code": "STEAM12", "game": "Steam Wallet Code", "name": "IDR 12.000 STEAM",
         "price": {"basic": 13000, "premium": 12900, "special": 12800}, "server": "1", "status": "available"}
INDOMARET = {"brand": "Indomaret", "code": "IDM25", "name": "Voucher Indomaret 25.000", "note": "",
             "price": {"basic": 25500, "premium": 25400, "special": 25300}, "status": "available",
             "type": "paket-internet"}


def test_choice_labels_round_trip_only_when_present() -> None:
    labelled = CategoryRules((InputField("user_id", "User ID"), InputField(
        "zone_id", "Server", choices=("os_asia", "os_usa"), choice_labels=("Asia", "America"))))
    raw = rules_to_json(labelled)
    assert json.loads(raw)[1]["choice_labels"] == ["Asia", "America"]
    assert "choice_labels" not in json.loads(raw)[0]
    assert rules_from_row({"fields_json": raw, "nickname_code": None}) == labelled
    plain = CategoryRules((InputField("zone_id", "Server", choices=("a", "b")),))
    assert "choice_labels" not in rules_to_json(plain)
    assert rules_from_row({"fields_json": rules_to_json(plain)}) == plain


async def test_genshin_server_options_show_labels_and_keep_codes(sqlite_store: Store) -> None:
    async with http_client(sqlite_store) as client:
        page = (await client.get("/c/genshin-impact")).text
        assert '<option value="os_asia" >Asia</option>' in page
        assert '<option value="os_cht" >TW/HK/MO</option>' in page
        detail = (await client.get("/api/catalog/genshin-impact")).json()
        server = detail["fields"][1]
        assert server["choices"] == ["os_asia", "os_usa", "os_euro", "os_cht"]
        assert server["choice_labels"] == ["Asia", "America", "Europe", "TW/HK/MO"]
        ml = (await client.get("/api/catalog/mobile-legends-bang-bang")).json()
        assert all("choice_labels" not in f for f in ml["fields"])
        # The order still carries the code, never the label.
        r = await client.post("/api/orders", json={"product": "GI60", "user_id": "812345678",
                                                   "zone_id": "Asia", "whatsapp": "0812-3456-7890"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "zone_id", r.text


async def test_streaming_item_is_its_own_kind_and_orders_by_account(fakes: Fakes, make_store: StoreFactory
                                                                    ) -> None:
    catalog = small_catalog()
    catalog["game"] += [YOUTUBE, STEAM]
    catalog["prepaid"].append(INDOMARET)
    fakes.vip = VipResellerSandbox(api_id=VIP_ID, api_key=VIP_KEY, catalog=catalog)
    jobs = RecordingJobs()
    store = await make_store(jobs=jobs)
    async with http_client(store) as client:
        listing = {c["slug"]: c for c in (await client.get("/api/catalog")).json()["categories"]}
        assert listing["youtube-premium"]["kind"] == "streaming"
        assert listing["steam-wallet-code"]["kind"] == "voucher"
        assert listing["indomaret"]["kind"] == "voucher"
        assert listing["free-fire"]["kind"] == "game"
        youtube = (await client.get("/api/catalog/youtube-premium")).json()
        assert [(f["name"], f["label"], f["required"]) for f in youtube["fields"]] == [
            ("user_id", "Email / No. HP akun", True)]
        assert youtube["nickname_check"] is False
        steam = (await client.get("/api/catalog/steam-wallet-code")).json()
        assert [(f["name"], f["label"]) for f in steam["fields"]] == [("user_id", "No. HP / Email penerima")]
        indomaret = (await client.get("/api/catalog/indomaret")).json()
        assert [f["name"] for f in indomaret["fields"]] == ["phone"]

        r = await client.post("/api/orders", json={"product": "YTPREM1", "user_id": "081298765432",
                                                   "whatsapp": "0812-3456-7890"})
        assert r.status_code == 201, r.text
        code = r.json()["code"]
        fakes.trakteer.webhook_transport = client._transport
        await fakes.trakteer.deliver(r.json()["amount_due_idr"] // 1000, message=code, name="Budi")
    order = await store.orders.get(code)
    assert order["status"] == Status.PAID
    await end_cooldown(store, order["id"])
    await drain_recorded(store, jobs, ("fulfil",))
    order = await store.orders.get(code)
    assert order["status"] == Status.PROCESSING
    (form,) = fakes.vip.calls_of("game-feature", "order")
    assert form["service"] == "YTPREM1" and form["data_no"] == "081298765432" and "data_zone" not in form
    assert fakes.vip.calls_of("prepaid", "order") == []


async def test_real_catalog_lists_streaming_and_voucher_categories(full_client: httpx.AsyncClient) -> None:
    listing = {c["slug"]: c for c in (await full_client.get("/api/catalog")).json()["categories"]}
    kinds = {slug: c["kind"] for slug, c in listing.items()}
    for slug in ("youtube-premium", "disney-hotstar", "canva-pro", "chatgpt", "amazon-prime-video"):
        assert kinds.get(slug) == "streaming", slug
    for slug in ("steam-wallet-code", "voucher-psn", "razer-gold", "voucher-valorant", "apple-gift-card"):
        assert kinds.get(slug) == "voucher", slug
    for slug in ("mobile-legends-bang-bang", "free-fire", "honor-of-kings-global", "valorant", "genshin-impact"):
        assert kinds.get(slug) == "game", slug
    assert kinds["indomaret"] == "voucher"
    indomaret = (await full_client.get("/api/catalog/indomaret")).json()
    assert [f["name"] for f in indomaret["fields"]] == ["phone"]
    steam = (await full_client.get("/api/catalog/steam-wallet-code")).json()
    assert [(f["name"], f["label"]) for f in steam["fields"]] == [("user_id", "No. HP / Email penerima")]
