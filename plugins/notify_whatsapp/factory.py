"""Settings → the notifier (and, when Fonnte is sandboxed, its emulator)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.settings import ConfigError, config_text

from .backends import Backend, CloudBackend, FonnteBackend, LogBackend
from .backends.cloud import parse_templates
from .notifier import WhatsAppNotifier
from .sandbox import FonnteSandbox

BACKENDS = ("fonnte", "cloud", "log")
SANDBOX_TOKEN = "sandbox-token"




@dataclass(frozen=True)
class WhatsAppConfig:
    backend: str = "fonnte"
    is_backend_explicit: bool = False
    fonnte_token: str = field(default="", repr=False)
    fonnte_base_url: str = "https://api.fonnte.com"
    fonnte_webhook_secret: str = field(default="", repr=False)
    cloud_token: str = field(default="", repr=False)
    cloud_phone_number_id: str = ""
    cloud_app_secret: str = field(default="", repr=False)
    cloud_verify_token: str = field(default="", repr=False)
    cloud_base_url: str = "https://graph.facebook.com/v21.0"
    cloud_templates: Mapping[str, Any] = field(default_factory=dict)
    send_interval_seconds: float = 2.0

    @property
    def has_credentials(self) -> bool:
        if self.backend == "cloud":
            return bool(self.cloud_token and self.cloud_phone_number_id)
        if self.backend == "fonnte":
            return bool(self.fonnte_token)
        return True

    @property
    def credential_names(self) -> str:
        if self.backend == "cloud":
            return "WHATSAPP_CLOUD_TOKEN, WHATSAPP_CLOUD_PHONE_NUMBER_ID"
        return "FONNTE_TOKEN"


def read_config(raw: Mapping[str, Any]) -> WhatsAppConfig:
    backend = config_text(raw.get("backend")).lower()
    if backend and backend not in BACKENDS:
        raise ConfigError(f"WHATSAPP_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")
    interval_raw = raw.get("send_interval_seconds")
    try:
        interval = 2.0 if interval_raw in (None, "") else float(config_text(interval_raw))
        if interval < 0:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"whatsapp.send_interval_seconds must be a number of seconds, got {interval_raw!r}") from None
    try:
        templates = parse_templates(raw.get("cloud_templates"))
    except ValueError as exc:
        raise ConfigError(f"whatsapp.{exc}") from None
    return WhatsAppConfig(
        backend=backend or "fonnte",
        is_backend_explicit=bool(backend),
        fonnte_token=config_text(raw.get("fonnte_token")),
        fonnte_base_url=config_text(raw.get("fonnte_base_url")) or "https://api.fonnte.com",
        fonnte_webhook_secret=config_text(raw.get("fonnte_webhook_secret")),
        cloud_token=config_text(raw.get("cloud_token")),
        cloud_phone_number_id=config_text(raw.get("cloud_phone_number_id")),
        cloud_app_secret=config_text(raw.get("cloud_app_secret")),
        cloud_verify_token=config_text(raw.get("cloud_verify_token")),
        cloud_base_url=config_text(raw.get("cloud_base_url")) or "https://graph.facebook.com/v21.0",
        cloud_templates=templates,
        send_interval_seconds=interval,
    )


def build_notifier(host: Any) -> WhatsAppNotifier:
    """The notifier `settings.yaml` asks for; registers the Fonnte emulator in `host.sandboxes` when used."""
    config = read_config(host.config("whatsapp"))
    transport = host.transport_for("whatsapp")
    backend: Backend
    if config.backend == "log":
        return WhatsAppNotifier(LogBackend(), 0.0)  # nothing leaves the machine: no ban risk to pace
    if host.is_sandboxed("whatsapp", config.has_credentials, config.credential_names):
        if config.backend == "fonnte" and config.is_backend_explicit:
            emulator = FonnteSandbox(token=SANDBOX_TOKEN)
            host.sandboxes["whatsapp"] = emulator
            backend = FonnteBackend(SANDBOX_TOKEN, host.sandbox_base_url("whatsapp"), transport=transport)
            return WhatsAppNotifier(backend, config.send_interval_seconds)
        return WhatsAppNotifier(LogBackend(), 0.0)
    if config.backend == "cloud":
        backend = CloudBackend(config.cloud_token, config.cloud_phone_number_id, config.cloud_base_url,
                               templates=config.cloud_templates, transport=transport)
    else:
        backend = FonnteBackend(config.fonnte_token, config.fonnte_base_url, transport=transport)
    return WhatsAppNotifier(backend, config.send_interval_seconds)
