"""Pure functions for Trakteer's webhook: check the token, turn a body into a `WebhookDelivery`.

Nothing here touches the network or the database. The core stores the raw event first, then calls
`parse_delivery`; matching the order code in the message is the core's job, not ours.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from core.interfaces import DeliveryKind, PaymentNotice, WebhookDelivery
from plugins.payment_trakteer.values import optional_idr, parse_time, whole_idr

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Webhook-Token"
TEST_ID_PREFIX = "test-"


def verify_token(headers: Mapping[str, str], expected: str) -> bool:
    """True when the `X-Webhook-Token` header equals `expected` (constant time).

    Trakteer sends a static token, not a signature, and not in `Authorization`. An empty `expected`
    refuses everything, so a store without a configured token never accepts forged payments.
    """
    if not expected:
        return False
    wanted = TOKEN_HEADER.lower()
    received = next((str(v) for k, v in headers.items() if str(k).lower() == wanted), None)
    if received is None:
        return False
    return hmac.compare_digest(received.strip().encode("utf-8"), expected.encode("utf-8"))


# A JSON string literal (kept as is), else a `//` comment to the end of the line. Strings are matched first
# so a URL's `//` survives; a comment is consumed whole so a quote inside it cannot open a string.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\r\n]*')
_STRING_OR_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[}\]])')


def _drop_outside_strings(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: m.group() if m.group().startswith('"') else "", text)


def strip_line_comments(text: str) -> str:
    """Remove `// …` comments outside JSON strings (URLs inside strings keep their `//`)."""
    return _drop_outside_strings(_STRING_OR_COMMENT, text)


def loads_tolerant(text: str) -> Any:
    """Strict JSON first; on failure retry with `//` comments (and the trailing commas they leave) removed.

    The dashboard's "Send Webhook Test" body is the docs sample with its comments: a strict parser would
    answer 400, and Trakteer switches the webhook off after three failed events.
    """
    try:
        return json.loads(text)
    except ValueError:
        # Removing a comment can leave a trailing comma before `}`; drop those too.
        return json.loads(_drop_outside_strings(_STRING_OR_TRAILING_COMMA, strip_line_comments(text)))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _unparseable(reason: str, external_id: str | None = None) -> WebhookDelivery:
    return WebhookDelivery(kind=DeliveryKind.UNPARSEABLE, external_id=external_id, reason=reason)


def _transaction_id(data: Mapping[str, Any]) -> str | None:
    value = data.get("transaction_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()
    return None


def _notice(data: Mapping[str, Any], text: str, external_id: str, unit_price_idr: int,
            *, is_test: bool = False) -> PaymentNotice | WebhookDelivery:
    """The PaymentNotice of a tip body, or an UNPARSEABLE delivery saying what is wrong."""
    if data.get("price") is None:
        return _unparseable("price is missing", external_id)
    try:
        amount_idr = whole_idr(data["price"])
    except ValueError as exc:
        return _unparseable(f"price: {exc}", external_id)
    quantity = optional_idr(data.get("quantity"))
    if quantity is not None and unit_price_idr > 0 and quantity * unit_price_idr != amount_idr:
        # DESIGN §11: price is the documented total; a mismatch means the unit price changed on the
        # dashboard or Trakteer sent a per-unit price. Trust price, leave a trace for the owner.
        log.warning("trakteer %s: price %s != quantity %s x unit %s; trusting price",
                    external_id, amount_idr, quantity, unit_price_idr)
    paid_at = parse_time(data.get("created_at"))
    if paid_at is None:
        log.warning("trakteer %s: unreadable created_at %r; using now", external_id, data.get("created_at"))
        paid_at = datetime.now(UTC)
    message = data.get("supporter_message")
    return PaymentNotice(
        external_id=external_id,
        amount_idr=amount_idr,
        paid_at=paid_at,
        net_amount_idr=optional_idr(data.get("net_amount")),
        quantity=quantity,
        payer_name=_text(data.get("supporter_name")),
        message=message if isinstance(message, str) else "",
        is_test=is_test,
        raw=text,
    )


def parse_delivery(body: bytes, unit_price_idr: int) -> WebhookDelivery:
    """Classify one webhook body: PAYMENT (with its notice), TEST, IGNORED or UNPARSEABLE (with a reason)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _unparseable("body is not UTF-8 text")
    try:
        data = loads_tolerant(text)
    except ValueError as exc:
        return _unparseable(f"body is not JSON, even without // comments: {exc}")
    if not isinstance(data, dict):
        return _unparseable(f"body is JSON {type(data).__name__}, not an object")

    external_id = _transaction_id(data)
    if external_id is not None and external_id.startswith(TEST_ID_PREFIX):
        built = _notice(data, text, external_id, unit_price_idr, is_test=True)
        return WebhookDelivery(kind=DeliveryKind.TEST, external_id=external_id,
                               notice=built if isinstance(built, PaymentNotice) else None,
                               reason="dashboard test delivery")
    event_type = data.get("type")
    if event_type is not None and event_type != "tip":
        return WebhookDelivery(kind=DeliveryKind.IGNORED, external_id=external_id,
                               reason=f"event type {event_type!r} is not a tip")
    if external_id is None:
        return _unparseable("transaction_id is missing")
    built = _notice(data, text, external_id, unit_price_idr)
    if isinstance(built, WebhookDelivery):
        return built
    return WebhookDelivery(kind=DeliveryKind.PAYMENT, notice=built, external_id=external_id)
