"""MADD_SANDBOX=1 without Trakteer credentials: the store mounts the Trakteer emulator, a person opens the
order's pay link, submits the tip form as a browser would, and the order turns paid through the webhook."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from core.app import create_app
from core.store import RecordingJobs, Store
from tests.conftest import make_settings, small_catalog


class Loopback(httpx.AsyncBaseTransport):
    """What MADD_SANDBOX does over the network (partners at `<public_url>/sandbox/…`), in-process."""

    def __init__(self) -> None:
        self.app: Any = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await httpx.ASGITransport(app=self.app).handle_async_request(request)


@pytest.fixture
async def sandbox_store(tmp_path: Path) -> AsyncIterator[tuple[Store, httpx.AsyncClient]]:
    plugins = {
        "modules": ["plugins.providers_vipreseller", "plugins.payment_trakteer", "plugins.notify_whatsapp"],
        "provider": "vipreseller", "payment": "trakteer", "notifiers": ["whatsapp"],
        "config": {"vipreseller": {}, "trakteer": {"unit_price_idr": "1000"},
                   "whatsapp": {"backend": "fonnte", "send_interval_seconds": 0}},
    }
    settings = make_settings(tmp_path, sandbox="1", plugins=plugins)
    loop = Loopback()
    store = Store(settings, transports={"vipreseller": loop, "trakteer": loop, "whatsapp": loop},
                  jobs=RecordingJobs())
    await store.connect()
    try:
        app = create_app(settings, store=store)
        loop.app = app
        store.sandboxes["vipreseller"].catalog = small_catalog()
        await store.catalog.sync()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 5555)),
                                     base_url="http://store.test") as client:
            store.sandboxes["trakteer"].webhook_transport = client._transport
            yield store, client
    finally:
        await store.close()


def _form_fields(page: str) -> dict[str, str]:
    """The values a browser would submit from the tip form (inputs, the textarea, the selected option)."""
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', page, re.S):
        fields[name] = html.unescape(text)
    select = re.search(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', page, re.S)
    if select:
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(2))
        fields[select.group(1)] = chosen.group(1) if chosen else ""
    return fields


async def test_paying_on_the_emulated_tip_page_turns_the_order_paid(sandbox_store: Any) -> None:
    store, client = sandbox_store
    assert "trakteer" in store.sandboxes and store.gateway.verify_webhook({"X-Webhook-Token": "sandbox-token"})

    r = await client.post("/api/orders", json={"product": "ML86-S24", "user_id": "12345678", "zone_id": "2001",
                                               "whatsapp": "0812-3456-7890"})
    assert r.status_code == 201, r.text
    created = r.json()
    pay = urlsplit(created["pay_url"])
    assert created["pay_url"].startswith("http://store.test/sandbox/trakteer/maddstore/tip?")

    invoice = await client.get(urlsplit(created["invoice_url"]).path)
    assert invoice.status_code == 200 and html.escape(created["pay_url"]) in invoice.text  # the "Bayar" button

    page = await client.get(f"{pay.path}?{pay.query}")
    assert page.status_code == 200 and "<form" in page.text
    fields = _form_fields(page.text)
    assert fields["quantity"] == "24" and fields["supporter_message"] == created["code"]
    fields["display_name"] = "Budi"

    paid = await client.post(f"{pay.path}?{pay.query}", data=fields)  # the browser posts to the same URL
    assert paid.status_code == 200 and "terkirim ke toko" in paid.text and "Rp 24.000" in paid.text

    status = (await client.get(f"/api/orders/{created['code']}")).json()
    assert status["status"] == "paid" and status["payment_state"] == "full" and status["amount_paid_idr"] == 24000
    [payment] = await store.payments.payments_of((await store.orders.get(created["code"]))["id"])
    assert payment["payer_name"] == "Budi" and payment["source"] == "webhook"
    # Reconciliation reads the same emulator's API (through the store's mount): nothing new, nothing doubled.
    assert await store.payments.reconcile() == 0
    assert (await client.get(f"/api/orders/{created['code']}")).json()["amount_paid_idr"] == 24000
