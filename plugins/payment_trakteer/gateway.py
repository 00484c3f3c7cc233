"""`TrakteerGateway`: the store's checkout is a Trakteer tip page (implements `PaymentGateway`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from core.interfaces import PaymentNotice, WebhookDelivery
from core.money import units_for
from plugins.payment_trakteer.client import TrakteerClient, TrakteerError
from plugins.payment_trakteer.webhooks import parse_delivery, verify_token

log = logging.getLogger(__name__)

RECONCILE_PAGE_SIZE = 50
RECONCILE_MAX_PAGES = 3


class TrakteerGateway:
    """Tip-page checkout, token-checked webhook, and `/supports` reconciliation when an API key is set."""

    name = "trakteer"

    def __init__(self, page_url: str, unit_price_idr: int, webhook_token: str,
                 client: TrakteerClient | None = None) -> None:
        if unit_price_idr <= 0:
            raise ValueError("unit_price_idr must be positive")
        self.page_url = page_url.rstrip("/")
        self.unit_price_idr = unit_price_idr
        self._webhook_token = webhook_token
        self.client = client

    def __repr__(self) -> str:
        return f"TrakteerGateway({self.page_url!r}, unit_price_idr={self.unit_price_idr})"

    @property
    def has_reconciliation(self) -> bool:
        return self.client is not None

    def pay_url(self, order_code: str, amount_idr: int, display_name: str = "") -> str:
        """The tip page with the quantity, the payment step and the order code prefilled.

        The code goes first in the message because Trakteer may truncate it; the payer can still edit
        every field, which is why the core matches tolerantly and keeps an unmatched inbox.
        """
        if amount_idr <= 0:
            raise ValueError("amount_idr must be positive")
        params: list[tuple[str, str]] = [
            ("quantity", str(units_for(amount_idr, self.unit_price_idr))),
            ("step", "2"),
        ]
        if display_name:
            params.append(("display_name", display_name))
        params.append(("supporter_message", order_code))
        return f"{self.page_url}/tip?{urlencode(params, quote_via=quote)}"

    def verify_webhook(self, headers: Mapping[str, str]) -> bool:
        return verify_token(headers, self._webhook_token)

    def parse_webhook(self, body: bytes) -> WebhookDelivery:
        return parse_delivery(body, self.unit_price_idr)

    async def fetch_recent_payments(self) -> list[PaymentNotice] | None:
        """Successful tips on the newest pages of `/supports`; None when no API key is configured.

        Raises `TrakteerError` when the API cannot be read, so the caller can tell "nothing new" from
        "could not look".
        """
        if self.client is None:
            return None
        notices: list[PaymentNotice] = []
        page = 1
        while page <= RECONCILE_MAX_PAGES:
            result = await self.client.supports(limit=RECONCILE_PAGE_SIZE, page=page)
            for row in result.rows:
                if row.status != "success":
                    continue
                if not row.order_id:
                    log.warning("trakteer support without order_id skipped (amount %s)", row.amount_idr)
                    continue
                paid_at = row.updated_at
                if paid_at is None:
                    log.warning("trakteer support %s has no readable updated_at; using now", row.order_id)
                    paid_at = datetime.now(UTC)
                notices.append(PaymentNotice(
                    external_id=row.order_id,
                    amount_idr=row.amount_idr,
                    paid_at=paid_at,
                    net_amount_idr=row.net_amount_idr,
                    quantity=row.quantity,
                    payer_name=row.supporter_name,
                    message=row.support_message,
                    raw=json.dumps(row.raw, ensure_ascii=False, default=str),
                ))
            if not result.rows or result.current_page >= result.total_pages:
                break
            page += 1
        return notices

    async def fetch_balance(self) -> int | None:
        """The creator balance in Rupiah; None without an API key or when the API cannot be read."""
        if self.client is None:
            return None
        try:
            return await self.client.current_balance()
        except TrakteerError as exc:
            log.warning("trakteer balance unavailable: %s", exc)
            return None
