"""Pure parse / verify functions for the WhatsApp webhooks (no I/O; the routes call them)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StatusEvent:
    message_id: str
    status: str


@dataclass(frozen=True)
class IncomingText:
    sender: str  # as the gateway wrote it (usually 62…)
    text: str
    message_id: str = ""  # Cloud gives one; Fonnte does not
    name: str = ""


@dataclass(frozen=True)
class Parsed:
    statuses: tuple[StatusEvent, ...] = ()
    incoming: tuple[IncomingText, ...] = ()


def decode_body(body: bytes, form: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """JSON object of a webhook body; falls back to an already-parsed form. None when neither."""
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if isinstance(data, dict):
        return data
    if form:
        return {k: str(v) for k, v in form.items()}
    return None


def parse_fonnte(data: Mapping[str, Any]) -> Parsed:
    """A Fonnte delivery: a status update (`id` + `status`/`state`) or an incoming message (`sender`)."""
    if data.get("sender") and "message" in data:
        # Group messages carry `member`; the store only answers one-to-one chats.
        if data.get("member") or str(data.get("sender")) == str(data.get("device") or ""):
            return Parsed()
        text = str(data.get("message") or "").strip()
        if not text:
            return Parsed()
        return Parsed(incoming=(IncomingText(sender=str(data["sender"]), text=text,
                                             name=str(data.get("name") or "")),))
    message_id = str(data.get("id") or "").strip()
    if not message_id:
        return Parsed()
    # `status` is the send state (sent / failed / expired …), `state` the receipt (delivered / read).
    # Both are passed on in that order; the core applies them forward-only.
    events: list[StatusEvent] = []
    for key in ("status", "state"):
        value = str(data.get(key) or "").strip().lower()
        if value and all(e.status != value for e in events):
            events.append(StatusEvent(message_id, value))
    return Parsed(statuses=tuple(events))


def parse_cloud(data: Mapping[str, Any]) -> Parsed:
    """`entry[].changes[].value.statuses[]` and text `messages[]` of a Cloud API delivery."""
    statuses: list[StatusEvent] = []
    incoming: list[IncomingText] = []
    for entry in _list(data.get("entry")):
        for change in _list(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            for item in _list(value.get("statuses")):
                if item.get("id") and item.get("status"):
                    statuses.append(StatusEvent(str(item["id"]), str(item["status"]).lower()))
            for item in _list(value.get("messages")):
                text = item.get("text")
                body = text.get("body") if isinstance(text, dict) else None
                if item.get("type") == "text" and body and item.get("from"):
                    incoming.append(IncomingText(sender=str(item["from"]), text=str(body),
                                                 message_id=str(item.get("id") or "")))
    return Parsed(statuses=tuple(statuses), incoming=tuple(incoming))


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def cloud_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_cloud_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256` must be `sha256=` + HMAC-SHA256(app secret, raw body); constant-time compare."""
    if not app_secret or not header:
        return False
    return hmac.compare_digest(cloud_signature(app_secret, body).encode(), header.strip().encode())


def verify_challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The `hub.challenge` to echo when the subscription handshake is genuine, else None."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    given = params.get("hub.verify_token") or ""
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge") or ""
