"""A stateful emulator of vip-reseller.co.id, built from the same facts as the client (apis/vipreseller.md).

Tests drive it through `sandbox.transport()` (or `httpx.ASGITransport(app=sandbox.app)`); the running store
mounts `sandbox.app` at `/sandbox/vipreseller` when it has no provider credentials, so its base URL is
`<public_url>/sandbox/vipreseller/api`. Only form bodies are read; `key` + `sign` are checked on every call.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from plugins.providers_vipreseller import sandbox_data as sd

Json = dict[str, Any]


class VipResellerSandbox:
    def __init__(self, api_id: str = "sandbox-id", api_key: str = "sandbox-key", balance_idr: int = 1_250_000,
                 level: str = "basic", catalog: dict[str, list[Json]] | None = None) -> None:
        self.api_id, self.api_key = api_id, api_key
        self.balance_idr = balance_idr
        self.level = level
        # {"game": [rows of game-feature services], "prepaid": [rows of prepaid services]}
        self.catalog: dict[str, list[Json]] = (
            {s: list(catalog.get(s) or []) for s in ("game", "prepaid")} if catalog is not None
            else sd.default_catalog())
        self.orders: list[Json] = []  # oldest first
        self.calls: list[tuple[str, dict[str, str]]] = []  # (endpoint, form) of every call that arrived
        self.stock: dict[str, int] = {}
        self.callback_url: str | None = None
        self.callback_transport: httpx.AsyncBaseTransport | None = None
        self.callback_shape = "object"  # or "array": {"result": true, "data": [...], "message": ...}
        # Switchable faults.
        self.blocked_ip: str | None = None  # every call answers "IP … tidak diizinkan."
        self.delay_seconds = 0.0  # reply this much later (after doing the work)
        self.auto_advance = True  # each status call for a trxid moves it one step on
        self._fail_orders: list[str] = []
        self._server_errors = 0
        self._garbage = 0
        self._timeouts_after_accept = 0
        self._connect_errors = 0
        self._callbacks_due: list[str] = []
        self._next_trx = 100_000_000
        self.app = Starlette(routes=[
            Route("/api/profile", self._profile, methods=["POST"]),
            Route("/api/prepaid", self._prepaid, methods=["POST"]),
            Route("/api/game-feature", self._game_feature, methods=["POST"]),
        ])

    # ---- faults ----------------------------------------------------------------------------------

    def fail_next_order(self, message: str) -> None:
        """The next order answers `result: false` with this message (nothing bought)."""
        self._fail_orders.append(message)

    def server_error_next(self, count: int = 1) -> None:
        """The next call(s) answer HTTP 500 without doing anything."""
        self._server_errors += count

    def garbage_next(self, count: int = 1) -> None:
        """The next call(s) answer HTTP 200 with an HTML page instead of JSON."""
        self._garbage += count

    def timeout_next_order(self, count: int = 1) -> None:
        """Through `transport()`: the next order is processed, then the caller gets httpx.ReadTimeout."""
        self._timeouts_after_accept += count

    def connect_error_next(self, count: int = 1) -> None:
        """Through `transport()`: the next call raises httpx.ConnectError and never reaches the emulator."""
        self._connect_errors += count

    def block_ip(self, ip: str | None = "203.0.113.7") -> None:
        self.blocked_ip = ip

    def transport(self) -> httpx.AsyncBaseTransport:
        return _SandboxTransport(self)

    # ---- state helpers for tests -----------------------------------------------------------------

    def sign(self) -> str:
        """md5(api_id + api_key): what every request and callback must carry."""
        return hashlib.md5(f"{self.api_id.strip()}{self.api_key.strip()}".encode()).hexdigest()

    def calls_of(self, endpoint: str, type_: str | None = None) -> list[dict[str, str]]:
        return [form for ep, form in self.calls
                if ep == endpoint and (type_ is None or form.get("type") == type_)]

    def order(self, trxid: str) -> Json | None:
        return next((o for o in self.orders if o["trxid"] == trxid), None)

    def find_service(self, section: str, code: str) -> Json | None:
        # A code listed twice: the last row wins, as in the store.
        return next((row for row in reversed(self.catalog[section]) if row.get("code") == code), None)

    def set_service(self, section: str, code: str, **changes: Any) -> None:
        """Change a listed row (status, price…) on a copy, so the shared default catalog stays intact."""
        rows = self.catalog[section]
        for i in range(len(rows) - 1, -1, -1):
            if rows[i].get("code") == code:
                rows[i] = {**copy.deepcopy(rows[i]), **changes}
                return
        raise KeyError(code)

    def advance(self, trxid: str | None = None) -> None:
        """Move one order (or every open order) one step: waiting → processing → success / error."""
        for order in [self.order(trxid)] if trxid else list(self.orders):
            if order is not None:
                self._step(order)

    def set_status(self, trxid: str, status: str, note: str = "") -> None:
        order = self.order(trxid)
        if order is None:
            raise KeyError(trxid)
        self._change(order, status, note)

    def _step(self, order: Json) -> None:
        if order["status"] == "waiting":
            self._change(order, "processing", "")
        elif order["status"] == "processing":
            if order["section"] == "game" and order.get("zone") == sd.BAD_ZONE:
                self._change(order, "error", sd.ZONE_ERROR_NOTE)
            else:
                serial = sd.fake_serial(order["trxid"]) if order["section"] == "prepaid" else ""
                self._change(order, "success", serial)

    def _change(self, order: Json, status: str, note: str) -> None:
        if order["status"] == status:
            return
        if status == "error" and order["status"] != "error":
            self.balance_idr += order["price"]  # the provider refunds a failed order to the deposit
        order["status"], order["note"] = status, note
        self._callbacks_due.append(order["trxid"])

    # ---- HTTP ------------------------------------------------------------------------------------

    async def _read(self, request: Request, endpoint: str) -> tuple[dict[str, str], Response | None]:
        is_form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        form = {k: str(v) for k, v in (await request.form()).items()} if is_form else {}
        self.calls.append((endpoint, form))
        if self._server_errors:
            self._server_errors -= 1
            return form, PlainTextResponse("Internal Server Error", status_code=500)
        if self._garbage:
            self._garbage -= 1
            return form, Response("<html><body>502 Bad Gateway</body></html>", media_type="text/html")
        if self.blocked_ip:
            return form, _fail(f"IP {self.blocked_ip} tidak diizinkan.")
        if form.get("key") != self.api_key or form.get("sign") != self.sign():
            return form, _fail(sd.BAD_AUTH_MESSAGE)
        return form, None

    async def _reply(self, body: Json) -> Response:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        return JSONResponse(body)

    async def _profile(self, request: Request) -> Response:
        _, refused = await self._read(request, "profile")
        if refused:
            return refused
        profile = {"full_name": "Toko Sandbox", "username": "sandbox", "balance": self.balance_idr,
                   "point": 0, "level": self.level, "registered": "2024-03-01 10:11:12"}
        return await self._reply({"result": True, "data": profile,
                                  "message": "Successfully got your account details."})

    async def _prepaid(self, request: Request) -> Response:
        return await self._section(request, "prepaid", "prepaid")

    async def _game_feature(self, request: Request) -> Response:
        return await self._section(request, "game-feature", "game")

    async def _section(self, request: Request, endpoint: str, section: str) -> Response:
        form, refused = await self._read(request, endpoint)
        if refused:
            return refused
        kind = form.get("type", "")
        if kind == "services":
            rows = sd.filter_services(self.catalog[section], section, form)
            return await self._reply({"result": True, "data": rows,
                                      "message": "Berhasil mendapatkan daftar layanan."})
        if kind == "order":
            return await self._reply(self._order(section, form))
        if kind == "status":
            return await self._reply(self._status(section, form))
        if section == "game" and kind == "get-nickname":
            return await self._reply(sd.nickname_reply(form))
        if section == "game" and kind == "service-stock":
            row = self.find_service("game", form.get("service", ""))
            if row is None:
                return _fail(sd.UNKNOWN_SERVICE_MESSAGE)
            stock = self.stock.get(row["code"], 100 if row.get("status") == "available" else 0)
            return await self._reply({"result": True, "data": {"stock": stock}, "message": "Success."})
        return _fail("Permintaan tidak sesuai.")

    def _order(self, section: str, form: dict[str, str]) -> Json:
        if self._fail_orders:
            return {"result": False, "data": None, "message": self._fail_orders.pop(0)}
        row = self.find_service(section, form.get("service", "").strip()) if form.get("service") else None
        if row is None or not row.get("code") or not row.get("name"):
            return {"result": False, "data": None, "message": sd.UNKNOWN_SERVICE_MESSAGE}
        if str(row.get("status", "")).lower() != "available":
            return {"result": False, "data": None, "message": sd.EMPTY_SERVICE_MESSAGE}
        data_no = form.get("data_no", "").strip()
        if not data_no:
            return {"result": False, "data": None, "message": sd.BAD_TARGET_MESSAGE}
        price = sd.tier_price(row.get("price"), self.level) or 0
        if price > self.balance_idr:
            return {"result": False, "data": None, "message": sd.INSUFFICIENT_MESSAGE}
        self.balance_idr -= price
        self._next_trx += 1
        order = {"trxid": f"VP{self._next_trx}", "section": section, "code": row["code"], "data": data_no,
                 "zone": form.get("data_zone", "").strip(), "status": "waiting", "note": "", "price": price,
                 "service": f"{row.get('game')} - {row['name']}" if section == "game" else row["name"]}
        self.orders.append(order)
        return {"result": True, "data": {**sd.status_entry(order), "balance": self.balance_idr},
                "message": sd.ORDER_OK_MESSAGE}

    def _status(self, section: str, form: dict[str, str]) -> Json:
        mine = [o for o in self.orders if o["section"] == section]
        trxid = form.get("trxid", "").strip()
        if trxid:
            order = next((o for o in mine if o["trxid"] == trxid), None)
            if order is None:
                return {"result": False, "data": None, "message": sd.UNKNOWN_TRX_MESSAGE}
            if self.auto_advance:
                self._step(order)
            picked = [order]
        else:
            try:
                limit = max(int(form.get("limit", "10")), 0)
            except ValueError:
                limit = 10
            picked = list(reversed(mine))[:limit]  # newest first
        return {"result": True, "data": [sd.status_entry(o) for o in picked], "message": sd.STATUS_OK_MESSAGE}

    # ---- callbacks -------------------------------------------------------------------------------

    def callback_body(self, trxid: str, shape: str | None = None) -> Json:
        order = self.order(trxid)
        if order is None:
            raise KeyError(trxid)
        entry = sd.status_entry(order)
        if (shape or self.callback_shape) == "array":
            return {"result": True, "data": [entry], "message": sd.STATUS_OK_MESSAGE}
        return {"data": entry}

    async def send_callbacks(self, duplicate: bool = False, shape: str | None = None) -> list[int]:
        """POST every pending status change to `callback_url`; returns the HTTP status of each delivery."""
        if not self.callback_url:
            raise RuntimeError("callback_url is not set")
        due, self._callbacks_due = list(dict.fromkeys(self._callbacks_due)), []
        statuses: list[int] = []
        async with httpx.AsyncClient(transport=self.callback_transport, timeout=10) as http:
            for trxid in due:
                body = json.dumps(self.callback_body(trxid, shape))
                for _ in range(2 if duplicate else 1):
                    try:
                        response = await http.post(self.callback_url, content=body, headers={
                            "Content-Type": "application/json", "X-Client-Signature": self.sign()})
                        statuses.append(response.status_code)
                    except httpx.HTTPError:
                        statuses.append(0)
        return statuses


def _fail(message: str) -> Response:
    return JSONResponse({"result": False, "data": None, "message": message})


class _SandboxTransport(httpx.AsyncBaseTransport):
    """Forwards to the emulator's app and plays the network faults an ASGI app cannot."""

    def __init__(self, sandbox: VipResellerSandbox) -> None:
        self._sandbox = sandbox
        self._inner = httpx.ASGITransport(app=sandbox.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sandbox = self._sandbox
        if sandbox._connect_errors:
            sandbox._connect_errors -= 1
            raise httpx.ConnectError("sandbox: connection refused", request=request)
        is_order = parse_qs((await request.aread()).decode("utf-8", "replace")).get("type") == ["order"]
        read_timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            if sandbox.delay_seconds and read_timeout is not None:
                response = await asyncio.wait_for(self._inner.handle_async_request(request), read_timeout)
            else:
                response = await self._inner.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("sandbox: reply slower than the read timeout", request=request) from None
        if is_order and sandbox._timeouts_after_accept:
            sandbox._timeouts_after_accept -= 1
            await response.aread()
            raise httpx.ReadTimeout("sandbox: no reply after the order was taken", request=request)
        return response
