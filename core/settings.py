"""Settings: `settings.yaml` (structure, defaults) + the environment (secrets, per-deployment values).

`load_settings(path, environ)` is pure: it reads nothing but the file and the mapping it is given and
returns a frozen `Settings`. `${NAME}` and `${NAME:-default}` inside YAML strings are resolved from
`environ`. Values that are secrets are wrapped in `Secret`, whose repr and str are masked.
"""

from __future__ import annotations

import os
import re
import secrets as _secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from core.money import parse_percent_bp


class ConfigError(Exception):
    """A misconfiguration that must stop start-up; the message names the setting."""


class Secret:
    """A secret value whose repr/str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def config_text(value: Any) -> str:
    """A plugin config value as a stripped string: plain values as they are, `Secret` values read (never logged)."""
    if value is None:
        return ""
    if isinstance(value, Secret):
        return value.get().strip()
    return str(value).strip()


_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::-(.*?))?\}")


def _resolve(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        whole = _REF.fullmatch(value.strip())
        if whole:
            name, default = whole.group(1), whole.group(2)
            got = environ.get(name)
            return got if got not in (None, "") else (default if default is not None else "")
        return _REF.sub(lambda m: environ.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: _resolve(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, environ) for v in value]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _int(section: Mapping[str, Any], key: str, where: str, default: int) -> int:
    raw = section.get(key, default)
    if raw in (None, ""):
        return default
    try:
        if isinstance(raw, bool):
            raise ValueError
        return int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{where}.{key} must be a whole number, got {raw!r}") from None


def _at_least(section: Mapping[str, Any], key: str, where: str, default: int, low: int) -> None:
    if _int(section, key, where, default) < low:
        raise ConfigError(f"{where} must be at least {low}")


def _bp(section: Mapping[str, Any], key: str, where: str, default: str) -> int:
    try:
        return parse_percent_bp(section.get(key, default))
    except ValueError as exc:
        raise ConfigError(f"{where}.{key}: {exc}") from None


@dataclass(frozen=True)
class MarkupRule:
    """Markup for products matching every given selector (empty selector = any)."""

    percent_bp: int
    fixed_idr: int = 0
    kind: str = ""
    brand: str = ""  # case-insensitive substring of the category name
    product: str = ""  # exact product code

    @property
    def specificity(self) -> int:
        return (4 if self.product else 0) + (2 if self.brand else 0) + (1 if self.kind else 0)


@dataclass(frozen=True)
class DepositMethod:
    percent_bp: int = 0
    fixed_idr: int = 0


# The owner's deposit fee rules (DESIGN §5). Pulsa costs Rp 8.000–10.000 per top-up: 9.000 is the default,
# Banyu edits the actual fee when he records the deposit.
DEFAULT_DEPOSIT_METHODS = {"gopay": DepositMethod(percent_bp=70, fixed_idr=2000), "bank": DepositMethod(),
                           "pulsa": DepositMethod(fixed_idr=9000)}


@dataclass(frozen=True)
class Settings:
    store_name: str = "Madd Store"
    theme: str = "default"
    var_dir: Path = Path("./var")
    database_url: str = ""
    queue_url: str = ""
    queue_name: str = "madd"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    admin_password: Secret = field(default_factory=lambda: Secret(""))
    admin_api_token: Secret = field(default_factory=lambda: Secret(""))
    owner_whatsapp: str = ""
    sandbox: bool | None = None  # None = per partner, by missing credentials
    cooldown_seconds: int = 420
    fulfilment_mode: str = "auto"
    order_expiry_seconds: int = 86400
    markup_rules: tuple[MarkupRule, ...] = (MarkupRule(percent_bp=500),)
    margin_floor_idr: int = 0
    payment_fee_estimate_bp: int = 570
    deposit_methods: Mapping[str, DepositMethod] = field(default_factory=lambda: dict(DEFAULT_DEPOSIT_METHODS))
    web_service_share_bp: int = 2500
    low_balance_idr: int = 100_000
    catalog_sync_seconds: int = 1800
    reconcile_seconds: int = 120
    status_poll_seconds: int = 15
    status_poll_max_age_seconds: int = 7200
    nickname_rate_per_minute: int = 20
    order_rate_per_minute: int = 10
    unpaid_per_whatsapp_per_hour: int = 5
    plugin_modules: tuple[str, ...] = ()
    provider: str = "vipreseller"
    payment: str = "trakteer"
    notifiers: tuple[str, ...] = ("whatsapp",)
    plugin_config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source_path: Path | None = None

    @property
    def is_manual(self) -> bool:
        return self.fulfilment_mode == "manual"

    def plugin(self, name: str) -> Mapping[str, Any]:
        return self.plugin_config.get(name, MappingProxyType({}))

    def sandbox_for(self, partner: str, has_credentials: bool, setting_names: str) -> bool:
        """Decide whether `partner` runs against its sandbox emulator (DESIGN §7 `MADD_SANDBOX`)."""
        if self.sandbox is True:
            return True
        if self.sandbox is False:
            if not has_credentials:
                raise ConfigError(
                    f"MADD_SANDBOX=0 but {partner} credentials are missing: set {setting_names}"
                )
            return False
        return not has_credentials

    def public_dict(self) -> dict[str, Any]:
        """The effective configuration with secrets masked (for the admin settings view)."""
        out: dict[str, Any] = {}
        for key in self.__dataclass_fields__:
            value = getattr(self, key)
            out[key] = _masked(value)
        return out


_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def _masked(value: Any) -> Any:
    if isinstance(value, Secret):
        return "********" if value else ""
    if isinstance(value, str) and "://" in value:
        return _URL_PASSWORD.sub(r"\1********@", value)
    if isinstance(value, Mapping):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_masked(v) for v in value]
    return value if isinstance(value, str | int | bool | type(None)) else str(value)


SECRET_KEY_NAMES = ("key", "token", "secret", "password", "api_id")


def _wrap_plugin_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (Secret(str(v)) if any(s in k.lower() for s in SECRET_KEY_NAMES) and isinstance(v, str) else
                _wrap_plugin_secrets(v))
            for k, v in value.items()
        }
    return value


def _bool_or_none(raw: Any, where: str) -> bool | None:
    text = str(raw).strip().lower() if raw is not None else ""
    if text == "":
        return None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{where} must be 1 or 0, got {raw!r}")


def load_settings(path: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file (default `$MADD_SETTINGS` or `./settings.yaml`) resolved against `environ`."""
    env = dict(os.environ if environ is None else environ)
    file = Path(path or env.get("MADD_SETTINGS") or "settings.yaml")
    if not file.exists():
        raise ConfigError(f"MADD_SETTINGS: settings file {file} does not exist")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"MADD_SETTINGS: {file} is not valid YAML: {exc}") from None
    data = _resolve(data, env)
    return settings_from_dict(data, source_path=file)


def settings_from_dict(data: Mapping[str, Any], *, source_path: Path | None = None) -> Settings:
    store = dict(data.get("store") or {})
    orders = dict(data.get("orders") or {})
    pricing = dict(data.get("pricing") or {})
    fees = dict(data.get("fees") or {})
    schedule = dict(data.get("schedule") or {})
    limits = dict(data.get("limits") or {})
    plugins = dict(data.get("plugins") or {})
    base = source_path.parent if source_path else Path(".")

    var_dir = Path(str(store.get("var_dir") or "./var"))
    if not var_dir.is_absolute():
        var_dir = (base / var_dir).resolve()
    host = str(store.get("host") or "127.0.0.1")
    port = _int(store, "port", "store", 8000)
    public_url = str(store.get("public_url") or f"http://{host}:{port}").rstrip("/")
    database_url = str(store.get("database_url") or f"sqlite+aiosqlite:///{var_dir / 'madd.db'}")
    queue_url = str(store.get("queue_url") or f"sqlite:///{var_dir / 'queue.db'}")

    mode = str(orders.get("fulfilment_mode") or "auto").strip().lower()
    if mode not in ("auto", "manual"):
        raise ConfigError(f"MADD_FULFILMENT_MODE must be 'auto' or 'manual', got {mode!r}")

    rules = [MarkupRule(percent_bp=_bp(pricing, "markup_percent", "pricing", "5"),
                        fixed_idr=_int(pricing, "markup_fixed_idr", "pricing", 0))]
    for i, rule in enumerate(pricing.get("rules") or []):
        where = f"pricing.rules[{i}]"
        rules.append(MarkupRule(percent_bp=_bp(rule, "percent", where, "0"),
                                fixed_idr=_int(rule, "fixed_idr", where, 0),
                                kind=str(rule.get("kind") or ""), brand=str(rule.get("brand") or ""),
                                product=str(rule.get("product") or "")))

    methods = dict(DEFAULT_DEPOSIT_METHODS)  # settings.yaml overrides or adds to the owner's rules
    for name, m in (fees.get("deposit_methods") or {}).items():
        methods[str(name)] = DepositMethod(percent_bp=_bp(m or {}, "percent", f"fees.deposit_methods.{name}", "0"),
                                           fixed_idr=_int(m or {}, "fixed_idr", f"fees.deposit_methods.{name}", 0))

    secret_key = str(store.get("secret_key") or "")
    if not secret_key:
        secret_key = _persisted_secret(var_dir / "secret_key")

    notifiers = plugins.get("notifiers")
    _at_least(orders, "cooldown_seconds", "MADD_COOLDOWN_SECONDS", 420, 0)
    _at_least(orders, "expiry_seconds", "MADD_ORDER_EXPIRY_SECONDS", 86400, 60)
    for key, low in (("status_poll_seconds", 1), ("catalog_sync_seconds", 60), ("reconcile_seconds", 60),
                     ("status_poll_max_age_seconds", 60)):
        _at_least(schedule, key, f"schedule.{key}", 60, low)
    return Settings(
        store_name=str(store.get("name") or "Madd Store"),
        theme=str(store.get("theme") or "default"),
        var_dir=var_dir,
        database_url=database_url,
        queue_url=queue_url,
        queue_name=str(store.get("queue_name") or "madd"),
        host=host,
        port=port,
        public_url=public_url,
        secret_key=Secret(secret_key),
        admin_password=Secret(str(store.get("admin_password") or "")),
        admin_api_token=Secret(str(store.get("admin_api_token") or "")),
        owner_whatsapp=str(store.get("owner_whatsapp") or ""),
        sandbox=_bool_or_none(store.get("sandbox"), "MADD_SANDBOX"),
        cooldown_seconds=_int(orders, "cooldown_seconds", "MADD_COOLDOWN_SECONDS", 420),
        fulfilment_mode=mode,
        order_expiry_seconds=_int(orders, "expiry_seconds", "MADD_ORDER_EXPIRY_SECONDS", 86400),
        markup_rules=tuple(rules),
        margin_floor_idr=_int(pricing, "margin_floor_idr", "pricing", 0),
        payment_fee_estimate_bp=_bp(fees, "payment_estimate_percent", "fees", "5.7"),
        deposit_methods=MappingProxyType(methods),
        web_service_share_bp=_bp(data.get("report") or {}, "web_service_share_percent", "report", "25"),
        low_balance_idr=_int(schedule, "low_balance_idr", "schedule", 100_000),
        catalog_sync_seconds=_int(schedule, "catalog_sync_seconds", "schedule", 1800),
        reconcile_seconds=_int(schedule, "reconcile_seconds", "schedule", 120),
        status_poll_seconds=_int(schedule, "status_poll_seconds", "schedule", 15),
        status_poll_max_age_seconds=_int(schedule, "status_poll_max_age_seconds", "schedule", 7200),
        nickname_rate_per_minute=_int(limits, "nickname_per_minute", "limits", 20),
        order_rate_per_minute=_int(limits, "orders_per_minute", "limits", 10),
        unpaid_per_whatsapp_per_hour=_int(limits, "unpaid_per_whatsapp_per_hour", "limits", 5),
        plugin_modules=tuple(str(m) for m in plugins.get("modules") or ()),
        provider=str(plugins.get("provider") or "vipreseller"),
        payment=str(plugins.get("payment") or "trakteer"),
        notifiers=tuple(str(n) for n in (notifiers if notifiers is not None else ["whatsapp"])),
        plugin_config=_freeze(_wrap_plugin_secrets(dict(plugins.get("config") or {}))),
        source_path=source_path,
    )


def _persisted_secret(path: Path) -> str:
    """A session key generated on first run and kept under var/ (DESIGN §7 MADD_SECRET_KEY default)."""
    try:
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        value = _secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return value
    except FileExistsError:
        return path.read_text().strip()
    except OSError:
        return _secrets.token_urlsafe(48)
