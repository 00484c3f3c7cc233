"""Group a brand's items for the storefront (diamonds, passes, bundles…) and derive category slugs.

Big brands are real (Mobile Legends lists 1,200+ items): the storefront shows the groups in `group_rank`
order, the common top-ups first, and other regions' items last. Group names are shown to buyers (Bahasa
Indonesia where a word is needed).
"""

from __future__ import annotations

import re

_SLUG = re.compile(r"[^a-z0-9]+")
_TAG = re.compile(r"^\s*\[([^\]]+)\]\s*")
_DIAMOND = re.compile(r"\bdiamonds?\b", re.I)
_AMOUNT = re.compile(r"\d")
_REGION_SUFFIX = re.compile(r"(?:\s-\s([A-Z]{2})|\((USA|US|SEA|EU|GLOBAL)\))\s*$", re.IGNORECASE)

# Leading "[Country]" tags of the provider's names; Indonesia is the store's own market, not "another region".
REGIONS = {"global", "malaysia", "philippines", "singapore", "brazil", "turkey", "russia", "thailand", "vietnam",
           "myanmar", "india", "usa", "taiwan", "korea", "japan", "europe", "mena", "cambodia", "laos"}
REGION_CODES = {"ph": "Philippines", "my": "Malaysia", "br": "Brazil", "us": "USA", "usa": "USA", "th": "Thailand",
                "sg": "Singapore", "vn": "Vietnam", "tw": "Taiwan", "kr": "Korea", "jp": "Japan", "eu": "Europe",
                "sea": "SEA", "global": "Global"}

DIAMONDS, TOP_UP, OTHER = "Diamonds", "Top Up", "Lainnya"
PASS, PROMO, BUNDLE, GIFT, SLOW = "Pass & Membership", "Promo", "Bundle & Paket", "Skin & Gift", "Proses Lambat"
KIND_GROUPS = {"pulsa": "Pulsa", "data": "Paket Data", "emoney": "Saldo E-Money", "pln": "Token Listrik",
               "voucher": "Voucher", "streaming": "Streaming"}

_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (PROMO, re.compile(r"\bpromo\b", re.I)),
    (SLOW, re.compile(r"\bslow\b|\blambat\b", re.I)),
    (GIFT, re.compile(r"\bgift\b|\bskin\b", re.I)),
    (PASS, re.compile(r"\bpass\b|membership|\bmember\b|starlight|welkin|blessing|\bwdp\b|express supply", re.I)),
    (BUNDLE, re.compile(r"\bbundle\b|\bpaket\b|\bpackage\b|\bpack\b", re.I)),
)
# Smaller first; groups not listed (regions) come after, by name.
RANKS = {DIAMONDS: 10, TOP_UP: 10, **{g: 10 for g in KIND_GROUPS.values()}, PASS: 20, PROMO: 30, BUNDLE: 40,
         GIFT: 50, OTHER: 60, SLOW: 70}
REGION_RANK = 80


def slugify(name: str) -> str:
    """DESIGN §9: the name lower-cased, every run of non-alphanumerics collapsed to `-` (ends trimmed)."""
    return _SLUG.sub("-", name.lower()).strip("-") or "lainnya"


def region_of(name: str) -> str | None:
    """Another market's item ("[Malaysia] 42 Diamonds", "60 Oneiric Shard - PH"), or None for Indonesia / any."""
    tag = _TAG.match(name)
    if tag and tag.group(1).strip().lower() in REGIONS:
        return tag.group(1).strip().title()
    suffix = _REGION_SUFFIX.search(name)
    if suffix:
        code = (suffix.group(1) or suffix.group(2) or "").lower()
        return REGION_CODES.get(code)
    return None


def group_of(name: str, kind: str) -> str:
    region = region_of(name)
    if region:
        return f"Region {region}"
    tag = _TAG.match(name)
    label = tag.group(1).strip().lower() if tag else ""
    rest = name[tag.end():] if tag else name
    tagged = {"promo": PROMO, "slow": SLOW, "gift": GIFT, "membership": PASS}.get(label)
    if tagged:
        return tagged
    for group, pattern in _WORDS:
        if pattern.search(rest):
            return group
    if kind != "game":
        return KIND_GROUPS.get(kind, OTHER)
    if _DIAMOND.search(rest):
        return DIAMONDS
    # Most top-ups name an amount ("125 Points", "IDR 12.000 STEAM"); nameless oddities go last.
    return TOP_UP if _AMOUNT.search(rest) else OTHER


def group_rank(group: str) -> int:
    return RANKS.get(group, REGION_RANK)


def group_key(group: str) -> str:
    """The group's id in URLs (`?grup=pass-membership`)."""
    return slugify(group)
