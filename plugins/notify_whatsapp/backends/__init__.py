"""WhatsApp backends: one class per gateway, all subclasses of `Backend`."""

from __future__ import annotations

from .base import Backend, Health, HttpBackend
from .cloud import CloudBackend, CloudTemplate
from .fonnte import FonnteBackend
from .log import LogBackend

__all__ = ["Backend", "CloudBackend", "CloudTemplate", "FonnteBackend", "Health", "HttpBackend", "LogBackend"]
