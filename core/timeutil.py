"""Times: aware UTC in Python, integer epoch milliseconds in the database (portable across SQLite and
PostgreSQL, exact ordering and comparison in SQL), Asia/Jakarta (WIB, UTC+7) for display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")


def now() -> datetime:
    return datetime.now(UTC)


def to_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    return int(dt.timestamp() * 1000)


def now_ms() -> int:
    return to_ms(now())


def from_ms(ms: int | None) -> datetime | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC)


def iso(ms: int | None) -> str | None:
    """ISO 8601 in UTC with offset, e.g. `2026-12-03T16:01:13+00:00` (API contract)."""
    dt = from_ms(ms)
    return dt.isoformat(timespec="seconds") if dt else None


def wib(ms: int | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    dt = from_ms(ms)
    return dt.astimezone(WIB).strftime(fmt) if dt else ""
