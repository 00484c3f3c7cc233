"""HTTP client for the vip-reseller.co.id API: form POSTs, md5 sign, one envelope, four outcomes.

The provider answers business failures with HTTP 200 and `result: false`, so the envelope is always read.
What matters most to the caller is whether a request could have reached the provider: a connect error
means it certainly did not (safe to try again), while a read timeout, a 5xx or an unreadable body means
it may have been acted on (an order must then be settled, never re-sent blindly).
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

ENDPOINTS = {"game": "game-feature", "game-feature": "game-feature", "prepaid": "prepaid"}


def compute_sign(api_id: str, api_key: str) -> str:
    """Lowercase hex md5 of API id + API key (trimmed, no separator): constant for a credential pair."""
    return hashlib.md5(f"{api_id.strip()}{api_key.strip()}".encode()).hexdigest()


def endpoint_for(section: str) -> str:
    """`game` → `game-feature`, `prepaid` → `prepaid`; anything else is a programming error."""
    try:
        return ENDPOINTS[section]
    except KeyError:
        raise ValueError(f"unknown vip-reseller section {section!r}") from None


class CallOutcome(enum.StrEnum):
    OK = "ok"  # result: true
    REFUSED = "refused"  # result: false, the provider's own answer (message says why)
    NOT_SENT = "not_sent"  # connect error / connect or pool timeout: the provider never saw the request
    UNKNOWN = "unknown"  # read timeout, 5xx, garbage: the provider may have acted on it


@dataclass(frozen=True)
class VipReply:
    outcome: CallOutcome
    data: Any = None
    message: str = ""
    body: dict[str, Any] | None = None  # the whole decoded envelope (e.g. `country` beside `data`)
    http_status: int | None = None
    raw: str = ""  # reply text as received, capped; never contains the key or sign

    @property
    def ok(self) -> bool:
        return self.outcome is CallOutcome.OK


_RAW_LIMIT = 4000


class VipResellerClient:
    """One httpx.AsyncClient for the provider; every method returns a VipReply and never raises for I/O."""

    def __init__(self, base_url: str, api_id: str, api_key: str, timeout_seconds: float = 40,
                 force_ipv4: bool = False, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_id = (api_id or "").strip()
        self._api_key = (api_key or "").strip()
        self._sign = compute_sign(self._api_id, self._api_key)
        if transport is None and force_ipv4:
            # Binding the local side to 0.0.0.0 makes the OS pick an IPv4 route: the provider's IP
            # whitelist rejects a dual-stack host that would otherwise leave over IPv6.
            transport = httpx.AsyncHTTPTransport(local_address="0.0.0.0")
        self.force_ipv4 = force_ipv4
        timeout = httpx.Timeout(float(timeout_seconds), connect=min(float(timeout_seconds), 10.0))
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout,
                                       headers={"Accept": "application/json",
                                                "User-Agent": "MaddStore/0.1 (+vipreseller plugin)"})

    def __repr__(self) -> str:
        return f"VipResellerClient(base_url={self.base_url!r}, api_id='****', api_key='****')"

    @property
    def has_credentials(self) -> bool:
        return bool(self._api_id and self._api_key)

    @property
    def sign(self) -> str:
        """The md5 signature (also what callbacks carry in X-Client-Signature). Never log it."""
        return self._sign

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> VipResellerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- endpoints -------------------------------------------------------------------------------

    async def profile(self) -> VipReply:
        return await self._post("profile", {})

    async def services(self, section: str, filter_type: str | None = None, filter_value: str | None = None,
                       filter_status: str | None = None) -> VipReply:
        form = {"type": "services"}
        for name, value in (("filter_type", filter_type), ("filter_value", filter_value),
                            ("filter_status", filter_status)):
            if value:
                form[name] = value
        return await self._post(endpoint_for(section), form)

    async def order(self, section: str, service: str, data_no: str, data_zone: str | None = None) -> VipReply:
        form = {"type": "order", "service": service, "data_no": data_no}
        # The zone travels on its own field; gluing it into data_no makes orders fail ("Zone tujuan salah.").
        if data_zone:
            form["data_zone"] = data_zone
        return await self._post(endpoint_for(section), form)

    async def status(self, section: str, trxid: str | None = None, limit: int | None = None) -> VipReply:
        form = {"type": "status"}
        if trxid:
            form["trxid"] = trxid
        if limit is not None:
            form["limit"] = str(int(limit))
        return await self._post(endpoint_for(section), form)

    async def get_nickname(self, code: str, target: str, additional_target: str | None = "") -> VipReply:
        form = {"type": "get-nickname", "code": code, "target": target,
                "additional_target": additional_target or ""}
        return await self._post("game-feature", form)

    async def service_stock(self, service: str) -> VipReply:
        return await self._post("game-feature", {"type": "service-stock", "service": service})

    # ---- transport -------------------------------------------------------------------------------

    async def _post(self, endpoint: str, form: dict[str, str]) -> VipReply:
        what = f"{endpoint}/{form.get('type', '-')}"
        body = {"key": self._api_key, "sign": self._sign, **form}
        try:
            response = await self._http.post(f"{self.base_url}/{endpoint}", data=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.warning("vipreseller %s: not sent (%s)", what, type(exc).__name__)
            return VipReply(CallOutcome.NOT_SENT, message=f"tidak terhubung: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            log.warning("vipreseller %s: outcome unknown (%s)", what, type(exc).__name__)
            return VipReply(CallOutcome.UNKNOWN, message=f"tidak ada jawaban: {type(exc).__name__}")
        raw = self._redact(response.text[:_RAW_LIMIT])
        status = response.status_code
        if status >= 500:
            log.warning("vipreseller %s: HTTP %s", what, status)
            return VipReply(CallOutcome.UNKNOWN, message=f"HTTP {status}", http_status=status, raw=raw)
        try:
            decoded = json.loads(response.content)
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict) or not isinstance(decoded.get("result"), bool):
            log.warning("vipreseller %s: unreadable reply (HTTP %s)", what, status)
            return VipReply(CallOutcome.UNKNOWN, message=f"jawaban tidak dikenali (HTTP {status})",
                            http_status=status, raw=raw)
        message = self._redact(str(decoded.get("message") or ""))
        if decoded["result"]:
            log.info("vipreseller %s: ok", what)
            return VipReply(CallOutcome.OK, data=decoded.get("data"), message=message, body=decoded,
                            http_status=status, raw=raw)
        log.info("vipreseller %s: refused: %s", what, message)
        return VipReply(CallOutcome.REFUSED, data=decoded.get("data"), message=message, body=decoded,
                        http_status=status, raw=raw)

    def _redact(self, text: str) -> str:
        for secret in (self._api_key, self._sign):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "********")
        return text
