"""Order codes: `MADD-` + 6 Crockford base32 characters (no I, L, O, U), matched case-insensitively."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "MADD-"
LENGTH = 6

# Tolerant: case, spaces / dashes / dots / underscores between MADD and the code, emoji around it.
_FIND = re.compile(r"(?<![A-Za-z0-9])MADD[\s\-_.:#]*([0-9A-Za-z]{6})(?![A-Za-z0-9])", re.IGNORECASE)
_CROCKFORD_FIX = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str | None:
    """`madd 7kq2xd` / `MADD-7KQ2XD` -> `MADD-7KQ2XD`; None when it is not a code."""
    m = _FIND.fullmatch(text.strip()) if text else None
    return _canonical(m.group(1)) if m else None


def find_codes(text: str | None) -> list[str]:
    """Every order code in free text (a payment message), canonical, in order of appearance, unique."""
    out: list[str] = []
    for m in _FIND.finditer(text or ""):
        code = _canonical(m.group(1))
        if code and code not in out:
            out.append(code)
    return out


def _canonical(body: str) -> str | None:
    body = body.upper().translate(_CROCKFORD_FIX)
    if any(ch not in ALPHABET for ch in body):
        return None
    return PREFIX + body
