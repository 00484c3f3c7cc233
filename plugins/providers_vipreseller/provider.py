"""VipResellerProvider: the store's ProductProvider for vip-reseller.co.id."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from core.interfaces import (
    CatalogItem,
    CategoryRules,
    NicknameResult,
    OrderPlacement,
    PlacementOutcome,
    ProviderOrderRequest,
    StatusUpdate,
)
from core.phone import PhoneError, local_form, normalise
from plugins.providers_vipreseller.catalog import parse_services, tier_for, to_idr
from plugins.providers_vipreseller.client import CallOutcome, VipReply, VipResellerClient
from plugins.providers_vipreseller.rules import (
    ACCOUNT_KINDS,
    GameRules,
    KindTable,
    default_game_rules,
    default_kind_table,
)
from plugins.providers_vipreseller.webhooks import (
    entries_of,
    map_status,
    parse_callback_body,
    status_update_from,
    verify_signature,
)

log = logging.getLogger(__name__)

SETTLE_LIMIT = 50

# Refusal wording is only partly documented: anything not recognised is "needs_attention" (nothing was
# bought, a human looks). Order matters: "Layanan tidak ditemukan" is a service problem, not a bad target.
_DEPOSIT = re.compile(r"saldo.*tidak cukup|insufficient|not enough balance", re.I | re.S)
_ACCESS = re.compile(r"tidak diizinkan|not allowed|whitelist|\bsign\b|signature|api ?key|api ?id|"
                     r"kredensial|credential|unauthori[sz]ed", re.I)
_SERVICE = re.compile(r"layanan|service|produk|product|kosong|empty|unavailable|tidak tersedia|"
                      r"maintenance|gangguan|stok|stock|nonaktif", re.I)
_OUTAGE = re.compile(r"gangguan|maintenance|sedang perbaikan", re.I)
# The store sent a game code the provider does not know (game_rules.yaml is out of date): not the buyer's ID.
_BAD_GAME_CODE = re.compile(r"kode game|game code|code game", re.I)
_TARGET = re.compile(r"tujuan salah|tidak valid|tidak ditemukan|invalid|not found", re.I)


class ProviderError(RuntimeError):
    """A catalog sync could not read the provider's lists (the old catalog must be kept)."""


def classify_refusal(message: str) -> tuple[PlacementOutcome, str | None]:
    """The provider's `result: false` words on an order → (outcome, flag)."""
    if _DEPOSIT.search(message):
        return PlacementOutcome.REFUSED, "needs_deposit"
    if _ACCESS.search(message) or _SERVICE.search(message):
        return PlacementOutcome.REFUSED, "needs_attention"
    if _TARGET.search(message):
        return PlacementOutcome.FAILED, None
    return PlacementOutcome.REFUSED, "needs_attention"


def _same_target(listed: str, wanted: str, is_phone: bool) -> bool:
    listed, wanted = listed.strip(), wanted.strip()
    if listed == wanted:
        return True
    if not is_phone:
        return False
    try:  # a phone may be listed as 08… while the store keeps 62…
        return normalise(listed).canonical == normalise(wanted).canonical
    except PhoneError:
        return False


class VipResellerProvider:
    name = "vipreseller"

    def __init__(self, client: VipResellerClient, callback_allowed_ips: Iterable[str] = (),
                 game_rules: GameRules | None = None, kinds: KindTable | None = None) -> None:
        self.client = client
        self.callback_allowed_ips = tuple(str(ip).strip() for ip in callback_allowed_ips if str(ip).strip())
        self._rules = game_rules or default_game_rules()
        self._kinds = kinds or default_kind_table()
        self.level: str | None = None  # the account level seen by the last catalog sync / fetch_level
        # (brand, kind) -> sections listing it, from the last fetch_catalog: the endpoint, not the name,
        # decides whether a streaming / voucher brand asks for an account (game-feature) or a phone (prepaid).
        self._sections: dict[tuple[str, str], frozenset[str]] = {}

    # ---- catalog ---------------------------------------------------------------------------------

    async def fetch_level(self) -> str | None:
        reply = await self.client.profile()
        if reply.ok and isinstance(reply.data, dict) and reply.data.get("level"):
            self.level = str(reply.data["level"]).strip().lower()
            return self.level
        return None

    async def fetch_catalog(self) -> list[CatalogItem]:
        known = self.level
        level = await self.fetch_level()
        if level is None:
            # A passing profile hiccup must not re-price the whole store: keep the last level seen, if any.
            level = known
            log.warning("vipreseller: profile unavailable; pricing the catalog at the %s tier", tier_for(level))
        tier = tier_for(level)
        items: list[CatalogItem] = []
        for section in ("game", "prepaid"):
            reply = await self.client.services(section)
            if not reply.ok or not isinstance(reply.data, list):
                raise ProviderError(f"vipreseller {section} services: {reply.outcome}: {reply.message}")
            items.extend(parse_services(reply.data, section, tier, self._kinds))
        seen: dict[tuple[str, str], set[str]] = {}
        for item in items:
            seen.setdefault((item.brand, item.kind), set()).add(item.section)
        self._sections = {key: frozenset(sections) for key, sections in seen.items()}
        return items

    def category_rules(self, brand: str, kind: str) -> CategoryRules:
        if kind in ACCOUNT_KINDS and self._sold_as_game_feature(brand, kind):
            return self._rules.account_rules(brand, kind)
        return self._rules.category_rules(brand, kind)

    def _sold_as_game_feature(self, brand: str, kind: str) -> bool:
        sections = self._sections.get((brand, kind))
        if sections:
            # A brand in both lists still gets the account field: _order_target reads it for either endpoint.
            return "game" in sections
        # Not seen by a fetch_catalog of this object (another process): the table that gave the kind decides.
        return self._kinds.game_kind_for(brand) == kind

    # ---- nickname --------------------------------------------------------------------------------

    async def check_nickname(self, rules: CategoryRules, target: Mapping[str, str]) -> NicknameResult:
        if rules.nickname_code is None:
            return NicknameResult(is_found=False, is_error=True,
                                  message="Game ini tidak mendukung cek nickname.")
        user_id = str(target.get("user_id") or "").strip()
        if not user_id:
            return NicknameResult(is_found=False, message="User ID kosong.")
        zone = str(target.get("zone_id") or "").strip()
        reply = await self.client.get_nickname(rules.nickname_code, user_id, zone)
        if reply.outcome is CallOutcome.REFUSED:
            if any(p.search(reply.message) for p in (_DEPOSIT, _ACCESS, _OUTAGE, _BAD_GAME_CODE)):
                # Our account's problem, not the buyer's ID: do not tell the buyer the ID is wrong.
                return NicknameResult(is_found=False, is_error=True, message=reply.message)
            return NicknameResult(is_found=False, message=reply.message)
        if not reply.ok:
            return NicknameResult(is_found=False, is_error=True, message=reply.message)
        nickname, region = _nickname_of(reply)
        if not nickname:
            return NicknameResult(is_found=False, message=reply.message or "Nickname tidak ditemukan.")
        return NicknameResult(is_found=True, nickname=nickname, region=region)

    # ---- orders ----------------------------------------------------------------------------------

    def _order_target(self, request: ProviderOrderRequest) -> tuple[str, str | None]:
        target = request.target
        if request.section == "game":
            zone = str(target.get("zone_id") or "").strip()
            return str(target.get("user_id") or "").strip(), zone or None
        phone = str(target.get("phone") or "").strip()
        if phone:
            return local_form(phone), None
        return str(target.get("meter_no") or target.get("user_id") or "").strip(), None

    async def place_order(self, request: ProviderOrderRequest) -> OrderPlacement:
        section = "game" if request.section == "game" else "prepaid"
        data_no, zone = self._order_target(request)
        if not data_no:
            return OrderPlacement(PlacementOutcome.FAILED, reason="tujuan pesanan kosong")
        reply = await self.client.order(section, request.product_code, data_no, zone)
        log.info("vipreseller order %s (%s): %s", request.order_code, request.product_code, reply.outcome)
        if reply.outcome is CallOutcome.NOT_SENT:
            return OrderPlacement(PlacementOutcome.REFUSED, reason=reply.message, flag="retry_later")
        if reply.outcome is CallOutcome.UNKNOWN:
            return OrderPlacement(PlacementOutcome.UNKNOWN, reason=reply.message, raw=reply.raw)
        if reply.outcome is CallOutcome.REFUSED:
            outcome, flag = classify_refusal(reply.message)
            return OrderPlacement(outcome, reason=reply.message, flag=flag, raw=reply.raw)
        data = reply.data if isinstance(reply.data, dict) else {}
        trxid = str(data.get("trxid") or "").strip()
        if not trxid:
            # Accepted, yet no reference to follow: only a status lookup can tell what was bought.
            return OrderPlacement(PlacementOutcome.UNKNOWN, reason="jawaban tanpa trxid", raw=reply.raw)
        return OrderPlacement(
            PlacementOutcome.ACCEPTED, reference=trxid, status=map_status(data.get("status")),
            cost_idr=to_idr(data.get("price")), balance_idr=to_idr(data.get("balance")),
            note=str(data.get("note") or "").strip(), reason=reply.message, raw=reply.raw,
        )

    async def settle(self, request: ProviderOrderRequest) -> OrderPlacement:
        section = "game" if request.section == "game" else "prepaid"
        data_no, zone = self._order_target(request)
        reply = await self.client.status(section, limit=SETTLE_LIMIT)
        if not reply.ok or not isinstance(reply.data, list | dict):
            return OrderPlacement(PlacementOutcome.UNKNOWN, reason=f"cek status gagal: {reply.message}",
                                  raw=reply.raw)
        entries = entries_of(reply.data)
        for entry in entries:  # newest first, as listed
            if self._matches(entry, request, data_no, zone):
                update = status_update_from(entry)
                if update is None:
                    continue
                log.info("vipreseller settle %s: found %s", request.order_code, update.reference)
                return OrderPlacement(PlacementOutcome.ACCEPTED, reference=update.reference,
                                      status=update.status, cost_idr=update.cost_idr, note=update.note,
                                      raw=update.raw)
        if len(entries) >= SETTLE_LIMIT:
            # A full page may have pushed the order out of view: absence is not certain.
            return OrderPlacement(PlacementOutcome.UNKNOWN, reason="tidak ada di 50 transaksi terakhir")
        return OrderPlacement(PlacementOutcome.NOT_PLACED, reason="tidak ada transaksi yang cocok")

    @staticmethod
    def _matches(entry: Mapping[str, Any], request: ProviderOrderRequest, data_no: str,
                 zone: str | None) -> bool:
        reference = str(entry.get("trxid") or "").strip()
        if not reference or reference in request.known_references:
            return False
        is_phone = request.section != "game" and bool(request.target.get("phone"))
        if not data_no or not _same_target(str(entry.get("data") or ""), data_no, is_phone):
            return False
        if zone and str(entry.get("zone") or "").strip() != zone:
            return False
        code = str(entry.get("code") or "").strip()
        if code and code != request.product_code:
            return False
        price = to_idr(entry.get("price"))
        expected = request.expected_cost_idr
        if expected and price is not None and abs(price - expected) * 5 > expected:
            return False
        return True

    # ---- status, balance -------------------------------------------------------------------------

    async def fetch_status(self, reference: str, section: str) -> StatusUpdate | None:
        reply = await self.client.status("game" if section == "game" else "prepaid", trxid=reference)
        if not reply.ok:
            return None
        for entry in entries_of(reply.data):
            if str(entry.get("trxid") or "").strip() == reference:
                return status_update_from(entry)
        log.warning("vipreseller status %s: reply lists no such trxid", reference)
        return None

    async def fetch_stock(self, code: str) -> int | None:
        """Stock of a stock-based game-feature product; None when the provider does not say."""
        reply = await self.client.service_stock(code)
        if reply.ok and isinstance(reply.data, dict):
            return to_idr(reply.data.get("stock"))
        return None

    async def fetch_balance(self) -> int | None:
        reply = await self.client.profile()
        if reply.ok and isinstance(reply.data, dict):
            return to_idr(reply.data.get("balance"))
        return None

    # ---- callbacks -------------------------------------------------------------------------------

    def verify_callback(self, headers: Mapping[str, str], client_ip: str | None) -> bool:
        return verify_signature(headers, client_ip, self.client.sign, self.client.has_credentials,
                                self.callback_allowed_ips)

    def parse_callback(self, body: bytes) -> list[StatusUpdate]:
        return parse_callback_body(body)


def _nickname_of(reply: VipReply) -> tuple[str | None, str | None]:
    data = reply.data
    country: Any = (reply.body or {}).get("country")
    if isinstance(data, dict):
        country = data.get("country") or country
        data = data.get("nickname") or data.get("username") or data.get("name")
    nickname = str(data).strip() if isinstance(data, str | int) and not isinstance(data, bool) else ""
    region = None
    if isinstance(country, dict) and country.get("name"):
        region = str(country["name"]).strip() or None
    return nickname or None, region
