"""A stateful emulator of Trakteer: tip page, webhook sender and public API, as one Starlette app.

Tests drive it through `httpx.ASGITransport` (API) and inject a `webhook_transport` to capture deliveries;
a store without Trakteer credentials mounts it at `/sandbox/trakteer`, so the demo can be paid by hand.
It follows `apis/trakteer.md`: token in `X-Webhook-Token`, up to three tries per event, the webhook is
switched off after three failed events, `/supports` is newest first with Jakarta wall-clock times.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from core.money import format_idr
from plugins.payment_trakteer.values import JAKARTA

log = logging.getLogger(__name__)

FEE_BP = 570  # 5 % platform + 0.7 % QRIS, the estimate the store also uses
MAX_TRIES = 3
FAILED_EVENTS_BEFORE_OFF = 3
PAYMENT_METHODS = ("QRIS", "GOPAY", "OVO", "DANA", "SHOPEEPAY", "BANK_TRANSFER")
AVATAR = "https://trakteer.id/images/mix/default-avatar.png"
UNIT_ICON = "https://trakteer.id/images/mix/coin.png"
BASE_COLUMNS = ("supporter_name", "support_message", "quantity", "amount", "unit_name", "status",
                "updated_at")
EXTRA_COLUMNS = ("order_id", "net_amount", "payment_method", "is_guest", "supporter_email", "reply_message")

# The dashboard's "Send Webhook Test" sends the docs sample, comments included (not valid JSON).
DASHBOARD_TEST_BODY = """{
  "created_at": "%(created_at)s",
  "transaction_id": "test-%(suffix)s",
  "type": "tip",
  "supporter_name": "Trakteer Test",
  "supporter_avatar": "https://trakteer.id/images/mix/default-avatar.png",
  "supporter_message": "Ini pesan percobaan",
  "media": {
    "gif": "l0HlNaQ6gWfllcjDO", // ID gif selection dari Giphy
    "video": {
      "type": "", // kosong untuk YouTube
      "id": "dQw4w9WgXcQ",
      "start": 0
    }
  },
  "unit": "%(unit)s",
  "unit_icon": "https://trakteer.id/images/mix/coin.png",
  "quantity": 1,
  "price": %(price)d,
  "net_amount": %(net)d
}
"""

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_templates.filters["idr"] = format_idr


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST (or a decision not to post) to the store's webhook URL."""

    transaction_id: str
    body: str
    status_code: int | None = None
    error: str = ""

    @property
    def is_ok(self) -> bool:
        return self.status_code is not None and self.status_code < 300


def net_amount_for(amount_idr: int) -> int:
    """Amount minus 5 % + 0.7 % fees, fee rounded half up to a whole Rupiah."""
    return amount_idr - (amount_idr * FEE_BP + 5_000) // 10_000


def _safe_return_url(value: str | None) -> str:
    """Only http(s) or same-site paths: the link must never run script or leave through `//host`."""
    value = (value or "").strip()
    if value.startswith(("http://", "https://")) or (value.startswith("/") and not value.startswith("//")):
        return value
    return ""


class TrakteerSandbox:
    """Emulated Trakteer creator page `username`, paying into the store at `webhook_url`."""

    def __init__(self, webhook_url: str, webhook_token: str = "sandbox-token", unit_price_idr: int = 1000,
                 api_key: str = "sandbox-key", username: str = "maddstore",
                 webhook_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.webhook_url = webhook_url
        self.webhook_token = webhook_token
        self.unit_price_idr = unit_price_idr
        self.api_key = api_key
        self.username = username
        self.unit_name = "Koin"
        self.webhook_transport = webhook_transport
        self.supports: list[dict[str, Any]] = []  # oldest first; the API lists newest first
        self.deliveries: list[WebhookAttempt] = []
        self.initial_balance_idr = 0
        self.page_count_key = "total_pages"  # real replies also spell it "total_page"
        # Switches for tests and demos.
        self.drop_next_webhook = False  # the next event is lost (reconciliation must find it)
        self.duplicate_next_webhook = False  # the next event is delivered twice (dedupe must hold)
        self.fail_webhooks = False  # Trakteer cannot deliver at all while set
        self.webhook_enabled = True  # Trakteer switches it off after three failed events
        self.failed_events = 0
        self.app = Starlette(routes=[
            Route("/api/supports", self._api_supports, methods=["GET"]),
            Route("/api/current-balance", self._api_balance, methods=["GET"]),
            Route("/{username}/tip", self._tip_page, methods=["GET"]),
            Route("/{username}/tip", self._tip_pay, methods=["POST"]),
        ])

    # ---------------------------------------------------------------------------------------- state

    def record_support(self, quantity: int, message: str = "", name: str = "",
                       payment_method: str = "QRIS", status: str = "success",
                       at: datetime | None = None) -> dict[str, Any]:
        """Add a tip to the API's list (any status) and return its row (all columns)."""
        moment = (at or datetime.now(JAKARTA)).astimezone(JAKARTA)
        amount = quantity * self.unit_price_idr
        row = {
            "supporter_name": name or "Seseorang",
            "support_message": message,
            "quantity": quantity,
            "amount": amount,
            "unit_name": self.unit_name,
            "status": status,
            "updated_at": moment.strftime("%Y-%m-%d %H:%M:%S"),
            "order_id": str(uuid.uuid4()),
            "net_amount": net_amount_for(amount),
            "payment_method": payment_method,
            "is_guest": not name,
            "supporter_email": None,
            "reply_message": None,
            "_created_at": moment.isoformat(timespec="seconds"),
        }
        self.supports.append(row)
        return row

    def webhook_body(self, row: dict[str, Any]) -> dict[str, Any]:
        """The documented webhook field set for a recorded tip (`transaction_id` = the API's order_id)."""
        return {
            "created_at": row["_created_at"],
            "transaction_id": row["order_id"],
            "type": "tip",
            "supporter_name": row["supporter_name"],
            "supporter_avatar": AVATAR,
            "supporter_message": row["support_message"],
            "media": None,
            "unit": row["unit_name"],
            "unit_icon": UNIT_ICON,
            "quantity": row["quantity"],
            "price": row["amount"],
            "net_amount": row["net_amount"],
        }

    @property
    def balance_idr(self) -> int:
        paid: int = sum(r["net_amount"] for r in self.supports if r["status"] == "success")
        return self.initial_balance_idr + paid

    def enable_webhook(self) -> None:
        """What the creator does in the dashboard after Trakteer switched the webhook off."""
        self.webhook_enabled = True
        self.failed_events = 0

    # ------------------------------------------------------------------------------------ delivery

    async def _post(self, transaction_id: str, body: str) -> WebhookAttempt:
        headers = {"Content-Type": "application/json", "X-Webhook-Token": self.webhook_token}
        try:
            async with httpx.AsyncClient(transport=self.webhook_transport, timeout=10.0) as client:
                response = await client.post(self.webhook_url, content=body.encode("utf-8"), headers=headers)
            attempt = WebhookAttempt(transaction_id, body, status_code=response.status_code)
        except httpx.HTTPError as exc:
            attempt = WebhookAttempt(transaction_id, body, error=f"{type(exc).__name__}: {exc}")
        self.deliveries.append(attempt)
        return attempt

    async def _send_event(self, payload: dict[str, Any]) -> bool:
        """One event: up to three tries; a failed event counts towards switching the webhook off."""
        body = json.dumps(payload, ensure_ascii=False)
        for _ in range(MAX_TRIES):
            if (await self._post(payload["transaction_id"], body)).is_ok:
                self.failed_events = 0
                return True
        self.failed_events += 1
        if self.failed_events >= FAILED_EVENTS_BEFORE_OFF:
            self.webhook_enabled = False
            log.warning("trakteer sandbox: %d failed events, webhook switched off", self.failed_events)
        return False

    async def dispatch(self, payload: dict[str, Any]) -> bool:
        """Deliver a webhook payload honouring the switches; True when the store accepted it (2xx)."""
        tid = payload["transaction_id"]
        if not self.webhook_enabled:
            self.deliveries.append(WebhookAttempt(tid, "", error="webhook is switched off"))
            return False
        if self.fail_webhooks:
            self.deliveries.append(WebhookAttempt(tid, "", error="simulated delivery failure"))
            return False
        if self.drop_next_webhook:
            self.drop_next_webhook = False
            self.deliveries.append(WebhookAttempt(tid, "", error="dropped (drop_next_webhook)"))
            return False
        times = 2 if self.duplicate_next_webhook else 1
        self.duplicate_next_webhook = False
        results = [await self._send_event(payload) for _ in range(times)]
        return all(results)

    async def deliver(self, quantity: int, message: str = "", name: str = "Seseorang",
                      payment_method: str = "QRIS") -> dict[str, Any]:
        """Pay like a buyer on the tip page (without HTML): record the tip, send the webhook, return it."""
        payload = self.webhook_body(self.record_support(quantity, message, name, payment_method))
        await self.dispatch(payload)
        return payload

    async def test_delivery(self) -> WebhookAttempt:
        """The dashboard's "Send Webhook Test": the comment-laden sample, one try, never counted."""
        suffix = uuid.uuid4().hex[:12]
        body = DASHBOARD_TEST_BODY % {
            "created_at": datetime.now(JAKARTA).isoformat(timespec="seconds"), "suffix": suffix,
            "unit": self.unit_name, "price": self.unit_price_idr, "net": net_amount_for(self.unit_price_idr),
        }
        return await self._post(f"test-{suffix}", body)

    # ------------------------------------------------------------------------------------ tip page

    def _render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = _templates.get_template(f"payment_trakteer/{name}").render(
            username=self.username, unit_name=self.unit_name, unit_price_idr=self.unit_price_idr, **context)
        return HTMLResponse(html, status_code=status_code)

    async def _tip_page(self, request: Request) -> Response:
        if request.path_params["username"] != self.username:
            return HTMLResponse("Halaman tidak ditemukan", status_code=404)
        q = request.query_params
        try:
            quantity = max(1, int(q.get("quantity", "1")))
        except ValueError:
            quantity = 1
        return_url = _safe_return_url(q.get("return_url") or request.headers.get("referer"))
        return self._tip_form(quantity, q.get("display_name", ""), q.get("supporter_message", ""), "QRIS",
                              return_url)

    def _tip_form(self, quantity: int, display_name: str, supporter_message: str, payment_method: str,
                  return_url: str, error: str = "") -> HTMLResponse:
        return self._render("sandbox_tip.html", status_code=400 if error else 200, quantity=quantity,
                            display_name=display_name, supporter_message=supporter_message,
                            payment_method=payment_method, methods=PAYMENT_METHODS, return_url=return_url,
                            error=error)

    async def _tip_pay(self, request: Request) -> Response:
        if request.path_params["username"] != self.username:
            return HTMLResponse("Halaman tidak ditemukan", status_code=404)
        form = await request.form()
        fields = {k: str(form.get(k) or "") for k in
                  ("quantity", "display_name", "supporter_message", "payment_method", "return_url")}
        method = fields["payment_method"] if fields["payment_method"] in PAYMENT_METHODS else "QRIS"
        return_url = _safe_return_url(fields["return_url"] or request.query_params.get("return_url"))
        try:
            quantity = int(fields["quantity"].strip())
            if not 1 <= quantity <= 100_000:
                raise ValueError
        except ValueError:
            return self._tip_form(1, fields["display_name"], fields["supporter_message"], method, return_url,
                                  error="Jumlah harus bilangan bulat antara 1 dan 100.000.")
        row = self.record_support(quantity, fields["supporter_message"], fields["display_name"].strip(),
                                  method)
        delivered = await self.dispatch(self.webhook_body(row))
        return self._render("sandbox_paid.html", row=row, delivered=delivered,
                            last=self.deliveries[-1] if self.deliveries else None,
                            return_url=return_url, tip_url=request.url.path)

    # ------------------------------------------------------------------------------------- the API

    def _error(self, status_code: int, message: str, error_code: str) -> JSONResponse:
        return JSONResponse({"status": "error", "status_code": status_code, "result": None,
                             "message": message, "error_code": error_code, "errors": {}},
                            status_code=status_code)

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get("key", "")
        return bool(given) and hmac.compare_digest(given.encode(), self.api_key.encode())

    async def _api_supports(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, "Unauthenticated.", "unauthenticated")
        q = request.query_params
        try:
            limit = min(max(int(q.get("limit", "10")), 1), 100)
            page = max(int(q.get("page", "1")), 1)
        except ValueError:
            return self._error(422, "The given data was invalid.", "validation_error")
        include = {c.strip() for c in q.get("include", "").split(",") if c.strip()}
        columns = BASE_COLUMNS + tuple(c for c in EXTRA_COLUMNS if c in include)
        newest_first = list(reversed(self.supports))
        chunk = newest_first[(page - 1) * limit: page * limit]
        total = len(newest_first)
        pagination = {"total": total, "count": len(chunk), "per_page": limit, "current_page": page,
                      self.page_count_key: max(1, -(-total // limit)), "links": {}}
        data = [{c: row[c] for c in columns} for row in chunk]
        return JSONResponse({"status": "success", "status_code": 200,
                             "result": {"data": data, "meta": {"pagination": pagination}}, "message": "OK"})

    async def _api_balance(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, "Unauthenticated.", "unauthenticated")
        return JSONResponse({"status": "success", "status_code": 200,
                             "result": f"{self.balance_idr}.00", "message": "OK"})
