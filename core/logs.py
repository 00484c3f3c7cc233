"""Logging set-up with a redaction filter: secret values never reach a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from core.settings import Secret, Settings


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for s in self.secrets:
            redacted = redacted.replace(s, "********")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def secret_values(settings: Settings) -> list[str]:
    out = [s.get() for s in (settings.secret_key, settings.admin_password, settings.admin_api_token) if s]

    def walk(value: object) -> None:
        if isinstance(value, Secret) and value:
            out.append(value.get())
        elif hasattr(value, "items"):
            for v in value.values():  # type: ignore[attr-defined]
                walk(v)

    walk(settings.plugin_config)
    return out


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(logging.WARNING)
    # At DEBUG these print query arguments (buyers' phone numbers): never below WARNING.
    logging.getLogger("databases").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
