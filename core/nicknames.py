"""Nickname checks: cached briefly per (game, id, zone), rate-limited per buyer IP, one provider call at a time
per key.

The cache key is the provider's nickname code, not the category: several brands ("Mobile Legends A",
"Mobile Legends: Bang Bang") check the same game. Only cache misses count against a buyer's limit, and order
creation passes `rate_limited=False`: a buyer who checked the ID and then orders is never refused for it.
"""

from __future__ import annotations

import asyncio
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
MAX_ENTRIES = 20_000

Key = tuple[str, str, str]


class NicknameService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.limiter = RateLimiter(store.settings.nickname_rate_per_minute)
        self._cache: dict[Key, tuple[float, NicknameResult]] = {}
        self._inflight: dict[Key, asyncio.Future[NicknameResult]] = {}

    @staticmethod
    def key(category: Mapping[str, Any], rules: CategoryRules, target: Mapping[str, str]) -> Key:
        game = rules.nickname_code or f"category:{category['slug']}"
        return (game, str(target.get("user_id", "")).strip(), str(target.get("zone_id", "")).strip())

    def cached(self, key: Key) -> NicknameResult | None:
        hit = self._cache.get(key)
        if hit is None:
            return None
        if hit[0] <= time.monotonic():
            self._cache.pop(key, None)
            return None
        return hit[1]

    async def check(self, category: Mapping[str, Any], rules: CategoryRules, target: Mapping[str, str],
                    client_ip: str | None, rate_limited: bool = True) -> NicknameResult:
        key = self.key(category, rules, target)
        hit = self.cached(key)
        if hit is not None:
            return hit
        pending = self._inflight.get(key)
        if pending is not None:  # the same ID is being checked right now: share that answer
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request itself was cancelled
                # the first asker went away before the answer came: ask again below
        if rate_limited and not self.limiter.allow(client_ip or "?"):
            raise ApiError(429, "rate_limited")
        future: asyncio.Future[NicknameResult] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._ask(rules, target)  # never raises but for cancellation
        except BaseException:
            future.cancel()
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(result)
        if not result.is_error:  # a provider hiccup is not remembered: the next try asks again
            if len(self._cache) >= MAX_ENTRIES:
                self._cache.clear()
            ttl = FOUND_TTL_SECONDS if result.is_found else NOT_FOUND_TTL_SECONDS
            self._cache[key] = (time.monotonic() + ttl, result)
        return result

    async def _ask(self, rules: CategoryRules, target: Mapping[str, str]) -> NicknameResult:
        try:
            return await self.store.provider.check_nickname(rules, target)
        except Exception as exc:  # a plugin bug is the store's problem, never the buyer's ID
            log.exception("nickname check raised")
            return NicknameResult(is_found=False, is_error=True, message=type(exc).__name__)

    async def require(self, category: Mapping[str, Any], rules: CategoryRules, target: Mapping[str, str],
                      client_ip: str | None, rate_limited: bool = True) -> str:
        """The nickname, or a 422 the buyer understands (ID not found / check unavailable)."""
        result = await self.check(category, rules, target, client_ip, rate_limited)
        if result.is_error:
            log.warning("nickname check unavailable for %s: %s", rules.nickname_code, result.message)
            raise invalid("nickname_unavailable", "user_id")
        if not result.is_found or not result.nickname:
            raise invalid("nickname_not_found", "user_id")
        return result.nickname
