"""Fixtures of the catalog tests: a store on the emulator's real 6,075-product catalog."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from core.store import Store
from plugins.providers_vipreseller.sandbox import VipResellerSandbox
from tests.conftest import VIP_ID, VIP_KEY, Fakes, StoreFactory
from tests.core.catalog.cat_helpers import http_client


@pytest.fixture
def full_fakes(fakes: Fakes) -> Fakes:
    """The shared fakes, with the provider emulator serving its default (real-shaped) catalog."""
    fakes.vip = VipResellerSandbox(api_id=VIP_ID, api_key=VIP_KEY)
    return fakes


@pytest.fixture
async def full_store(full_fakes: Fakes, make_store: StoreFactory) -> Store:
    return await make_store()  # type: ignore[no-any-return]


@pytest.fixture
async def full_client(full_store: Store) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(full_store) as c:
        yield c
