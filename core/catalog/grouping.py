"""Group a brand's items for the storefront (diamonds, passes, bundles…) and derive category slugs."""

from __future__ import annotations

import re

_SLUG = re.compile(r"[^a-z0-9]+")

# (group name shown to buyers, lower-case keywords); first match wins, order matters.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Pass & Membership", ("pass", "membership", "starlight", "member", "welkin", "blessing", "express")),
    ("Bundle & Paket", ("bundle", "paket", "package", "pack")),
    ("Diamonds", ("diamond", " dm", "dm ")),
    ("Token & Saldo", ("token", "saldo")),
    ("Pulsa", ("pulsa",)),
    ("Data", ("data", "kuota", "gb", "internet")),
)
DEFAULT_GROUP = "Item"


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-") or "lainnya"


def group_of(name: str, kind: str) -> str:
    low = f" {name.lower()} "
    if kind in ("pulsa",):
        return "Pulsa"
    for group, words in GROUPS:
        if any(w in low for w in words):
            return group
    return DEFAULT_GROUP
