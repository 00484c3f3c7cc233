"""Category rules (fields + nickname code) and store kinds, read from the YAML files beside this module.

Data, not code: supporting another game's nickname check or moving a brand to another kind is an edit of
`game_rules.yaml` / `kinds.yaml`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.interfaces import CategoryRules, InputField

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
GAME_RULES_PATH = HERE / "game_rules.yaml"
KINDS_PATH = HERE / "kinds.yaml"

PREPAID_KINDS = ("pulsa", "data", "emoney", "pln", "streaming", "voucher")
# Kinds a game-feature brand may get from `kinds.yaml` `game_brands` (else it is a `game`).
ACCOUNT_KINDS = ("streaming", "voucher")


def _words(pattern: str) -> re.Pattern[str]:
    # Whole words only, so "ovo" never matches inside another brand name.
    return re.compile(r"(?<![a-z0-9])" + re.escape(pattern.strip().lower()) + r"(?![a-z0-9])")


@dataclass(frozen=True)
class _GameRule:
    alternatives: tuple[tuple[re.Pattern[str], ...], ...]
    excludes: tuple[re.Pattern[str], ...]
    rules: CategoryRules

    def matches(self, brand: str) -> bool:
        if any(p.search(brand) for p in self.excludes):
            return False
        return any(all(p.search(brand) for p in parts) for parts in self.alternatives)


def _choice_labels(choices: tuple[str, ...], labels: Any) -> tuple[str, ...]:
    """`choice_labels` (value -> text shown) as a tuple in the order of `choices`; () when none are given."""
    if not labels:
        return ()
    named = {str(k): str(v) for k, v in dict(labels).items()}
    unknown = set(named) - set(choices)
    if unknown:
        raise ValueError(f"game_rules.yaml: choice_labels for unknown choices {sorted(unknown)}")
    return tuple(named.get(c, c) for c in choices)


def _field(name: str, spec: Mapping[str, Any], default_label: str) -> InputField:
    choices = tuple(str(c) for c in spec.get("choices") or ())
    return InputField(name=name, label=str(spec.get("label") or default_label),
                      required=bool(spec.get("required", True)), choices=choices,
                      placeholder=str(spec.get("placeholder") or ""),
                      choice_labels=_choice_labels(choices, spec.get("choice_labels")))


def _patterns(match: Any, where: str) -> tuple[tuple[re.Pattern[str], ...], ...]:
    if isinstance(match, str):
        match = [match]
    if not match:
        raise ValueError(f"game_rules.yaml: {where} has no match")
    return tuple(tuple(_words(w) for w in str(alt).split("+") if w.strip()) for alt in match)


class GameRules:
    """Answers `category_rules(brand, kind)` from `game_rules.yaml`."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        user = data.get("user_field") or {}
        self._user_label = str(user.get("label") or "User ID")
        self._user_placeholder = str(user.get("placeholder") or "")
        self._rules: list[_GameRule] = []
        for i, entry in enumerate(data.get("games") or []):
            alternatives = _patterns(entry.get("match"), f"games[{i}]")
            excludes = tuple(_words(w) for w in entry.get("exclude") or ())
            fields = [InputField("user_id", self._user_label, True,
                                 placeholder=str(entry.get("user_placeholder") or self._user_placeholder))]
            zone = entry.get("zone")
            if zone:
                fields.append(_field("zone_id", zone, "Zone ID"))
            code = entry.get("nickname_code")
            self._rules.append(_GameRule(alternatives, excludes,
                                         CategoryRules(tuple(fields), str(code) if code else None)))
        prepaid = data.get("prepaid") or {}
        self._phone = CategoryRules((_field("phone", prepaid.get("phone") or {}, "Nomor HP"),))
        self._meter = CategoryRules((_field("meter_no", prepaid.get("meter_no") or {},
                                            "Nomor Meter / ID Pelanggan"),))
        self._unknown_game = CategoryRules((InputField("user_id", self._user_label, True,
                                                       placeholder=self._user_placeholder),))
        self._accounts: dict[str, CategoryRules] = {}
        self._account_brands: list[_GameRule] = []
        accounts = data.get("account_field") or {}
        for kind in ACCOUNT_KINDS:
            self._accounts[kind] = CategoryRules((_field("user_id", accounts.get(kind) or {}, "Email / No. HP"),))
        for i, entry in enumerate(accounts.get("brands") or []):
            self._account_brands.append(_GameRule(
                _patterns(entry.get("match"), f"account_field.brands[{i}]"), (),
                CategoryRules((_field("user_id", entry, "Email / No. HP"),))))

    @classmethod
    def load(cls, path: Path = GAME_RULES_PATH) -> GameRules:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def category_rules(self, brand: str, kind: str) -> CategoryRules:
        if kind == "pln":
            return self._meter
        if kind != "game":
            return self._phone
        name = (brand or "").lower()
        for rule in self._rules:
            if rule.matches(name):
                return rule.rules
        return self._unknown_game

    def account_rules(self, brand: str, kind: str) -> CategoryRules:
        """A streaming / voucher brand sold through the game-feature endpoint: ONE field, still named
        `user_id` (it is the order's `data_no`), holding the buyer's account (email / phone) or the recipient
        of the code; no nickname check."""
        name = (brand or "").lower()
        for rule in self._account_brands:
            if rule.matches(name):
                return rule.rules
        return self._accounts.get(kind) or self._accounts["streaming"]


class KindTable:
    """Prepaid `brand` / `type` → store kind, and game-feature brand → game / streaming / voucher, from
    `kinds.yaml`."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._brands = [(str(kind), _words(str(p))) for kind, patterns in (data.get("brands") or {}).items()
                        for p in patterns or ()]
        self._types = [(str(t["match"]).lower(), str(t["kind"])) for t in data.get("types") or ()]
        self._default = str(data.get("default") or "voucher")
        for kind in [k for k, _ in self._brands] + [k for _, k in self._types] + [self._default]:
            if kind not in PREPAID_KINDS:
                raise ValueError(f"kinds.yaml: unknown kind {kind!r}")
        # Plain substrings (not whole words): "Voucher Psn" and "Steam Wallet Code" are caught as written.
        self._game_brands = [(str(kind), str(p).strip().lower())
                             for kind, patterns in (data.get("game_brands") or {}).items()
                             for p in patterns or () if str(p).strip()]
        for kind, _ in self._game_brands:
            if kind not in ACCOUNT_KINDS:
                raise ValueError(f"kinds.yaml: game_brands kind {kind!r} is not one of {ACCOUNT_KINDS}")

    @classmethod
    def load(cls, path: Path = KINDS_PATH) -> KindTable:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def kind_for(self, brand: str, type_: str) -> str:
        name = (brand or "").lower()
        for kind, pattern in self._brands:
            if pattern.search(name):
                return kind
        lowered = (type_ or "").lower()
        for needle, kind in self._types:
            if needle in lowered:
                return kind
        log.debug("vipreseller: prepaid brand %r type %r has no kind rule; using %s", brand, type_,
                  self._default)
        return self._default

    def game_kind_for(self, brand: str) -> str:
        """Kind of a game-feature brand: `streaming` / `voucher` by the `game_brands` table, else `game`."""
        name = (brand or "").lower()
        for kind, needle in self._game_brands:
            if needle in name:
                return kind
        return "game"


@lru_cache(maxsize=1)
def default_game_rules() -> GameRules:
    return GameRules.load()


@lru_cache(maxsize=1)
def default_kind_table() -> KindTable:
    return KindTable.load()
