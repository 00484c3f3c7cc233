"""Fonnte: an unofficial gateway that drives the store's own WhatsApp number (api.fonnte.com)."""

from __future__ import annotations

import httpx

from core.interfaces import OutgoingMessage, SendOutcome, SendResult

from .base import Health, HttpBackend, json_body

# Reasons that no retry can fix; anything else with status:false (notably "disconnected device") means
# the message was not queued and may be retried once the phone is back.
PERMANENT_REASONS = ("invalid token", "token invalid", "target input invalid")


def classify_reply(status_code: int, body: object) -> SendResult:
    """Map one /send reply to a SendResult. Fonnte reports failures with HTTP 200, so the JSON decides."""
    if status_code == 429 or status_code >= 500:
        return SendResult(SendOutcome.RETRY, error=f"fonnte: HTTP {status_code}")
    reason = ""
    if isinstance(body, dict):
        if body.get("status") is True and 200 <= status_code < 300:
            ids = body.get("id")
            if isinstance(ids, list) and ids and ids[0] not in (None, ""):
                return SendResult(SendOutcome.ACCEPTED, message_id=str(ids[0]))
            # "success" without an id may still be queued: never resend blindly.
            return SendResult(SendOutcome.UNKNOWN, error="fonnte: success reply without message id")
        if body.get("status") is False:
            reason = str(body.get("reason") or body.get("detail") or "").strip()
            if any(p in reason.lower() for p in PERMANENT_REASONS):
                return SendResult(SendOutcome.FAILED, error=reason)
            if 200 <= status_code < 300:
                return SendResult(SendOutcome.RETRY, error=reason or "fonnte: status false")
    if 200 <= status_code < 300:
        return SendResult(SendOutcome.UNKNOWN, error="fonnte: unreadable reply")
    # Other 4xx / 3xx: a wrong base URL or a refused request; repeating it changes nothing.
    return SendResult(SendOutcome.FAILED, error=f"fonnte: HTTP {status_code} {reason}".strip())


class FonnteBackend(HttpBackend):
    name = "fonnte"

    def __init__(self, token: str, base_url: str = "https://api.fonnte.com",
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, transport)
        self._token = token

    def __repr__(self) -> str:
        return f"FonnteBackend(base_url={self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": self._token}  # raw device token: Fonnte rejects "Bearer …"

    async def send(self, message: OutgoingMessage) -> SendResult:
        form = {"target": message.recipient, "message": message.text, "countryCode": "62"}
        reply = await self.post("/send", data=form, headers=self._headers())
        if isinstance(reply, SendResult):
            return reply
        return classify_reply(reply.status_code, json_body(reply))

    async def health(self) -> Health:
        """`POST /device`: is the phone linked (`device_status` connect / disconnect)?"""
        reply = await self.post("/device", headers=self._headers())
        if isinstance(reply, SendResult):
            return Health(False, "error", reply.error)
        body = json_body(reply)
        if not isinstance(body, dict) or reply.status_code >= 300:
            return Health(False, "error", f"fonnte: HTTP {reply.status_code}")
        device_status = str(body.get("device_status") or "")
        if not device_status:
            return Health(False, "error", str(body.get("reason") or "fonnte: no device status"))
        return Health(device_status == "connect", device_status, str(body.get("device") or ""))
