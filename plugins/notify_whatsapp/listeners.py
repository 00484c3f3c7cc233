"""Order events → WhatsApp messages in the core outbox.

Each message is enqueued under an idempotency key `<order code>:<kind>:<version>` so a repeated event
never sends twice; the version is `1` for things that happen once per order, the payment id for
per-payment messages and the transition time for transitions that can repeat (failed after a retry).
The outbox renders `notify_whatsapp/<kind>.txt` with the context and sends it later.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.phone import PhoneError, mask, normalise

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
OWNER_KINDS = ("new_order", "payment", "unmatched_payment", "provider_failure", "low_balance",
               "needs_deposit", "needs_attention", "gateway_disconnected", "price_floor")
BUYER_KINDS = ("order_received", "payment_received", "underpaid", "scheduled", "delivered", "failed",
               "cancelled", "expired", "order_status")


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def field(row: Any, key: str, default: Any = None) -> Any:
    """`row[key]` for dicts and database records alike, `default` when absent."""
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return default
    return default if value is None else value


def stamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def template_for(kind: str) -> str:
    return f"notify_whatsapp/{kind}.txt"


def owner_number(store: Any) -> str | None:
    """Banyu's canonical number, or None when owner alerts are off (unset) or the number is unusable."""
    raw = str(getattr(store.settings, "owner_whatsapp", "") or "").strip()
    if not raw:
        return None
    try:
        return normalise(raw).canonical
    except PhoneError as exc:
        log.warning("MADD_OWNER_WHATSAPP is not a mobile number (%s): owner alerts are off", exc.reason)
        return None


async def enqueue(store: Any, kind: str, recipient: str | None, context: Mapping[str, Any], key: str,
                  order_id: Any = None) -> Any:
    """Record one message in the outbox; returns its id, or None when skipped / already recorded.

    Failures are logged here so the buyer's message failing never silences the owner's, or vice versa.
    """
    if not recipient:
        return None
    try:
        return await store.outbox.enqueue(channel=CHANNEL, recipient=recipient, template=template_for(kind),
                                          context=dict(context), key=key, kind=kind, order_id=order_id)
    except Exception:
        log.exception("whatsapp: could not enqueue %s for %s", kind, mask(recipient))
        return None


async def _context(store: Any, order: Any) -> dict[str, Any]:
    return dict(await maybe_await(store.message_context(order)))


async def _to_buyer(store: Any, order: Any, ctx: Mapping[str, Any], kind: str, version: str) -> Any:
    return await enqueue(store, kind, ctx.get("whatsapp") or field(order, "whatsapp"), ctx,
                         f"{ctx['code']}:{kind}:{version}", field(order, "id"))


async def _to_owner(store: Any, order: Any, ctx: Mapping[str, Any], kind: str, version: str) -> Any:
    return await enqueue(store, kind, owner_number(store), ctx, f"{ctx['code']}:{kind}:{version}",
                         field(order, "id"))


async def order_created(store: Any, order: Any) -> None:
    ctx = await _context(store, order)
    await _to_buyer(store, order, ctx, "order_received", "1")
    await _to_owner(store, order, ctx, "owner_new_order", "1")


def _payment_context(ctx: Mapping[str, Any], payment: Any) -> dict[str, Any]:
    return {**ctx, "payment_amount_idr": field(payment, "amount_idr", 0),
            "payer_name": field(payment, "payer_name", ""), "payment_id": field(payment, "id")}


async def payment_recorded(store: Any, order: Any, payment: Any) -> None:
    ctx = _payment_context(await _context(store, order), payment)
    payment_id = stamp(field(payment, "id"))
    # Every partial payment gets its own "still due" message, hence the payment id in the key.
    if field(order, "status") == "underpaid":
        await _to_buyer(store, order, ctx, "underpaid", payment_id)
    await _to_owner(store, order, ctx, "owner_payment", payment_id)


async def order_status_changed(store: Any, order: Any, old: str, new: str, reason: str) -> None:
    ctx = await _context(store, order)
    if new == "paid":
        fulfil_at = field(order, "fulfil_at")
        if old in ("awaiting_payment", "underpaid"):
            kind = "scheduled" if fulfil_at else "payment_received"
            await _to_buyer(store, order, ctx, kind, "1")
        elif old in ("on_hold", "failed") and fulfil_at:
            # Released or retried: tell the new time; each schedule is its own message.
            await _to_buyer(store, order, ctx, "scheduled", stamp(fulfil_at))
        # processing → paid is a refusal before buying (deposit short): Banyu's business, not the buyer's.
    elif new == "success":
        await _to_buyer(store, order, ctx, "delivered", "1")
    elif new == "failed":
        # A retried order can fail again: the transition time tells the two failures apart.
        version = stamp(field(order, "updated_at", "1"))
        await _to_buyer(store, order, ctx, "failed", version)
        await _to_owner(store, order, {**ctx, "reason": reason}, "owner_provider_failure", version)
    elif new in ("expired", "cancelled"):
        await _to_buyer(store, order, ctx, new, "1")


def _store_name(store: Any) -> str:
    return str(getattr(store.settings, "store_name", "") or "")


async def payment_unmatched(store: Any, payment: Any) -> None:
    ctx = {"store_name": _store_name(store), "amount_idr": field(payment, "amount_idr", 0),
           "payer_name": field(payment, "payer_name", ""), "message": field(payment, "message", ""),
           "external_id": field(payment, "external_id", ""), "payment_id": field(payment, "id")}
    await enqueue(store, "owner_unmatched_payment", owner_number(store), ctx,
                  f"owner_unmatched_payment:{stamp(field(payment, 'id'))}")


def alert_key(kind: str, context: Mapping[str, Any]) -> str:
    """`owner_<kind>:<x>` where x is the core's `alert_key` (`store.alert_owner(kind, ctx, key)`) or the
    caller's `key`, else a payment id or order code, else a digest of the context.

    The core's key comes first: it tells apart two alerts of one order (a second late payment, a second
    refusal), which the order code alone would merge into one message.
    """
    for name in ("alert_key", "key", "payment_id", "code"):
        value = context.get(name)
        if value not in (None, ""):
            return f"owner_{kind}:{stamp(value)}"
    digest = hashlib.sha256(json.dumps(dict(context), sort_keys=True, default=str).encode()).hexdigest()
    return f"owner_{kind}:{digest[:16]}"


async def owner_alert(store: Any, kind: str, context: Mapping[str, Any]) -> None:
    if kind not in OWNER_KINDS:
        log.warning("whatsapp: no owner message for alert kind %r", kind)
        return
    ctx = {"store_name": _store_name(store), **dict(context or {})}
    key = alert_key(kind, ctx)  # from the alert as raised, before the order details are added
    order_id = ctx.get("order_id")
    order = await _alert_order(store, ctx.get("code"))
    if order is not None:
        # The order's details (product, target, amounts) make the alert actionable from the phone;
        # the alert's own values win.
        ctx = {**await _context(store, order), **ctx}
        order_id = order_id or field(order, "id")
    await enqueue(store, f"owner_{kind}", owner_number(store), ctx, key, order_id)


async def _alert_order(store: Any, code: Any) -> Any:
    if not code:
        return None
    try:
        return await maybe_await(store.orders.get_by_code(str(code)))
    except Exception:  # the alert matters more than its details
        log.exception("whatsapp: could not load order %s for an owner alert", code)
        return None


async def reply_order_status(store: Any, sender: str, text: str, message_id: str = "") -> Any:
    """Answer a buyer who wrote an order code with that order's status; None when nothing to answer."""
    code = await maybe_await(store.orders.find_code(text))
    if not code:
        return None
    try:
        recipient = normalise(sender).canonical
    except PhoneError:
        return None
    order = await maybe_await(store.orders.get_by_code(code))
    if order is None:
        return None
    if field(order, "whatsapp") != recipient:
        # Only the buyer's own number gets an answer: the code may be seen by others (it is in the payment
        # message), and answering anyone would let strangers make the store's number send messages.
        log.info("order status asked for %s from another number; not answered", code)
        return None
    ctx = await _context(store, order)
    if message_id:
        version = message_id
    else:
        # Fonnte gives incoming messages no id: the same question in the same state is answered once,
        # which also absorbs Fonnte's webhook retries.
        digest = hashlib.sha256(text.strip().lower().encode()).hexdigest()[:12]
        version = f"{recipient}:{ctx.get('status', '')}:{digest}"
    return await enqueue(store, "order_status", recipient, ctx, f"{code}:order_status:{version}",
                         field(order, "id"))
