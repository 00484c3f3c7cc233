"""Each hook, driven by a throw-away plugin registered for one test (Datasette style)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from core import hookimpl
from core.queue import run_sweep
from core.store import Store
from tests.conftest import Fakes, client_for, make_settings


class ThrowAway:
    def __init__(self, tmp: Path) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.task_runs = 0
        self.tmp = tmp

    @hookimpl
    def register_routes(self, host: Any) -> list[Any]:
        async def hello(request: Any) -> PlainTextResponse:
            return PlainTextResponse(f"halo dari plugin, {request.app.state.store.settings.store_name}")
        return [Route("/plugin/hello", hello)]

    @hookimpl
    def register_tasks(self, host: Any) -> list[tuple[str, int, Any]]:
        async def job(store: Store) -> None:
            self.task_runs += 1
        return [("throwaway-job", 3600, job)]

    @hookimpl
    def register_template_dirs(self, host: Any) -> list[str]:
        folder = self.tmp / "tpl" / "throwaway"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "hello.txt").write_text("Halo {{ name }} {{ 24000|idr }}")
        return [str(self.tmp / "tpl")]

    @hookimpl
    def order_created(self, store: Any, order: Any) -> None:
        self.seen.append(("order_created", order["code"]))

    @hookimpl
    async def payment_recorded(self, store: Any, order: Any, payment: Any) -> None:
        self.seen.append(("payment_recorded", payment["amount_idr"]))

    @hookimpl
    def payment_unmatched(self, store: Any, payment: Any) -> None:
        self.seen.append(("payment_unmatched", payment["amount_idr"]))

    @hookimpl
    def order_status_changed(self, store: Any, order: Any, old: str, new: str, reason: str) -> None:
        self.seen.append(("order_status_changed", (old, new)))

    @hookimpl
    def owner_alert(self, store: Any, kind: str, context: dict[str, Any]) -> None:
        self.seen.append(("owner_alert", kind))


class Broken:
    """A listener that always fails must never break the money path nor silence other listeners."""

    @hookimpl(tryfirst=True)
    def order_created(self, store: Any, order: Any) -> None:
        raise RuntimeError("boom")

    @hookimpl(tryfirst=True)
    async def payment_recorded(self, store: Any, order: Any, payment: Any) -> None:
        raise RuntimeError("boom")


async def test_throwaway_plugin_sees_every_hook(tmp_path: Path, fakes: Fakes) -> None:
    plugin = ThrowAway(tmp_path)
    store = Store(make_settings(tmp_path), transports=fakes.transports(), extra_plugins=[plugin, Broken()])
    await store.connect()
    try:
        await store.catalog.sync()
        async with client_for(store) as client:
            fakes.trakteer.webhook_transport = client._transport
            r = await client.get("/plugin/hello")
            assert r.status_code == 200 and r.text == "halo dari plugin, Madd Store"
            r = await client.post("/api/orders", json={"product": "ML86-S24", "user_id": "12345678",
                                                       "zone_id": "2001", "whatsapp": "081234567890"})
            assert r.status_code == 201  # the broken listener did not break order creation
            code = r.json()["code"]
            await fakes.trakteer.deliver(24, message=code)
            await fakes.trakteer.deliver(3, message="tanpa kode")
        await store.alert_owner("low_balance", {"balance_idr": 1}, key="k")
        kinds = [k for k, _ in plugin.seen]
        assert ("order_created", code) in plugin.seen
        assert ("payment_recorded", 24000) in plugin.seen
        assert ("payment_unmatched", 3000) in plugin.seen
        assert ("order_status_changed", ("awaiting_payment", "paid")) in plugin.seen
        assert "owner_alert" in kinds
        assert store.templates.get_template("throwaway/hello.txt").render(name="Banyu") == "Halo Banyu Rp 24.000"

        await run_sweep(store)
        await run_sweep(store)
        assert plugin.task_runs == 1  # registered every hour: the second sweep does not run it again
    finally:
        await store.close()


class OtherProvider:
    """A second provider swapped in through settings alone (plugins.provider), no core edit."""

    name = "otherprov"

    @hookimpl
    def register_product_providers(self, host: Any) -> list[Any]:
        return [self]

    async def fetch_catalog(self) -> list[Any]:
        from core.interfaces import CatalogItem
        return [CatalogItem(code="X1", name="Item X", brand="Game X", kind="game", section="game", cost_idr=9500,
                            is_available=True)]

    def category_rules(self, brand: str, kind: str) -> Any:
        from core.interfaces import CategoryRules, InputField
        return CategoryRules(fields=(InputField("user_id", "User ID"),))


async def test_another_provider_is_selected_by_settings(tmp_path: Path, fakes: Fakes) -> None:
    settings = make_settings(tmp_path)
    from dataclasses import replace
    settings = replace(settings, provider="otherprov")
    store = Store(settings, transports=fakes.transports(), extra_plugins=[OtherProvider()])
    await store.connect()
    try:
        assert store.provider.name == "otherprov"
        await store.catalog.sync()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client_for(store)._transport.app),
                                     base_url="http://store.test") as client:
            r = await client.get("/api/catalog/game-x")
            assert r.json()["products"][0]["price_idr"] == 10000  # 9.500 + 5 % rounded up to Rp 1.000
    finally:
        await store.close()
