"""Admin accounts: scrypt password hashes, first-admin creation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import insert, select

from core.tables import admins
from core.timeutil import now_ms

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=32)
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


async def get_admin(db: Any, username: str) -> dict[str, Any] | None:
    row = await db.fetch_one(select(admins).where(admins.c.username == username))
    return dict(row._mapping) if row else None


async def create_admin(db: Any, username: str, password: str) -> None:
    await db.execute(insert(admins).values(username=username, password_hash=hash_password(password),
                                           created_at=now_ms()))


async def ensure_first_admin(db: Any, password: str | None) -> str | None:
    """Create `admin` when no admin exists. Returns the generated password (to print once), else None."""
    if await db.fetch_one(select(admins.c.id).limit(1)) is not None:
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    await create_admin(db, "admin", password)
    return generated
