"""WhatsApp Business Cloud API (Meta's official API): approved templates outside the 24-hour window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from core.interfaces import OutgoingMessage, SendOutcome, SendResult

from .base import HttpBackend, json_body, param_text

# 131026 undeliverable, 131047 24-hour window closed, 190 token expired, 100 invalid parameter.
FAILED_CODES = frozenset({131026, 131047, 190, 100})
# 130429 throughput, 131056 too many to one recipient; 4 / 80007 app and account rate limits,
# 2 / 131016 service temporarily unavailable.
RETRY_CODES = frozenset({130429, 131056, 4, 80007, 2, 131016})


@dataclass(frozen=True)
class CloudTemplate:
    """An approved template: its name, language and the context keys that fill {{1}}, {{2}}, …"""

    name: str
    language: str = "id"
    params: tuple[str, ...] = ()


def parse_templates(raw: Mapping[str, Any] | None) -> dict[str, CloudTemplate]:
    """`{kind: {name, language, params}}` from settings into CloudTemplate objects."""
    out: dict[str, CloudTemplate] = {}
    for kind, spec in (raw or {}).items():
        if isinstance(spec, CloudTemplate):
            out[str(kind)] = spec
            continue
        if not isinstance(spec, Mapping) or not spec.get("name"):
            raise ValueError(f"cloud_templates.{kind} needs a name")
        params = spec.get("params") or ()
        if isinstance(params, str):
            params = (params,)
        out[str(kind)] = CloudTemplate(name=str(spec["name"]), language=str(spec.get("language") or "id"),
                                       params=tuple(str(p) for p in params))
    return out


def classify_reply(status_code: int, body: object) -> SendResult:
    if isinstance(body, dict) and 200 <= status_code < 300:
        messages = body.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        if isinstance(first, dict) and first.get("id"):
            return SendResult(SendOutcome.ACCEPTED, message_id=str(first["id"]))
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        text = f"{code} {error.get('message') or ''}".strip()
        if code in FAILED_CODES:
            return SendResult(SendOutcome.FAILED, error=text)
        if code in RETRY_CODES or status_code == 429 or status_code >= 500:
            return SendResult(SendOutcome.RETRY, error=text)
        return SendResult(SendOutcome.FAILED, error=text)
    if status_code == 429 or status_code >= 500:
        return SendResult(SendOutcome.RETRY, error=f"cloud: HTTP {status_code}")
    if 200 <= status_code < 300:
        return SendResult(SendOutcome.UNKNOWN, error="cloud: reply without message id")
    return SendResult(SendOutcome.FAILED, error=f"cloud: HTTP {status_code}")


class CloudBackend(HttpBackend):
    name = "cloud"

    def __init__(self, token: str, phone_number_id: str,
                 base_url: str = "https://graph.facebook.com/v21.0",
                 templates: Mapping[str, Any] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, transport)
        self._token = token
        self.phone_number_id = phone_number_id
        self.templates = parse_templates(templates)

    def __repr__(self) -> str:
        return f"CloudBackend(base_url={self.base_url!r}, phone_number_id={self.phone_number_id!r})"

    def template_params(self, kind: str, context: Mapping[str, Any]) -> tuple[str, ...]:
        spec = self.templates.get(kind)
        if spec is None:
            return ()
        return tuple(param_text(key, context.get(key)) for key in spec.params)

    def payload(self, message: OutgoingMessage) -> dict[str, Any] | SendResult:
        """The JSON body for `message`, or FAILED when its template parameters do not fit."""
        base: dict[str, Any] = {"messaging_product": "whatsapp", "to": message.recipient}
        spec = self.templates.get(message.template)
        if spec is None:
            # Free-form text: only delivered inside the 24-hour window (else 131047 → FAILED).
            return {**base, "type": "text", "text": {"body": message.text}}
        if len(message.params) != len(spec.params):
            wanted, got = len(spec.params), len(message.params)
            return SendResult(SendOutcome.FAILED,
                              error=f"cloud: template {spec.name} needs {wanted} parameters, got {got}")
        template: dict[str, Any] = {"name": spec.name, "language": {"code": spec.language}}
        if spec.params:
            template["components"] = [{"type": "body", "parameters": [
                {"type": "text", "text": value} for value in message.params]}]
        return {**base, "type": "template", "template": template}

    async def send(self, message: OutgoingMessage) -> SendResult:
        body = self.payload(message)
        if isinstance(body, SendResult):
            return body
        reply = await self.post(f"/{self.phone_number_id}/messages", json=body,
                                headers={"Authorization": f"Bearer {self._token}"})
        if isinstance(reply, SendResult):
            return reply
        return classify_reply(reply.status_code, json_body(reply))
