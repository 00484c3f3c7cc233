"""Build the plugin manager and the host object plugins are handed."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import httpx
import pluggy

from core import hookspecs
from core.interfaces import Notifier, PaymentGateway, PluginInfo, ProductProvider
from core.settings import ConfigError, Settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "madd.plugins"


@dataclass
class PluginHost:
    """What a plugin gets from the core when it registers its objects.

    `transports` lets tests (and sandbox mode) route a partner's HTTP calls to an emulator;
    `sandbox_roots` records which partners run sandboxed, so the app can mount their emulators.
    """

    settings: Settings
    transports: Mapping[str, httpx.AsyncBaseTransport] = field(default_factory=dict)
    sandboxes: dict[str, Any] = field(default_factory=dict)

    def config(self, name: str) -> Mapping[str, Any]:
        return self.settings.plugin(name)

    def transport_for(self, name: str) -> httpx.AsyncBaseTransport | None:
        return self.transports.get(name)

    def is_sandboxed(self, partner: str, has_credentials: bool, setting_names: str) -> bool:
        return self.settings.sandbox_for(partner, has_credentials, setting_names)

    def sandbox_mounts(self, partner: str) -> list[Any]:
        """The route mounting this partner's emulator at /sandbox/<partner>, when it runs sandboxed."""
        from starlette.routing import Mount

        emulator = self.sandboxes.get(partner)
        return [Mount(f"/sandbox/{partner}", app=emulator.app)] if emulator is not None else []

    def sandbox_base_url(self, partner: str) -> str:
        """Where a partner's emulator is mounted inside the running store."""
        return f"{self.settings.public_url}/sandbox/{partner}"


def build_plugin_manager(settings: Settings, *, extra: list[Any] | None = None) -> pluggy.PluginManager:
    """Specs, the plugin modules named in settings, the `madd.plugins` entry points, then check_pending."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_name in settings.plugin_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"plugins.modules: cannot import {module_name!r}: {exc}") from None
        pm.register(_hooks_of(module), name=module_name)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.has_plugin(ep.name) or ep.value in settings.plugin_modules:
            continue
        pm.register(_hooks_of(ep.load()), name=ep.name)
    for obj in extra or []:
        pm.register(obj)
    pm.check_pending()
    return pm


def _hooks_of(module: Any) -> Any:
    """A plugin package keeps its @hookimpl functions in `hooks.py`; fall back to the module itself."""
    name = getattr(module, "__name__", "")
    try:
        return importlib.import_module(f"{name}.hooks")
    except ModuleNotFoundError as exc:
        if exc.name != f"{name}.hooks":
            raise
        return module


def plugin_infos(pm: pluggy.PluginManager) -> list[PluginInfo]:
    infos = []
    for name, plugin in pm.list_name_plugin():
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or []))
        version = getattr(inspect.getmodule(plugin), "__version__", "") or ""
        package = name.split(".hooks")[0]
        pkg = importlib.import_module(package) if package else None
        version = getattr(pkg, "__version__", version)
        infos.append(PluginInfo(name=package, version=str(version), hooks=hooks))
    return infos


@dataclass(frozen=True)
class Partners:
    provider: ProductProvider
    gateway: PaymentGateway
    notifiers: Mapping[str, Notifier]
    routes: tuple[Any, ...]
    template_dirs: tuple[str, ...]
    tasks: tuple[tuple[str, int, Any], ...]


def _flatten(results: list[Any]) -> list[Any]:
    out: list[Any] = []
    for r in results:
        out.extend(r or [])
    return out


def resolve_partners(pm: pluggy.PluginManager, host: PluginHost) -> Partners:
    """Ask every plugin for its objects and pick the ones `settings.yaml` selects."""
    s = host.settings
    providers = {p.name: p for p in _flatten(pm.hook.register_product_providers(host=host))}
    gateways = {g.name: g for g in _flatten(pm.hook.register_payment_gateways(host=host))}
    notifiers = {n.name: n for n in _flatten(pm.hook.register_notifiers(host=host))}
    if s.provider not in providers:
        raise ConfigError(f"plugins.provider: no plugin provides {s.provider!r} (have: {sorted(providers)})")
    if s.payment not in gateways:
        raise ConfigError(f"plugins.payment: no plugin provides {s.payment!r} (have: {sorted(gateways)})")
    missing = [n for n in s.notifiers if n not in notifiers]
    if missing:
        raise ConfigError(f"plugins.notifiers: no plugin provides {missing} (have: {sorted(notifiers)})")
    return Partners(
        provider=providers[s.provider],
        gateway=gateways[s.payment],
        notifiers={n: notifiers[n] for n in s.notifiers},
        routes=tuple(_flatten(pm.hook.register_routes(host=host))),
        template_dirs=tuple(_flatten(pm.hook.register_template_dirs(host=host))),
        tasks=tuple(_flatten(pm.hook.register_tasks(host=host))),
    )


async def call_event(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Call each listener of an event hook separately; await awaitables; log and swallow failures."""
    caller = getattr(pm.hook, hook_name)
    for impl in caller.get_hookimpls():
        args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
        try:
            result = impl.function(**args)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("listener %s of %s failed", impl.plugin_name, hook_name)
