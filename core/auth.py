"""Admin accounts: scrypt password hashes, first-admin creation, login checks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import insert, select, update

from core.tables import admins
from core.timeutil import now_ms

_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 10

# Checked when the username is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = ""


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


def session_fingerprint(admin: dict[str, Any]) -> str:
    """A short tag of the stored hash: a changed password invalidates every session signed before it."""
    return hashlib.sha256(f"{admin['id']}:{admin['password_hash']}".encode()).hexdigest()[:16]


async def get_admin(db: Any, username: str) -> dict[str, Any] | None:
    row = await db.fetch_one(select(admins).where(admins.c.username == username))
    return dict(row._mapping) if row else None


async def authenticate(db: Any, username: str, password: str) -> dict[str, Any] | None:
    """The admin row when the password is right, else None (same work either way)."""
    global _DUMMY_HASH
    admin = await get_admin(db, username.strip()[:80]) if username else None
    if admin is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH = hash_password(secrets.token_urlsafe(12))
        await asyncio.to_thread(verify_password, password, _DUMMY_HASH)
        return None
    # scrypt takes ~50 ms: off the event loop, so a login flood cannot stall webhooks and pages.
    ok = await asyncio.to_thread(verify_password, password, admin["password_hash"])
    return admin if ok else None


async def create_admin(db: Any, username: str, password: str) -> None:
    await db.execute(insert(admins).values(username=username, password_hash=hash_password(password),
                                           created_at=now_ms()))


async def set_password(db: Any, username: str, password: str) -> bool:
    row = await db.fetch_one(update(admins).where(admins.c.username == username)
                             .values(password_hash=hash_password(password)).returning(admins.c.id))
    return row is not None


async def ensure_first_admin(db: Any, password: str | None) -> str | None:
    """Create `admin` when no admin exists. Returns the generated password (to print once), else None."""
    if await db.fetch_one(select(admins.c.id).limit(1)) is not None:
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    await create_admin(db, "admin", password)
    return generated
