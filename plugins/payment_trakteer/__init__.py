"""Trakteer payment gateway for Madd Store: the checkout is the creator's Trakteer tip page.

The buyer pays a whole number of units on `<page_url>/tip` with the order code prefilled first in the
message; Trakteer's webhook (`X-Webhook-Token`) reaches the core at `POST /webhooks/trakteer`, and, when an
API key is set, recent tips are reconciled from the public API's `/supports`.

Settings (`plugins.config.trakteer` in settings.yaml):

- ``page_url`` (``TRAKTEER_PAGE_URL``): the creator page, e.g. ``https://trakteer.id/maddstore``.
- ``unit_price_idr`` (``TRAKTEER_UNIT_PRICE``, default 1000): price of one unit in Rupiah.
- ``webhook_token`` (``TRAKTEER_WEBHOOK_TOKEN``, secret): the dashboard's webhook token.
- ``api_key`` (``TRAKTEER_API_KEY``, secret, optional): public-API key; without it reconciliation is off.
- ``api_base_url`` (``TRAKTEER_API_BASE_URL``, default ``https://api.trakteer.id/v1/public``).

Without page URL and webhook token (or with ``MADD_SANDBOX=1``) the plugin runs against its emulator,
mounted at ``/sandbox/trakteer`` (tip page ``/sandbox/trakteer/maddstore/tip``, token ``sandbox-token``).
"""

__version__ = "0.1.0"
