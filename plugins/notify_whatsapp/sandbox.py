"""A stateful emulator of Fonnte (`/send`, `/device`) with switchable faults.

Tests drive it through `httpx.ASGITransport` (or `transport()`, which adds the two network faults an app
cannot produce); the running store mounts it at `/sandbox/whatsapp` when Fonnte is sandboxed, so
`GET /sandbox/whatsapp/outbox` shows what "went out". Replies have the shape of real Fonnte replies.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# App-level faults answer through /send; transport-level faults need `transport()`.
APP_FAULTS = ("disconnected", "http_500", "invalid_token", "bad_target")
TRANSPORT_FAULTS = ("read_timeout", "connect_error")
FAULTS = APP_FAULTS + TRANSPORT_FAULTS

_TARGET = re.compile(r"^\d{8,15}$")


class FonnteSandbox:
    def __init__(self, token: str = "sandbox-token", device: str = "6285700000000",
                 quota: int = 1000) -> None:
        self.token = token
        self.device = device
        self.quota = quota
        self.is_connected = True
        self.sent: list[dict[str, Any]] = []  # messages Fonnte would deliver
        self.requests: list[dict[str, Any]] = []  # every /send call as received (auth included)
        self._faults: dict[str, int] = {}
        self._ids = itertools.count(80367170)
        self._request_ids = itertools.count(2786931)
        self.app = Starlette(routes=[
            Route("/send", self._send, methods=["POST"]),
            Route("/device", self._device, methods=["POST"]),
            Route("/outbox", self._outbox, methods=["GET"]),
        ])

    # -- switches ------------------------------------------------------------------------------------

    def fail_next(self, fault: str, times: int = 1) -> None:
        """Make the next `times` sends fail with `fault` (one of FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
        self._faults[fault] = self._faults.get(fault, 0) + times

    def clear_faults(self) -> None:
        self._faults.clear()

    def _take(self, fault: str) -> bool:
        left = self._faults.get(fault, 0)
        if left <= 0:
            return False
        self._faults[fault] = left - 1
        return True

    def transport(self) -> httpx.AsyncBaseTransport:
        """An ASGI transport to this app that can also fail before sending or time out after accepting."""
        return _FaultyTransport(self)

    # -- endpoints -----------------------------------------------------------------------------------

    def _failure(self, reason: str) -> JSONResponse:
        return JSONResponse({"status": False, "reason": reason, "requestid": next(self._request_ids)})

    async def _send(self, request: Request) -> JSONResponse:
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        auth = request.headers.get("authorization", "")
        self.requests.append({"authorization": auth, **fields})
        if self._take("http_500"):
            return JSONResponse({"status": False, "reason": "internal server error"}, status_code=500)
        if auth != self.token or self._take("invalid_token"):
            return self._failure("invalid token")
        if not self.is_connected or self._take("disconnected"):
            return self._failure("disconnected device")
        country = fields.get("countryCode") or "62"
        raw_targets = [t.strip() for t in fields.get("target", "").split(",")]
        targets = [_with_country(t, country) for t in raw_targets if t]
        if not targets or not all(_TARGET.match(t) for t in targets) or self._take("bad_target"):
            return self._failure("target input invalid")
        ids = []
        for target in targets:
            message_id = str(next(self._ids))
            ids.append(message_id)
            self.sent.append({"id": message_id, "target": target, "message": fields.get("message", ""),
                              "countryCode": country, "status": "pending", "sent_at": int(time.time())})
        self.quota -= len(targets)
        return JSONResponse({
            "status": True,
            "detail": "success! message in queue",
            "id": ids,
            "process": "pending",
            "requestid": next(self._request_ids),
            "target": targets,
            "quota": {self.device: {"details": "deduced from total quota", "quota": self.quota + len(targets),
                                    "remaining": self.quota, "used": len(targets)}},
        })

    async def _device(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization", "") != self.token:
            return JSONResponse({"status": False, "reason": "invalid token"})
        connected = self.is_connected and self._faults.get("disconnected", 0) == 0
        return JSONResponse({
            "status": True,
            "device": self.device,
            "device_status": "connect" if connected else "disconnect",
            "name": "Madd Store (sandbox)",
            "package": "sandbox",
            "quota": str(self.quota),
            "messages": len(self.sent),
            "expired": "unlimited",
        })

    async def _outbox(self, request: Request) -> JSONResponse:
        return JSONResponse(self.sent)

    def status_payload(self, message_id: str, state: str = "delivered") -> dict[str, str]:
        """A status-webhook body as Fonnte would post it for one of the sent messages."""
        return {"device": self.device, "id": message_id, "stateid": secrets.token_hex(8).upper(),
                "status": "sent", "state": state}


def _with_country(target: str, country: str) -> str:
    # Fonnte's countryCode replaces a leading 0.
    return country + target[1:] if target.startswith("0") else target


class _FaultyTransport(httpx.AsyncBaseTransport):
    def __init__(self, sandbox: FonnteSandbox) -> None:
        self._sandbox = sandbox
        self._inner = httpx.ASGITransport(app=sandbox.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._sandbox._take("connect_error"):
            raise httpx.ConnectError("sandbox: connection refused", request=request)
        response = await self._inner.handle_async_request(request)
        if self._sandbox._take("read_timeout"):
            # The emulator already queued the message: exactly the case that must never be retried.
            await response.aclose()
            raise httpx.ReadTimeout("sandbox: no reply in time", request=request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
