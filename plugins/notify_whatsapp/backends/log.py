"""A backend that sends nothing: it logs (number masked) and remembers. Demo mode and tests."""

from __future__ import annotations

import logging

from core.interfaces import OutgoingMessage, SendOutcome, SendResult
from core.phone import mask

from .base import Backend, Health

log = logging.getLogger(__name__)


class LogBackend(Backend):
    name = "log"

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.sent.append(message)
        message_id = f"log-{len(self.sent)}"
        log.info("whatsapp (log backend) %s to %s [%s]:\n%s", message_id, mask(message.recipient),
                 message.template or "text", message.text)
        return SendResult(SendOutcome.ACCEPTED, message_id=message_id)

    async def health(self) -> Health:
        return Health(True, "log", "messages are only logged")
