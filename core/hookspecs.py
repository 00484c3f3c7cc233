"""Hook specifications: how plugins plug into Madd Store.

Two families:

* **Registration hooks** return objects (providers, gateways, notifiers, routes, template folders, periodic
  tasks). `settings.yaml` then selects which provider and gateway are active and which notifiers run.
* **Event hooks** announce what happened to an order. Core calls every listener separately and logs (never
  propagates) a listener's failure, so a broken notifier can never break the money path. A listener may be a
  plain function or return an awaitable; core awaits it.

Plugins import the markers from `core` (``from core import hookimpl``). `docs/plugins.md` mirrors this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from core.interfaces import Notifier, PaymentGateway, ProductProvider
    from core.plugins import PluginHost

PROJECT = "madd"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ------------------------------------------------------------------------------------------------------
# Registration
# ------------------------------------------------------------------------------------------------------


@hookspec
def register_product_providers(host: PluginHost) -> list[ProductProvider]:  # type: ignore[empty-body]
    """Return the product providers this plugin offers.

    :param host: the plugin host: settings, this plugin's config, injected transports, sandbox decisions.
    :returns: a list of objects implementing :class:`core.interfaces.ProductProvider`; each ``name`` is
        what ``plugins.provider`` in ``settings.yaml`` selects.
    """


@hookspec
def register_payment_gateways(host: PluginHost) -> list[PaymentGateway]:  # type: ignore[empty-body]
    """Return the payment gateways this plugin offers.

    :param host: the plugin host.
    :returns: objects implementing :class:`core.interfaces.PaymentGateway`; ``plugins.payment`` selects one.
        The core serves its webhook at ``POST /webhooks/<name>``.
    """


@hookspec
def register_notifiers(host: PluginHost) -> list[Notifier]:  # type: ignore[empty-body]
    """Return the notifiers (message channels) this plugin offers.

    :param host: the plugin host.
    :returns: objects implementing :class:`core.interfaces.Notifier`; ``plugins.notifiers`` lists the
        channels that run. Messages go through the core outbox, which calls ``send``.
    """


@hookspec
def register_routes(host: PluginHost) -> list[Any]:  # type: ignore[empty-body]
    """Return extra Starlette routes (partner webhooks of notifiers, sandbox emulators mounted in demo mode).

    :param host: the plugin host.
    :returns: a list of ``starlette.routing.Route`` / ``Mount``. Handlers reach the core services through
        ``request.app.state.store``.
    """


@hookspec
def register_template_dirs(host: PluginHost) -> list[str]:  # type: ignore[empty-body]
    """Return template folders; templates inside are namespaced by a sub-folder named after the plugin.

    :param host: the plugin host.
    :returns: folder paths searched after the active theme and before the default theme.
    """


@hookspec
def register_tasks(host: PluginHost) -> list[tuple[str, int, Any]]:  # type: ignore[empty-body]
    """Return periodic jobs the worker runs: ``(name, every_seconds, async_callable(store))``.

    :param host: the plugin host.
    :returns: a list of tuples; the worker schedules each one and the sweep runs it with the store.
    """


# ------------------------------------------------------------------------------------------------------
# Order events (fan out to every plugin; failures are logged, never raised)
# ------------------------------------------------------------------------------------------------------


@hookspec
def order_created(store: Any, order: Any) -> Any:
    """A buyer placed an order (status ``awaiting_payment``).

    :param store: the core services (:class:`core.store.Store`).
    :param order: the order row as a mapping (see :mod:`core.orders.repo`).
    :returns: nothing, or an awaitable.
    """


@hookspec
def payment_recorded(store: Any, order: Any, payment: Any) -> Any:
    """A payment was added to an order's ledger (once per gateway payment, however often it is delivered).

    :param store: the core services.
    :param order: the order after the payment was applied.
    :param payment: the payment row.
    :returns: nothing, or an awaitable.
    """


@hookspec
def payment_unmatched(store: Any, payment: Any) -> Any:
    """A payment arrived that matches no open order (no code, unknown code, closed order).

    :param store: the core services.
    :param payment: the payment row.
    :returns: nothing, or an awaitable.
    """


@hookspec
def order_status_changed(store: Any, order: Any, old: str, new: str, reason: str) -> Any:
    """An order moved from ``old`` to ``new`` through the state machine (DESIGN §3).

    :param store: the core services.
    :param order: the order after the change.
    :param old: previous status.
    :param new: new status.
    :param reason: why, in the actor's words.
    :returns: nothing, or an awaitable.
    """


@hookspec
def owner_alert(store: Any, kind: str, context: dict[str, Any]) -> Any:
    """Something Banyu should know that is not an order transition (low balance, unmatched payment, …).

    :param store: the core services.
    :param kind: ``low_balance``, ``needs_deposit``, ``unmatched_payment``, ``provider_failure``,
        ``gateway_disconnected``, ``price_floor``.
    :param context: values for the message.
    :returns: nothing, or an awaitable.
    """
