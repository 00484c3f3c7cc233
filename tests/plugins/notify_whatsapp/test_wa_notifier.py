"""WhatsAppNotifier and the LogBackend."""

from __future__ import annotations

import logging

import pytest

from core.interfaces import Notifier, OutgoingMessage, SendOutcome
from plugins.notify_whatsapp.backends import Backend, LogBackend
from plugins.notify_whatsapp.backends.base import Health
from plugins.notify_whatsapp.notifier import WhatsAppNotifier


async def test_log_backend_accepts_counts_and_masks(caplog):
    backend = LogBackend()
    notifier = WhatsAppNotifier(backend, 0)
    with caplog.at_level(logging.INFO):
        first = await notifier.send(OutgoingMessage("6281234567890", "Halo 👋", template="delivered"))
        second = await notifier.send(OutgoingMessage("6281234567890", "Lagi"))
    assert (first.outcome, first.message_id, second.message_id) == (SendOutcome.ACCEPTED, "log-1", "log-2")
    assert [m.text for m in backend.sent] == ["Halo 👋", "Lagi"]
    assert "0812****7890" in caplog.text
    assert "6281234567890" not in caplog.text and "081234567890" not in caplog.text


def test_notifier_satisfies_the_core_protocol():
    notifier = WhatsAppNotifier(LogBackend(), 2.5)
    assert isinstance(notifier, Notifier)
    assert (notifier.name, notifier.min_interval_seconds, notifier.backend_name) == ("whatsapp", 2.5, "log")
    with pytest.raises(ValueError):
        WhatsAppNotifier(LogBackend(), -1)


async def test_health_delegates_and_is_none_without_a_check():
    class Silent(Backend):
        name = "silent"

        async def send(self, message):  # pragma: no cover - not called
            raise AssertionError

    assert await WhatsAppNotifier(Silent(), 0).health() is None
    assert await WhatsAppNotifier(LogBackend(), 0).health() == Health(True, "log", "messages are only logged")
    assert WhatsAppNotifier(Silent(), 0).template_params("underpaid", {"code": "X"}) == ()
