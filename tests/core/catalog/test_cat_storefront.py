"""The category page of a big brand: grouped, common groups first, each group capped with a "Lihat semua"
link that works without JavaScript, a server-side search, and the list fragment the page's script loads."""

from __future__ import annotations

import re
from typing import Any

import httpx

from core.catalog.grouping import group_of, group_rank, slugify
from core.store import Store
from core.web.storefront import GROUP_CAP, SEARCH_CAP, group_products
from tests.conftest import Fakes
from tests.core.catalog.cat_helpers import ML_ORDER, ML_SLUG

RADIO = re.compile(r'<input type="radio" name="product" value="([^"]+)"')
GROUP = re.compile(r'<details class="group" id="grup-([a-z0-9-]+)"( open)?')


def radios(html: str) -> list[str]:
    return RADIO.findall(html)


def groups(html: str) -> list[tuple[str, bool]]:
    return [(key, bool(is_open)) for key, is_open in GROUP.findall(html)]


async def test_big_brand_page_renders_a_capped_first_screen(full_client: httpx.AsyncClient,
                                                            full_store: Store) -> None:
    visible = [p for p in await full_store.catalog.products(ML_SLUG) if not p["is_below_floor"]]
    r = await full_client.get(f"/c/{ML_SLUG}")
    assert r.status_code == 200
    shown = radios(r.text)
    found = groups(r.text)
    assert len(found) >= 8 and len(shown) <= GROUP_CAP * len(found) < len(visible)
    assert len(await full_store.catalog.products(ML_SLUG)) > 1000  # what the page did not render
    assert found[0] == ("diamonds", True), "diamonds first, and open"
    assert [is_open for _, is_open in found[1:]] == [False] * (len(found) - 1), "the other groups collapsed"
    keys = [k for k, _ in found]
    assert keys.index("pass-membership") < keys.index("promo") < keys.index("skin-gift")
    assert all(k.startswith("region-") for k in keys[keys.index("proses-lambat") + 1:]), "other regions last"
    assert "[Vilog]" not in r.text and "Joki" not in r.text
    # Within a group: available items first, cheapest first.
    by_code = {p["code"]: p for p in visible}
    first = [by_code[c] for c in shown[:GROUP_CAP]]
    assert all(p["group_name"] == "Diamonds" and p["is_available"] for p in first)
    assert [p["price_idr"] for p in first] == sorted(p["price_idr"] for p in first)
    more = f'href="/c/{ML_SLUG}?grup=diamonds#grup-diamonds"'
    assert more in r.text and "Lihat semua" in r.text


async def test_lihat_semua_works_without_javascript(full_client: httpx.AsyncClient, full_store: Store) -> None:
    visible = [p for p in await full_store.catalog.products(ML_SLUG)
               if not p["is_below_floor"] and p["group_name"] == "Diamonds"]
    r = await full_client.get(f"/c/{ML_SLUG}", params={"grup": "diamonds"})
    assert r.status_code == 200
    assert dict(groups(r.text))["diamonds"] is True
    shown = radios(r.text)
    assert set(p["code"] for p in visible) <= set(shown)
    assert len(shown) < len(visible) + GROUP_CAP * len(groups(r.text))


async def test_search_without_javascript(full_client: httpx.AsyncClient) -> None:
    r = await full_client.get(f"/c/{ML_SLUG}", params={"q": "weekly pass"})
    assert r.status_code == 200
    names = re.findall(r'<span class="p-name">([^<]+)</span>', r.text)
    assert names and all("weekly" in n.lower() and "pass" in n.lower() for n in names)
    assert all(is_open for _, is_open in groups(r.text))
    assert 'value="weekly pass"' in r.text  # the search box keeps the words
    none = await full_client.get(f"/c/{ML_SLUG}", params={"q": "zzzz-nothing"})
    assert none.status_code == 200 and "Tidak ada nominal yang cocok" in none.text


async def test_the_script_fragment_is_just_the_list(full_client: httpx.AsyncClient) -> None:
    r = await full_client.get(f"/c/{ML_SLUG}/produk", params={"grup": "promo"})
    assert r.status_code == 200 and "<html" not in r.text and "<form" not in r.text
    assert dict(groups(r.text))["promo"] is True and radios(r.text)
    assert (await full_client.get("/c/no-such-brand/produk")).status_code == 404


async def test_search_stays_out_of_the_order_form(full_client: httpx.AsyncClient) -> None:
    page = (await full_client.get(f"/c/{ML_SLUG}")).text
    # Enter in the search box must search, never submit the order: the box belongs to its own GET form.
    assert re.search(r'<input[^>]*name="q" form="product-search"', page)
    assert re.search(r'<button[^>]*type="submit" form="product-search">Cari</button>', page)
    assert f'<form id="product-search" method="get" action="/c/{ML_SLUG}#produk"' in page


async def test_a_refused_order_keeps_the_chosen_item_visible(full_client: httpx.AsyncClient,
                                                            full_store: Store, full_fakes: Fakes) -> None:
    diamonds = [p for p in await full_store.catalog.products(ML_SLUG)
                if p["group_name"] == "Diamonds" and p["is_available"] and not p["is_below_floor"]]
    late = max(diamonds, key=lambda p: p["price_idr"])  # beyond the first screen's cap
    assert late["code"] not in radios((await full_client.get(f"/c/{ML_SLUG}")).text)
    r = await full_client.post(f"/c/{ML_SLUG}", data={**ML_ORDER, "product": late["code"], "whatsapp": "12"})
    assert r.status_code == 422
    assert re.search(rf'value="{re.escape(late["code"])}"\s*\n?\s*checked', r.text)


def test_grouping_rules() -> None:
    cases = {"86 Diamonds": "Diamonds", "Weekly Diamond Pass": "Pass & Membership",
             "[Indonesia] 344 Diamonds (310 +34 Bonus) #PRM": "Diamonds", "[Promo] 756 Diamonds": "Promo",
             "[Philippines] Twilight Pass": "Region Philippines", "60 Oneiric Shard - PH": "Region Philippines",
             "60 Oneiric Shard - ID": "Top Up", "[Gift] Granger Hellbringer": "Skin & Gift",
             "[Slow] 514 Diamonds (468+46 Bonus)": "Proses Lambat", "[Indonesia] Weekly Elite Bundle":
             "Bundle & Paket", "125 Points": "Top Up", "[Indonesia] OPEN": "Lainnya",
             "Blessing Of The Welkin Moon": "Pass & Membership"}
    assert {name: group_of(name, "game") for name in cases} == cases
    assert group_of("Telkomsel 10.000", "pulsa") == "Pulsa" and group_of("Data 1GB", "data") == "Paket Data"
    assert group_rank("Diamonds") < group_rank("Pass & Membership") < group_rank("Region Brazil")
    assert slugify("Mobile Legends: Bang Bang") == "mobile-legends-bang-bang"
    assert slugify("  BY.U  ") == "by-u" and slugify("Honkai: Star Rail!") == "honkai-star-rail"


def test_search_results_are_capped() -> None:
    items: list[dict[str, Any]] = [
        {"code": f"D{i}", "name": f"{i} Diamonds", "price_idr": i, "is_available": True,
         "is_below_floor": False, "group_name": "Diamonds"} for i in range(1, 200)]
    views = group_products(items, query="diamonds")
    assert sum(len(v.items) for v in views) == SEARCH_CAP and views[0].total == 199 and views[0].more > 0
    assert len(group_products(items, query="diamonds", expand="diamonds")[0].items) == 199
    assert len(group_products(items)[0].items) == GROUP_CAP


async def test_cached_pages_follow_every_catalog_write(sqlite_store: Store, sqlite_client: httpx.AsyncClient,
                                                       fakes: Fakes, make_store: Any) -> None:
    from core.catalog import repo

    async def listed() -> dict[str, dict[str, Any]]:
        r = await sqlite_client.get(f"/api/catalog/{ML_SLUG}")
        return {p["code"]: p for p in r.json()["products"]}

    assert (await listed())["ML86-S24"]["price_idr"] == 24000  # the page cache is filled here
    fakes.vip.set_service("game", "ML86-S24", price={"basic": 30000, "premium": 29950, "special": 29900})
    await sqlite_store.catalog.sync()
    assert (await listed())["ML86-S24"]["price_idr"] == 32000
    await sqlite_store.catalog.set_override(product="ML86-S24", percent="0", fixed_idr=0)
    assert (await listed())["ML86-S24"]["price_idr"] == 30000
    await repo.set_enabled(sqlite_store.db, "ML86-S24", False)  # what the admin's switch calls
    assert "ML86-S24" not in await listed()
    assert 'value="ML86-S24"' not in (await sqlite_client.get(f"/c/{ML_SLUG}")).text
    # Another process (the worker) writes: this web process sees it through the shared version stamp.
    worker = await make_store(sqlite_store.settings, sync=False)
    await repo.set_enabled(worker.db, "ML86-S24", True)
    assert "ML86-S24" in await listed()
