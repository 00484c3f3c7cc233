"""vip-reseller.co.id ("VIPayment") product provider: game top-ups (game-feature) and prepaid products.

Registers the `vipreseller` ProductProvider (`VipResellerProvider`) and, when the store runs without
provider credentials (sandbox), mounts a stateful emulator of the API at `/sandbox/vipreseller`.

Settings (`plugins.config.vipreseller` in settings.yaml):

- `api_id`, `api_key` — credentials (`VIPRESELLER_API_ID`, `VIPRESELLER_API_KEY`); both needed, else sandbox.
- `base_url` — includes `/api` (`VIPRESELLER_BASE_URL`, default `https://vip-reseller.co.id/api`).
- `timeout_seconds` — per-call timeout (default 40).
- `force_ipv4` — leave over IPv4 so the provider's IP whitelist matches (default false).
- `callback_allowed_ips` — source IPs allowed to call `POST /webhooks/vipreseller` (empty = any).

Game fields and nickname codes live in `game_rules.yaml`; prepaid kinds in `kinds.yaml`.
"""

__version__ = "0.1.0"
