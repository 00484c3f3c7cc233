"""What every WhatsApp backend shares: the send contract, and the httpx plumbing of HTTP backends."""

from __future__ import annotations

import abc
import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from core.interfaces import OutgoingMessage, SendOutcome, SendResult
from core.money import format_idr

log = logging.getLogger(__name__)

# Connecting may be slow on a phone-tethered VPS; once connected a gateway answers within seconds.
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class Health:
    """A backend's own view of whether it can deliver right now."""

    is_ok: bool
    status: str  # "connect" / "disconnect" for Fonnte, "error" when the check itself failed
    detail: str = ""


class Backend(abc.ABC):
    """One way of putting a message on WhatsApp. Adding a gateway means adding one subclass."""

    name: str = ""

    @abc.abstractmethod
    async def send(self, message: OutgoingMessage) -> SendResult:
        """Send one message and classify the result; never raises for partner or network trouble."""

    async def health(self) -> Health | None:
        """None when the backend has no cheap health check."""
        return None

    def template_params(self, kind: str, context: Mapping[str, Any]) -> tuple[str, ...]:
        """Positional parameters for an official-API template of `kind`; () when none is configured."""
        return ()

    async def aclose(self) -> None:
        return None


def param_text(key: str, value: Any) -> str:
    """A context value as template-parameter text: amounts as `Rp 24.000`, never empty (Meta refuses "")."""
    if value is None or value == "":
        return "-"
    if key.endswith("_idr") and isinstance(value, int) and not isinstance(value, bool):
        return format_idr(value)
    return str(value)


class HttpBackend(Backend):
    """A backend that talks HTTP through one httpx.AsyncClient with explicit timeouts.

    The client is re-created when the running event loop changes: the worker may run each job in a fresh
    loop, and pooled connections cannot cross loops.
    """

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._client.is_closed:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and not self._client.is_closed:
            await self._client.aclose()
        self._client = None

    async def post(self, path: str, **kwargs: Any) -> httpx.Response | SendResult:
        """POST and return the response, or the SendResult a transport failure amounts to."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            return await self.client().post(url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing left the machine: safe to try again later.
            return SendResult(SendOutcome.RETRY, error=f"{self.name}: cannot connect ({type(exc).__name__})")
        except httpx.TransportError as exc:
            # The request may have reached the gateway (read/write timeout, dropped connection):
            # retrying is how duplicate messages happen, so only Banyu may resend.
            return SendResult(SendOutcome.UNKNOWN, error=f"{self.name}: no reply ({type(exc).__name__})")


def json_body(response: httpx.Response) -> Any:
    """The decoded JSON body, or None when the body is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None
