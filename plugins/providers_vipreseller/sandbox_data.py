"""Data helpers of the vip-reseller emulator: the shipped catalog, fake nicknames, serial numbers."""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from plugins.providers_vipreseller.catalog import price_for, tier_for

Json = dict[str, Any]

DATA_DIR = Path(__file__).resolve().parent / "data"
CATALOG_FILES = {"game": "game-feature-services.json.gz", "prepaid": "prepaid-services.json.gz"}

# get-nickname codes the emulator knows, and whether they need `additional_target` (zone / server).
NICKNAME_CODES: dict[str, bool] = {
    "mobile-legends": True, "mobile-legends-region": True, "free-fire": False, "pubgm": False,
    "valorant": False, "genshin-impact": True, "honkai-star-rail": True, "pointblank": False,
    "call-of-duty-mobile": False, "arena-of-valor": False, "higgs-domino": False,
    "league-of-legends-wild-rift": False, "hago": False,
}
REGION_CODES = {"mobile-legends", "mobile-legends-region"}

NOT_FOUND_MESSAGE = "Gagal mendapatkan nickname, pastikan ID sudah benar."
INSUFFICIENT_MESSAGE = "Saldo Anda tidak cukup untuk melakukan pemesanan ini."
ORDER_OK_MESSAGE = "Pesanan berhasil, pesanan akan diproses."
STATUS_OK_MESSAGE = "Detail transaksi berhasil didapatkan."
BAD_AUTH_MESSAGE = "API Key atau Sign salah."
UNKNOWN_SERVICE_MESSAGE = "Layanan tidak ditemukan."
EMPTY_SERVICE_MESSAGE = "Layanan sedang tidak tersedia."
BAD_TARGET_MESSAGE = "Nomor tujuan tidak valid."
UNKNOWN_TRX_MESSAGE = "Transaksi tidak ditemukan."
ZONE_ERROR_NOTE = "Zone tujuan salah."
BAD_ZONE = "9999"

_NAMES = ("Lemon", "Kairi", "Sanz", "Albert", "Branz", "Rekt", "Vynn", "Celiboy", "Oura", "Ferxiic")
_TAGS = ("RRQ", "EVOS", "ONIC", "BTR", "GEEK", "AE", "DEWA", "ALTER")


@lru_cache(maxsize=1)
def _load_default_catalog() -> dict[str, tuple[dict[str, Any], ...]]:
    catalog: dict[str, tuple[dict[str, Any], ...]] = {}
    for section, name in CATALOG_FILES.items():
        with gzip.open(DATA_DIR / name, "rb") as fh:
            envelope = json.load(fh)
        catalog[section] = tuple(envelope["data"])
    return catalog


def default_catalog() -> dict[str, list[dict[str, Any]]]:
    """The real-shaped catalog shipped with the plugin (4,424 game-feature + 1,667 prepaid rows).

    Rows are shared between emulators (parsed once): the emulator copies a row before changing it.
    """
    return {section: list(rows) for section, rows in _load_default_catalog().items()}


def fake_nickname(code: str, target: str, zone: str) -> str:
    """A stable, plausible nickname for an ID (same input, same name)."""
    digest = hashlib.sha256(f"{code}|{target}|{zone}".encode()).digest()
    return f"{_TAGS[digest[0] % len(_TAGS)]}•{_NAMES[digest[1] % len(_NAMES)]}{digest[2] % 100:02d}"


def fake_serial(trxid: str) -> str:
    digest = hashlib.sha256(trxid.encode()).hexdigest()
    return "SN: " + str(int(digest[:16], 16)).rjust(19, "0")[:19]


def tier_price(price: Any, level: str) -> int | None:
    return price_for(price, tier_for(level))


def filter_services(rows: list[Json], section: str, form: dict[str, str]) -> list[Json]:
    """`services` filters: game-feature `filter_type=game`; prepaid `type` / `brand`; `filter_status`."""
    allowed = {"game": "game"} if section == "game" else {"type": "type", "brand": "brand"}
    field = allowed.get(form.get("filter_type", ""), "")
    value = form.get("filter_value", "").strip().lower()
    if field and value:
        rows = [r for r in rows if str(r.get(field, "")).strip().lower() == value]
    wanted_status = form.get("filter_status", "").strip().lower()
    if wanted_status:
        rows = [r for r in rows if str(r.get("status", "")).lower() == wanted_status]
    return rows


def status_entry(order: Json) -> Json:
    """An order as status replies and callbacks show it (prepaid entries carry the product code)."""
    entry: Json = {"trxid": order["trxid"], "data": order["data"]}
    if order["section"] == "game":
        entry["zone"] = order["zone"]
    else:
        entry["code"] = order["code"]
    entry.update(service=order["service"], status=order["status"], note=order["note"],
                 price=order["price"])
    return entry


def nickname_reply(form: dict[str, str]) -> Json:
    code = form.get("code", "").strip()
    target = form.get("target", "").strip()
    zone = form.get("additional_target", "").strip()
    needs_zone = NICKNAME_CODES.get(code)
    if needs_zone is None:
        return {"result": False, "data": None, "message": "Kode game tidak ditemukan."}
    if not target or target.startswith("000") or (needs_zone and not zone):
        return {"result": False, "data": None, "message": NOT_FOUND_MESSAGE}
    body: Json = {"result": True, "data": fake_nickname(code, target, zone)}
    if code in REGION_CODES:
        body["country"] = {"code": "ID", "name": "Indonesia"}
    body["message"] = "Success."
    return body
