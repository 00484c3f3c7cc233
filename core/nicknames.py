"""Nickname checks: cached briefly per (category, id, zone) and rate-limited per buyer IP."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core.errors import ApiError, invalid
from core.interfaces import CategoryRules, NicknameResult
from core.ratelimit import RateLimiter

if TYPE_CHECKING:
    from core.store import Store

log = logging.getLogger(__name__)

FOUND_TTL_SECONDS = 600
NOT_FOUND_TTL_SECONDS = 60


class NicknameService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.limiter = RateLimiter(store.settings.nickname_rate_per_minute)
        self._cache: dict[tuple[str, str, str], tuple[float, NicknameResult]] = {}

    async def check(self, category: Mapping[str, Any], rules: CategoryRules, target: Mapping[str, str],
                    client_ip: str | None, rate_limited: bool = True) -> NicknameResult:
        key = (category["slug"], target.get("user_id", ""), target.get("zone_id", ""))
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        if rate_limited and not self.limiter.allow(client_ip or "?"):
            raise ApiError(429, "rate_limited")
        result = await self.store.provider.check_nickname(rules, target)
        if not result.is_error:
            ttl = FOUND_TTL_SECONDS if result.is_found else NOT_FOUND_TTL_SECONDS
            if len(self._cache) > 20_000:
                self._cache.clear()
            self._cache[key] = (time.monotonic() + ttl, result)
        return result

    async def require(self, category: Mapping[str, Any], rules: CategoryRules, target: Mapping[str, str],
                      client_ip: str | None, rate_limited: bool = True) -> str:
        """The nickname, or a 422 the buyer understands (ID not found / check unavailable)."""
        result = await self.check(category, rules, target, client_ip, rate_limited)
        if result.is_error:
            raise invalid("nickname_unavailable", "user_id")
        if not result.is_found or not result.nickname:
            raise invalid("nickname_not_found", "user_id")
        return result.nickname
