from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from core.interfaces import ProviderOrderRequest
from plugins.providers_vipreseller.client import VipResellerClient
from plugins.providers_vipreseller.provider import VipResellerProvider
from plugins.providers_vipreseller.sandbox import VipResellerSandbox

DATA = Path(__file__).resolve().parents[2] / "data" / "vipreseller"
BASE = "http://vip.test/api"


def _price(basic: int) -> dict[str, int]:
    return {"basic": basic, "premium": basic - 100, "special": basic - 200}


def small_catalog() -> dict[str, list[dict[str, Any]]]:
    """A handful of rows in the provider's shapes, so order tests know their codes and prices."""
    game = [
        {"code": "ML86-S24", "game": "Mobile Legends: Bang Bang", "name": "86 Diamonds",
         "price": _price(23570), "server": "1", "status": "available"},
        {"code": "FF100-S1", "game": "Free Fire", "name": "100 Diamonds", "price": _price(14200),
         "server": "1", "status": "available"},
        {"code": "ML5-EMPTY", "game": "Mobile Legends: Bang Bang", "name": "5 Diamonds",
         "price": _price(1600), "server": "1", "status": "empty"},
        {"code": "MLJOKI-1", "game": "Mobile Legends (Joki Rank)", "name": "Epic I - Legend V",
         "price": _price(90000), "server": "1", "status": "available"},
    ]
    prepaid = [
        {"brand": "Telkomsel", "code": "S10", "name": "Telkomsel 10.000", "note": "Pulsa 10rb",
         "price": _price(10830), "status": "available", "multi_trx": True, "maintenace": "23:45 - 00:15",
         "category": "Umum", "prepost": "prepaid", "type": "pulsa-reguler"},
        {"brand": "Telkomsel", "code": "S20", "name": "Telkomsel 20.000", "note": "", "price": _price(20750),
         "status": "available", "multi_trx": True, "maintenace": "23:45 - 00:15", "category": "Umum",
         "prepost": "prepaid", "type": "pulsa-reguler"},
        {"brand": "PLN Prabayar", "code": "PLN20", "name": "PLN 20.000", "note": "", "price": _price(21500),
         "status": "available", "multi_trx": True, "maintenace": "23:45 - 00:15", "category": "Umum",
         "prepost": "prepaid", "type": "token-pln"},
    ]
    return {"game": game, "prepaid": prepaid}


@pytest.fixture
def fixture_json() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        return json.loads((DATA / name).read_text(encoding="utf-8"))
    return load


@pytest.fixture
def sandbox() -> VipResellerSandbox:
    return VipResellerSandbox(catalog=small_catalog())


@pytest.fixture
async def provider(sandbox: VipResellerSandbox) -> AsyncIterator[VipResellerProvider]:
    client = VipResellerClient(BASE, "sandbox-id", "sandbox-key", transport=sandbox.transport())
    yield VipResellerProvider(client)
    await client.aclose()


@pytest.fixture
def make_request() -> Callable[..., ProviderOrderRequest]:
    def make(product: str, section: str, target: dict[str, str], **kw: Any) -> ProviderOrderRequest:
        return ProviderOrderRequest(order_code=kw.pop("order_code", "MADD-7KQ2XD"), product_code=product,
                                    section=section, target=target, claimed_at=datetime.now(UTC), **kw)
    return make


class Replay:
    """A MockTransport that answers (endpoint, type) with canned bodies and records each form sent."""

    def __init__(self, replies: dict[tuple[str, str], Any]) -> None:
        self.replies = replies
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.rsplit("/", 1)[-1]
        form = {k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()}
        self.forms.append((endpoint, form))
        reply = self.replies[(endpoint, form.get("type", ""))]
        if callable(reply):
            return reply(request)
        return httpx.Response(200, json=reply)


@pytest.fixture
def replay() -> Callable[..., tuple[VipResellerProvider, Replay]]:
    """provider, replay = replay({("game-feature", "order"): body, ...})"""
    def make(replies: dict[tuple[str, str], Any]) -> tuple[VipResellerProvider, Replay]:
        fake = Replay(replies)
        client = VipResellerClient(BASE, "my-id", "my-key", transport=fake.transport)
        return VipResellerProvider(client), fake
    return make
