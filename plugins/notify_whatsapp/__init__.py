"""WhatsApp notifier plugin for Madd Store: buyer and owner messages over Fonnte, the official Cloud API,
or a log-only backend; the Fonnte and Cloud webhooks (delivery statuses, "what is my order's status?"
replies); and a Fonnte emulator for sandbox mode.

Settings (`plugins.config.whatsapp` in settings.yaml):

- ``backend`` (`WHATSAPP_BACKEND`): ``fonnte`` (default), ``cloud`` or ``log``. Sandboxed without an
  explicit backend → ``log``; sandboxed with ``fonnte`` → the built-in Fonnte emulator.
- ``fonnte_token`` (`FONNTE_TOKEN`), ``fonnte_base_url`` (`FONNTE_BASE_URL`, default
  ``https://api.fonnte.com``), optional ``fonnte_webhook_secret`` (required as ``?secret=`` on the webhook
  URL when set).
- ``cloud_token``, ``cloud_phone_number_id``, ``cloud_app_secret``, ``cloud_verify_token``,
  ``cloud_base_url`` (default ``https://graph.facebook.com/v21.0``), optional ``cloud_templates``
  (``{kind: {name, language, params: [context keys]}}``).
- ``send_interval_seconds``: the least time between two sends (default 2).
"""

from __future__ import annotations

__version__ = "0.1.0"
