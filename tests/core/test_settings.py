"""Settings: env references, defaults of DESIGN §7, masked secrets, start-up errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import ConfigError, Secret, load_settings, settings_from_dict

ROOT = Path(__file__).resolve().parents[2]


def test_repository_settings_resolve_the_environment(tmp_path: Path) -> None:
    env = {"MADD_COOLDOWN_SECONDS": "60", "MADD_FULFILMENT_MODE": "manual", "VIPRESELLER_API_ID": " id ",
           "VIPRESELLER_API_KEY": "k" * 32, "MADD_PORT": "9000", "TRAKTEER_UNIT_PRICE": "5000"}
    s = load_settings(ROOT / "settings.yaml", env)
    assert s.cooldown_seconds == 60 and s.fulfilment_mode == "manual" and s.is_manual
    assert s.port == 9000 and s.public_url == "http://127.0.0.1:9000"
    assert s.plugin("vipreseller")["api_key"].get() == "k" * 32
    assert s.plugin("trakteer")["unit_price_idr"] == "5000"
    assert s.sandbox is None and s.order_expiry_seconds == 86400


def test_defaults_without_environment() -> None:
    s = load_settings(ROOT / "settings.yaml", {})
    assert s.cooldown_seconds == 420 and s.fulfilment_mode == "auto"
    assert s.host == "127.0.0.1" and s.port == 8000
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith("var/madd.db")
    assert s.queue_url.startswith("sqlite:///") and s.queue_url.endswith("var/queue.db")
    assert s.markup_rules[0].percent_bp == 500 and s.markup_rules[0].fixed_idr == 0
    assert s.payment_fee_estimate_bp == 570 and s.web_service_share_bp == 2500
    assert s.low_balance_idr == 100_000 and s.catalog_sync_seconds == 1800 and s.reconcile_seconds == 120
    assert s.status_poll_seconds == 15 and s.status_poll_max_age_seconds == 7200
    assert s.deposit_methods["gopay"].percent_bp == 70 and s.deposit_methods["gopay"].fixed_idr == 2000
    assert not s.admin_api_token  # unset = admin API answers 403


def test_secrets_are_masked_everywhere() -> None:
    env = {"VIPRESELLER_API_KEY": "super-secret-value-123", "MADD_ADMIN_API_TOKEN": "tok-secret-456"}
    s = load_settings(ROOT / "settings.yaml", env)
    text = repr(s) + str(s.public_dict())
    assert "super-secret-value-123" not in text and "tok-secret-456" not in text
    assert repr(Secret("x")) == "Secret('********')"
    with_password = load_settings(ROOT / "settings.yaml",
                                  {"MADD_DATABASE_URL": "postgresql+asyncpg://madd:pw-s3cret@db:5432/madd"})
    assert "pw-s3cret" not in str(with_password.public_dict())
    assert with_password.public_dict()["database_url"] == "postgresql+asyncpg://madd:********@db:5432/madd"


@pytest.mark.parametrize(("env", "names"), [
    ({"MADD_FULFILMENT_MODE": "sometimes"}, "MADD_FULFILMENT_MODE"),
    ({"MADD_COOLDOWN_SECONDS": "soon"}, "MADD_COOLDOWN_SECONDS"),
    ({"MADD_SANDBOX": "maybe"}, "MADD_SANDBOX"),
])
def test_bad_values_name_the_setting(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_settings(ROOT / "settings.yaml", env)


def test_sandbox_zero_without_credentials_stops_start_up() -> None:
    from core.store import Store

    s = load_settings(ROOT / "settings.yaml", {"MADD_SANDBOX": "0"})
    with pytest.raises(ConfigError, match="VIPRESELLER_API_ID"):
        Store(s)


def test_missing_selected_plugin_stops_start_up(tmp_path: Path) -> None:
    from core.store import Store

    s = settings_from_dict({"store": {"var_dir": str(tmp_path), "sandbox": "1"},
                            "plugins": {"modules": ["plugins.payment_trakteer", "plugins.notify_whatsapp"],
                                        "provider": "digiflazz"}})
    with pytest.raises(ConfigError, match="plugins.provider"):
        Store(s)


def test_unknown_plugin_module_names_it(tmp_path: Path) -> None:
    from core.store import Store

    s = settings_from_dict({"store": {"var_dir": str(tmp_path)}, "plugins": {"modules": ["plugins.nope"]}})
    with pytest.raises(ConfigError, match="plugins.nope"):
        Store(s)


def test_float_percentages_are_refused() -> None:
    with pytest.raises(ConfigError, match="pricing.markup_percent"):
        settings_from_dict({"pricing": {"markup_percent": 5.5}})


def test_sandboxed_store_refuses_a_public_address(tmp_path: Path) -> None:
    from core.cli import check_config

    s = load_settings(ROOT / "settings.yaml", {"MADD_HOST": "0.0.0.0"})
    with pytest.raises(ConfigError, match="MADD_SANDBOX=1"):
        check_config(s)
    explicit = load_settings(ROOT / "settings.yaml", {"MADD_HOST": "0.0.0.0", "MADD_SANDBOX": "1"})
    assert any("sandboxed" in line for line in check_config(explicit))
