"""HTTP client of Trakteer's public API (`/supports`, `/current-balance`).

One `httpx.AsyncClient` per instance, created on first use; the API key travels in the `key` header and
never appears in logs or exceptions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from plugins.payment_trakteer.values import optional_idr, parse_time, whole_idr

log = logging.getLogger(__name__)

INCLUDE = "order_id,net_amount,payment_method,is_guest"
STATUSES = ("success", "pending", "failed", "refund")


class TrakteerError(Exception):
    """The API could not be reached or did not answer with a success envelope."""

    def __init__(self, message: str, *, status_code: int | None = None, error_code: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code


@dataclass(frozen=True)
class SupportRow:
    """One tip received, as `/supports` lists it (money in integer Rupiah, time in aware UTC)."""

    supporter_name: str
    support_message: str
    quantity: int | None
    amount_idr: int
    status: str  # success / pending / failed / refund ("success" when the row had none)
    updated_at: datetime | None
    unit_name: str = ""
    order_id: str | None = None
    net_amount_idr: int | None = None
    payment_method: str | None = None
    is_guest: bool | None = None
    has_status: bool = True  # False when the API row carried no status at all
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SupportsPage:
    rows: list[SupportRow]
    current_page: int
    total_pages: int
    total: int | None = None


def parse_support_row(item: dict[str, Any]) -> SupportRow:
    """One `/supports` row; ValueError when it has no readable amount."""
    amount_idr = whole_idr(item.get("amount"))
    raw_status = item.get("status")
    has_status = isinstance(raw_status, str) and bool(raw_status.strip())
    if has_status:
        status = str(raw_status).strip().lower()
        if status not in STATUSES:
            log.warning("trakteer support %s: unknown status %r", item.get("order_id"), raw_status)
    else:
        # One real row came without a status. Rows are only listed once a tip went through, so treat it
        # as paid, but say so: reconciliation credits money on this.
        log.warning("trakteer support %s has no status; treating it as success", item.get("order_id"))
        status = "success"
    order_id = item.get("order_id")
    is_guest = item.get("is_guest")
    return SupportRow(
        supporter_name=str(item.get("supporter_name") or ""),
        support_message=str(item.get("support_message") or ""),
        quantity=optional_idr(item.get("quantity")),
        amount_idr=amount_idr,
        status=status,
        updated_at=parse_time(item.get("updated_at")),  # naive Jakarta wall-clock time -> UTC
        unit_name=str(item.get("unit_name") or ""),
        order_id=str(order_id) if order_id not in (None, "") else None,
        net_amount_idr=optional_idr(item.get("net_amount")),
        payment_method=str(item["payment_method"]) if item.get("payment_method") else None,
        is_guest=bool(is_guest) if is_guest is not None else None,
        has_status=has_status,
        raw=item,
    )


def _int(value: Any, default: int) -> int:
    parsed = optional_idr(value)
    return parsed if parsed is not None else default


def parse_supports(result: Any) -> SupportsPage:
    """The `result` of `/supports`: rows plus pagination (`total_page` or `total_pages`)."""
    if not isinstance(result, dict) or not isinstance(result.get("data"), list):
        raise TrakteerError("supports: result has no data list")
    rows = []
    for item in result["data"]:
        if not isinstance(item, dict):
            log.warning("trakteer supports: skipping a row that is not an object")
            continue
        try:
            rows.append(parse_support_row(item))
        except ValueError as exc:
            log.warning("trakteer supports: skipping row %s: %s", item.get("order_id"), exc)
    meta = result.get("meta")
    pagination: dict[str, Any] = {}
    if isinstance(meta, dict) and isinstance(meta.get("pagination"), dict):
        pagination = meta["pagination"]
    pages_value = pagination.get("total_pages")
    if pages_value is None:
        pages_value = pagination.get("total_page")
    return SupportsPage(
        rows=rows,
        current_page=_int(pagination.get("current_page"), 1),
        total_pages=_int(pages_value, 1),
        total=optional_idr(pagination.get("total")),
    )


def parse_balance(result: Any) -> int:
    """`"6483.00"` -> 6483 (Decimal, never float; cents are dropped, the balance is informational)."""
    try:
        return int(Decimal(str(result).strip()))
    except (InvalidOperation, ValueError):
        raise TrakteerError(f"current-balance: unreadable result {result!r}") from None


class TrakteerClient:
    """Calls `<api_base_url>/supports` and `<api_base_url>/current-balance`."""

    def __init__(self, api_base_url: str, api_key: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 20) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self._api_key = api_key
        self._transport = transport
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"TrakteerClient({self.api_base_url!r}, api_key='********')"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=self._timeout,
                headers={"key": self._api_key, "Accept": "application/json",
                         "X-Requested-With": "XMLHttpRequest"},
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET and unwrap the envelope; the `result` on success, TrakteerError otherwise."""
        url = f"{self.api_base_url}{path}"
        try:
            response = await self._http().get(url, params=params)
        except httpx.HTTPError as exc:
            raise TrakteerError(f"{path}: {type(exc).__name__}: {exc}") from None
        try:
            envelope = response.json()
        except ValueError:
            # Cloudflare answers some server IPs with an HTML challenge page.
            raise TrakteerError(f"{path}: HTTP {response.status_code}, reply is not JSON",
                                status_code=response.status_code) from None
        if not isinstance(envelope, dict):
            raise TrakteerError(f"{path}: reply is not a JSON object", status_code=response.status_code)
        if response.status_code >= 300 or envelope.get("status") != "success":
            message = str(envelope.get("message") or "no message")
            code = envelope.get("error_code")
            raise TrakteerError(f"{path}: HTTP {response.status_code}: {message}",
                                status_code=response.status_code,
                                error_code=str(code) if code is not None else None)
        return envelope.get("result")

    async def supports(self, limit: int = 50, page: int = 1, include: str = INCLUDE) -> SupportsPage:
        """One page of tips received, newest first."""
        result = await self._get("/supports", {"limit": limit, "page": page, "include": include})
        return parse_supports(result)

    async def current_balance(self) -> int:
        """The creator's balance in whole Rupiah."""
        return parse_balance(await self._get("/current-balance"))
