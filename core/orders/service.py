"""Creating orders, reading them, and Banyu's actions on them (DESIGN.md §3, §6)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core import phone
from core.catalog.service import rules_from_row
from core.db import write_transaction
from core.errors import ApiError, conflict, invalid, not_found
from core.interfaces import CategoryRules
from core.orders import codes, repo
from core.orders.states import CLOSED, OPEN_FOR_PAYMENT, Status, payment_state, sources
from core.tables import orders as orders_table
from core.timeutil import iso, now_ms

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

MAX_FIELD_LENGTH = 64
FIELD_ALIASES = {"zone_id": ("zone_id", "zone", "server", "server_id"), "user_id": ("user_id", "id"),
                 "phone": ("phone", "target", "nomor"), "meter_no": ("meter_no", "meter", "customer_no")}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError
    return str(value).strip()


def validate_target(rules: CategoryRules, data: Mapping[str, Any]) -> dict[str, str]:
    """Check the buyer's inputs against the category's fields; return the canonical target."""
    target: dict[str, str] = {}
    for field in rules.fields:
        raw: Any = None
        for alias in FIELD_ALIASES.get(field.name, (field.name,)):
            if data.get(alias) not in (None, ""):
                raw = data.get(alias)
                break
        try:
            value = _text(raw)
        except TypeError:
            raise invalid("invalid_field", field.name, label=field.label) from None
        if not value:
            if field.required:
                raise invalid("missing_field", field.name, label=field.label)
            continue
        if len(value) > MAX_FIELD_LENGTH or any(ch in value for ch in "\r\n\t|"):
            raise invalid("invalid_field", field.name, label=field.label)
        if field.choices and value not in field.choices:
            raise invalid("invalid_choice", field.name, label=field.label)
        if field.name == "phone":
            try:
                value = phone.normalise(value).canonical
            except phone.PhoneError:
                raise invalid("invalid_phone", field.name, label=field.label) from None
        elif field.name in ("user_id", "zone_id", "meter_no") and not field.choices:
            # Game IDs are letters/digits with a few separators; account fields (streaming, vouchers) may be an
            # email or a +62 number.
            if not all((ch.isascii() and ch.isalnum()) or ch in "-_.#@+" for ch in value):
                raise invalid("invalid_field", field.name, label=field.label)
        target[field.name] = value
    return target


def normalise_whatsapp(raw: Any) -> str:
    try:
        return phone.normalise(_text(raw)).canonical
    except TypeError:
        raise invalid("invalid_whatsapp", "whatsapp") from None
    except phone.PhoneError as exc:
        code = {"too_short": "whatsapp_too_short", "not_mobile": "whatsapp_not_mobile"}.get(
            exc.reason, "invalid_whatsapp")
        raise invalid(code, "whatsapp") from None


# Kinds whose delivery note is a code anyone could redeem (the full code goes to the buyer's WhatsApp).
REDEEMABLE_KINDS = ("voucher", "streaming")


def _mask_account(value: str) -> str:
    name, at, domain = value.partition("@")
    if at:
        return (name[:2] + "***") + "@" + domain
    return value[:4] + "****" + value[-2:] if len(value) > 6 else "****"


def _public_note(order: Mapping[str, Any]) -> str:
    note = str(order["provider_note"] or order["note"] or "")
    if order["kind"] in REDEEMABLE_KINDS and len(note) > 4:
        return "*" * min(len(note) - 4, 12) + note[-4:]
    return note


def public_view(order: Mapping[str, Any]) -> dict[str, Any]:
    """The buyer-visible order (GET /api/orders/{code}). Anyone holding the code sees it (the code travels in
    the payment message), so phone numbers are masked and redeemable voucher codes shortened."""
    target = json.loads(order["target_json"])
    if "phone" in target:
        target["phone"] = phone.mask(target["phone"])
    if order["kind"] in REDEEMABLE_KINDS and "user_id" in target:  # an account email / number, not a game ID
        target["user_id"] = _mask_account(target["user_id"])
    return {
        "code": order["code"],
        "status": order["status"],
        "payment_state": payment_state(order["amount_paid_idr"], order["amount_due_idr"]),
        "amount_due_idr": order["amount_due_idr"],
        "amount_paid_idr": order["amount_paid_idr"],
        "product": {"code": order["product_code"], "name": order["product_name"]},
        "category": {"slug": order["category_slug"], "name": order["category_name"]},
        "target": target,
        "nickname": order["nickname"],
        "whatsapp": phone.mask(order["whatsapp"]),
        "fulfil_at": iso(order["fulfil_at"]),
        "expires_at": iso(order["expires_at"]),
        "note": _public_note(order),
        "created_at": iso(order["created_at"]),
        "updated_at": iso(order["updated_at"]),
    }


def private_view(order: Mapping[str, Any]) -> dict[str, Any]:
    """The admin view: the public one plus what only Banyu sees."""
    return {
        **public_view(order),
        "id": order["id"],
        "whatsapp": order["whatsapp"],
        "target": json.loads(order["target_json"]),
        "note": order["provider_note"] or order["note"] or "",
        "flag": order["flag"],
        "provider_ref": order["provider_ref"],
        "provider_status": order["provider_status"],
        "provider_cost_idr": order["provider_cost_idr"],
        "cost_estimate_idr": order["cost_estimate_idr"],
        "refund_owed_idr": order["refund_owed_idr"],
        "refund_made_idr": order["refund_made_idr"],
        "admin_note": order["note"],
        "claimed_at": iso(order["claimed_at"]),
    }


class OrderService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self, data: Mapping[str, Any], client_ip: str | None = None) -> dict[str, Any]:
        store = self.store
        code = data.get("product")
        if not isinstance(code, str) or not code.strip():
            raise invalid("unknown_product", "product")
        product = await store.catalog.product(code.strip())
        if product is None or product["is_login"]:
            raise invalid("unknown_product", "product")
        if not (product["is_available"] and product["is_enabled"]) or product["is_below_floor"] \
                or product["price_idr"] <= 0:
            raise invalid("product_unavailable", "product")
        category = await store.catalog.category(product["category_slug"])
        if category is None or not category["is_enabled"]:
            raise invalid("product_unavailable", "product")
        rules = rules_from_row(category)
        target = validate_target(rules, data)
        whatsapp = normalise_whatsapp(data.get("whatsapp"))
        # Each order messages its number: a stranger's number must not be flooded through the order form.
        cap = store.settings.unpaid_per_whatsapp_per_hour
        if await repo.recent_unpaid_for_whatsapp(store.db, whatsapp, now_ms() - 3600_000) >= cap:
            raise ApiError(429, "too_many_unpaid", field="whatsapp")
        nickname = None
        if rules.has_nickname_check:
            nickname = await store.nicknames.require(category, rules, target, client_ip, rate_limited=False)
        now = now_ms()
        values = {
            "status": Status.AWAITING_PAYMENT, "flag": None,
            "product_code": product["code"], "product_name": product["name"],
            "category_slug": category["slug"], "category_name": category["name"],
            "section": product["section"], "kind": product["kind"],
            "target_json": json.dumps(target, sort_keys=True), "nickname": nickname, "whatsapp": whatsapp,
            "amount_due_idr": product["price_idr"], "amount_paid_idr": 0,
            "cost_estimate_idr": product["cost_idr"], "refund_owed_idr": 0, "refund_made_idr": 0,
            "expires_at": now + store.settings.order_expiry_seconds * 1000,
            "poll_count": 0, "note": "", "client_ip": client_ip, "created_at": now, "updated_at": now,
        }
        order: dict[str, Any] | None = None
        for _ in range(8):
            try:
                async with write_transaction(store.db) as conn:
                    order = await repo.insert_order(conn, {**values, "code": codes.new_code()})
                    await repo.add_event(conn, order["id"], "buyer", None, Status.AWAITING_PAYMENT,
                                         "pesanan dibuat", at=now)
                break
            except Exception as exc:  # a code collision is the only expected failure; retry with a new code
                if "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
                    raise
        if order is None:
            raise RuntimeError("could not allocate an order code")
        log.info("order %s created for %s", order["code"], product["code"])
        await store.emit("order_created", order=order)
        return order

    async def get(self, code: str) -> dict[str, Any]:
        canonical = codes.normalise(code or "")
        order = await repo.get_by_code(self.store.db, canonical) if canonical else None
        if order is None:
            raise not_found("order_not_found")
        return order

    async def get_by_code(self, code: str) -> dict[str, Any] | None:
        """The order with this code (any spelling a buyer types), or None."""
        canonical = codes.normalise(code or "")
        return await repo.get_by_code(self.store.db, canonical) if canonical else None

    def find_code(self, text: str) -> str | None:
        found = codes.find_codes(text)
        return found[0] if found else None

    async def timeline(self, order_id: int) -> list[dict[str, Any]]:
        return await repo.timeline(self.store.db, order_id)

    # ---- Banyu's actions -------------------------------------------------------------------------

    async def act(self, code: str, action: str, actor: str, body: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
        order = await self.get(code)
        body = body or {}
        f = self.store.fulfilment
        if action in ("send-now", "confirm"):
            if action == "confirm" and not self.store.settings.is_manual and order["status"] != Status.PAID:
                raise conflict()
            return await f.send_now(order["id"], actor, trigger=action)
        if action == "hold":
            return await self._move(order, Status.ON_HOLD, "hold", actor, {"fulfil_at": None}, "ditahan")
        if action == "release":
            s = self.store.settings
            fulfil_at = None if s.is_manual else now_ms() + s.cooldown_seconds * 1000
            after = await self._move(order, Status.PAID, "release", actor, {"fulfil_at": fulfil_at, "flag": None},
                                     "dilepas")
            f.schedule(after)
            return after
        if action == "cancel":
            return await self._move(order, Status.CANCELLED, "cancel", actor,
                                    {"fulfil_at": None, "refund_owed_idr": repo.unrefunded_paid()},
                                    str(body.get("reason") or "dibatalkan admin"))
        if action == "retry":
            if order["flag"] == "late_success":
                # The provider said success after the failure: a retry could deliver twice.
                raise conflict("late_success",
                               "Provider melaporkan sukses setelah gagal: cek dulu, jangan kirim ulang.")
            # No second cooldown; in manual mode the retry waits for Banyu's confirm like any paid order.
            fulfil_at = None if self.store.settings.is_manual else now_ms()
            after = await self._move(order, Status.PAID, "retry", actor,
                                     {"fulfil_at": fulfil_at, "flag": None, "provider_ref": None,
                                      "provider_status": None, "refund_owed_idr": 0}, "coba kirim ulang")
            f.schedule(after, delay=0)
            return after
        if action == "mark-delivered":
            note = body.get("note")
            if not isinstance(note, str) or not note.strip():
                raise invalid("note_required", "note")
            # Delivered by hand: the buyer has the item, so nothing is owed back any more.
            return await self._move(order, Status.SUCCESS, "mark-delivered", actor,
                                    {"fulfil_at": None, "provider_note": note.strip()[:2000], "flag": None,
                                     "refund_owed_idr": 0},
                                    f"dikirim manual: {note.strip()[:200]}")
        if action == "resend-message":
            await self.store.outbox.resend_last(order["id"])
            return order
        raise ApiError(404, "unknown_action")

    async def _move(self, order: dict[str, Any], to: Status, trigger: str, actor: str,
                    values: dict[str, Any], reason: str) -> dict[str, Any]:
        result = await repo.transition(self.store.db, order["id"], to=to, trigger=trigger, actor=actor,
                                       from_statuses=sources(to, trigger), reason=reason, values=values)
        if result is None:
            current = await repo.get(self.store.db, order["id"])
            log.warning("refused %s on %s (status %s)", trigger, order["code"], current and current["status"])
            raise conflict()
        after, old = result
        await self.store.emit("order_status_changed", order=after, old=old, new=str(to), reason=reason)
        return after

    async def expire_due(self) -> int:
        """Expire unpaid / underpaid orders past their expiry time; their money shows as refund owed."""
        store = self.store
        now = now_ms()
        ids = await repo.ids_by_status(store.db, [s.value for s in OPEN_FOR_PAYMENT], older_than=now,
                                       column="expires_at")
        count = 0
        for order_id in ids:
            result = await repo.transition(
                store.db, order_id, to=Status.EXPIRED, trigger="expire", actor="system",
                from_statuses=[s.value for s in OPEN_FOR_PAYMENT], reason="batas waktu pembayaran habis",
                values={"refund_owed_idr": repo.unrefunded_paid(), "fulfil_at": None},
                extra=orders_table.c.expires_at <= now)
            if result:
                count += 1
                await store.emit("order_status_changed", order=result[0], old=result[1], new="expired",
                                 reason="expired")
        return count

    @staticmethod
    def is_closed(order: Mapping[str, Any]) -> bool:
        return order["status"] in CLOSED
