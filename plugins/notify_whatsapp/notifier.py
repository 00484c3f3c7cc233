"""The `whatsapp` notifier the core outbox calls: a thin shell around one backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.interfaces import OutgoingMessage, SendResult

from .backends import Backend, Health


class WhatsAppNotifier:
    """Implements :class:`core.interfaces.Notifier`.

    `min_interval_seconds` is how long the outbox worker waits between two sends on this channel: an
    unofficial gateway drives a normal WhatsApp account, and bursts get the number restricted.
    """

    name = "whatsapp"

    def __init__(self, backend: Backend, min_interval_seconds: float = 2.0) -> None:
        if min_interval_seconds < 0:
            raise ValueError("min_interval_seconds must not be negative")
        self.backend = backend
        self.min_interval_seconds = min_interval_seconds

    def __repr__(self) -> str:
        return f"WhatsAppNotifier({self.backend!r}, min_interval_seconds={self.min_interval_seconds})"

    @property
    def backend_name(self) -> str:
        return self.backend.name

    async def send(self, message: OutgoingMessage) -> SendResult:
        return await self.backend.send(message)

    def template_params(self, kind: str, context: Mapping[str, Any]) -> tuple[str, ...]:
        """Values for `OutgoingMessage.params` (official-API templates); () for gateways that send text."""
        return self.backend.template_params(kind, context)

    async def health(self) -> Health | None:
        """The backend's health (Fonnte: is the phone linked?); None when it has no cheap check."""
        return await self.backend.health()

    async def aclose(self) -> None:
        await self.backend.aclose()
