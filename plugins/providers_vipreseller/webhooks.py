"""Pure functions for the provider's callbacks and status entries: verify, parse, map status words."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from core.interfaces import ProviderStatus, StatusUpdate
from plugins.providers_vipreseller.catalog import to_idr

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Client-Signature"

# Only documented / widely seen words decide a final state; a guess could deliver or refund wrongly.
_SUCCESS = {"success"}
_FAILED = {"error", "failed", "gagal"}
_PENDING = {"waiting", "processing", "process", "pending", "partial"}


def map_status(word: object) -> ProviderStatus:
    """success → SUCCESS; error/failed/gagal → FAILED; everything else (unknown words too) → PENDING."""
    text = str(word or "").strip().lower()
    if text in _SUCCESS:
        return ProviderStatus.SUCCESS
    if text in _FAILED:
        return ProviderStatus.FAILED
    if text not in _PENDING:
        # Undocumented words have been seen ("partial", "process"): never guess a final state from them.
        log.warning("vipreseller: unknown status word %r treated as pending", word)
    return ProviderStatus.PENDING


def status_update_from(entry: Mapping[str, Any]) -> StatusUpdate | None:
    """One status / callback object → StatusUpdate; None when it has no trxid."""
    reference = str(entry.get("trxid") or "").strip()
    if not reference:
        return None
    raw_status = str(entry.get("status") or "").strip()
    return StatusUpdate(
        reference=reference,
        status=map_status(raw_status),
        note=str(entry.get("note") or "").strip(),
        cost_idr=to_idr(entry.get("price")),
        raw_status=raw_status,
        raw=json.dumps(entry, ensure_ascii=False, default=str)[:4000],
    )


def entries_of(data: Any) -> list[Mapping[str, Any]]:
    """`data` may be one object or an array of them (status replies are arrays, callbacks either)."""
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [e for e in data if isinstance(e, dict)]
    return []


def parse_callback_body(body: bytes) -> list[StatusUpdate]:
    """`{"data": {...}}` or `{"result": true, "data": [{...}]}` → updates; anything unreadable → []."""
    try:
        decoded = json.loads(body)
    except (ValueError, TypeError):
        return []
    if not isinstance(decoded, dict) or decoded.get("result") is False:
        return []
    data = decoded.get("data")
    if data is None and "trxid" in decoded:
        data = decoded  # a bare status object: accept it rather than lose the news
    return [u for u in (status_update_from(e) for e in entries_of(data)) if u is not None]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def verify_signature(headers: Mapping[str, str], client_ip: str | None, expected_sign: str,
                     has_credentials: bool, allowed_ips: Iterable[str] = ()) -> bool:
    """The header is required; empty credentials never verify (their md5 would be md5(""))."""
    if not has_credentials or not expected_sign:
        log.warning("vipreseller callback refused: credentials are not configured")
        return False
    allowed = {ip.strip() for ip in allowed_ips if ip and ip.strip()}
    if allowed and (client_ip or "").strip() not in allowed:
        log.warning("vipreseller callback refused: source %s is not in callback_allowed_ips", client_ip)
        return False
    given = _header(headers, SIGNATURE_HEADER)
    if not given:
        log.warning("vipreseller callback refused: no %s header", SIGNATURE_HEADER)
        return False
    is_valid = hmac.compare_digest(given.strip().lower().encode("utf-8", "replace"),
                                   expected_sign.lower().encode())
    if not is_valid:
        log.warning("vipreseller callback refused: wrong signature")
    return is_valid
