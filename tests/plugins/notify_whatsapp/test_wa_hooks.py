"""Registration through the core's plugin manager: backend choice, sandbox emulator, routes, templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from core.interfaces import OutgoingMessage, SendOutcome
from core.plugins import PluginHost, build_plugin_manager, call_event
from core.settings import ConfigError, settings_from_dict
from plugins.notify_whatsapp import __version__
from plugins.notify_whatsapp.backends import CloudBackend, FonnteBackend, LogBackend
from plugins.notify_whatsapp.sandbox import FonnteSandbox

PUBLIC = "http://127.0.0.1:8000"


def host_for(whatsapp: dict[str, Any], sandbox: str = "",
             transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> PluginHost:
    settings = settings_from_dict({
        "store": {"public_url": PUBLIC, "secret_key": "k", "sandbox": sandbox, "var_dir": "/tmp"},
        "plugins": {"modules": ["plugins.notify_whatsapp"], "config": {"whatsapp": whatsapp}},
    })
    return PluginHost(settings=settings, transports=transports or {})


def register(host: PluginHost) -> Any:
    pm = build_plugin_manager(host.settings)
    [notifiers] = pm.hook.register_notifiers(host=host)
    [notifier] = notifiers
    return pm, notifier


def test_version_is_declared():
    assert __version__ == "0.1.0"


def test_no_credentials_and_no_backend_is_the_log_backend():
    host = host_for({"fonnte_token": ""})
    pm, notifier = register(host)
    assert isinstance(notifier.backend, LogBackend) and notifier.name == "whatsapp"
    assert host.sandboxes == {}
    assert not any(isinstance(r, Mount) for r in pm.hook.register_routes(host=host)[0])


def test_fonnte_with_token_uses_the_real_base_and_interval():
    host = host_for({"fonnte_token": "dev-token", "fonnte_base_url": "https://api.fonnte.com/",
                     "send_interval_seconds": "5"})
    _, notifier = register(host)
    assert isinstance(notifier.backend, FonnteBackend)
    assert notifier.backend.base_url == "https://api.fonnte.com"
    assert notifier.backend._token == "dev-token"
    assert notifier.min_interval_seconds == 5.0
    assert host.sandboxes == {}


def test_cloud_with_credentials_and_templates():
    host = host_for({"backend": "cloud", "cloud_token": "t", "cloud_phone_number_id": "1065",
                     "cloud_templates": {"delivered": {"name": "madd_delivered", "params": ["code"]}}})
    _, notifier = register(host)
    assert isinstance(notifier.backend, CloudBackend)
    assert notifier.backend.phone_number_id == "1065"
    assert notifier.template_params("delivered", {"code": "MADD-7KQ2XD"}) == ("MADD-7KQ2XD",)


def test_sandbox_forced_with_credentials_but_no_explicit_backend_is_log():
    host = host_for({"fonnte_token": "dev-token"}, sandbox="1")
    _, notifier = register(host)
    assert isinstance(notifier.backend, LogBackend) and host.sandboxes == {}


def test_cloud_without_credentials_falls_back_to_log():
    _, notifier = register(host_for({"backend": "cloud", "cloud_token": "t"}))
    assert isinstance(notifier.backend, LogBackend)


def test_log_backend_needs_no_credentials_even_when_sandbox_is_off():
    _, notifier = register(host_for({"backend": "log"}, sandbox="0"))
    assert isinstance(notifier.backend, LogBackend)


def test_sandbox_off_without_token_names_the_setting():
    with pytest.raises(ConfigError, match="FONNTE_TOKEN"):
        register(host_for({"fonnte_token": ""}, sandbox="0"))


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError, match="WHATSAPP_BACKEND"):
        register(host_for({"backend": "telegram"}))


def test_bad_interval_is_a_config_error():
    with pytest.raises(ConfigError, match="send_interval_seconds"):
        register(host_for({"send_interval_seconds": "fast"}))


async def test_explicit_fonnte_in_sandbox_goes_through_the_mounted_emulator():
    store_app = Starlette()
    host = host_for({"backend": "fonnte", "fonnte_token": "real-token"}, sandbox="1",
                    transports={"whatsapp": httpx.ASGITransport(app=store_app)})
    pm, notifier = register(host)
    emulator = host.sandboxes["whatsapp"]
    assert isinstance(emulator, FonnteSandbox)
    assert notifier.backend.base_url == f"{PUBLIC}/sandbox/whatsapp"
    [routes] = pm.hook.register_routes(host=host)
    store_app.router.routes.extend(routes)
    result = await notifier.send(OutgoingMessage("6281234567890", "Halo 👋"))
    assert result.outcome is SendOutcome.ACCEPTED
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=store_app), base_url=PUBLIC) as c:
        outbox = (await c.get("/sandbox/whatsapp/outbox")).json()
    assert [(m["id"], m["message"]) for m in outbox] == [(result.message_id, "Halo 👋")]
    await notifier.aclose()


def test_template_dir_is_registered():
    host = host_for({})
    pm = build_plugin_manager(host.settings)
    [[folder]] = pm.hook.register_template_dirs(host=host)
    assert (Path(folder) / "notify_whatsapp" / "order_received.txt").is_file()


def test_webhook_routes_are_registered():
    host = host_for({})
    pm = build_plugin_manager(host.settings)
    [routes] = pm.hook.register_routes(host=host)
    assert {(r.path, m) for r in routes for m in r.methods or ()} >= {
        ("/webhooks/whatsapp/fonnte", "POST"), ("/webhooks/whatsapp/cloud", "GET"),
        ("/webhooks/whatsapp/cloud", "POST")}


async def test_event_listeners_run_through_the_core_dispatcher(fake_store):
    pm = build_plugin_manager(host_for({}).settings)
    await call_event(pm, "order_created", store=fake_store, order=fake_store.order)
    await call_event(pm, "owner_alert", store=fake_store, kind="low_balance", context={"balance_idr": 1})
    assert [kind for kind, _, _ in fake_store.sent()] == ["order_received", "owner_new_order",
                                                          "owner_low_balance"]
