"""The per-key sliding window behind the nickname (and order) limits."""

from __future__ import annotations

import pytest

from core import ratelimit
from core.ratelimit import RateLimiter


def test_window_slides_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    limiter = RateLimiter(2, window_seconds=60)
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b"), "another buyer has their own budget"
    clock[0] += 30
    assert not limiter.allow("a")
    clock[0] += 30.001  # the first two hits have left the window
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")


def test_memory_stays_bounded() -> None:
    limiter = RateLimiter(1, max_keys=100)
    for n in range(1000):
        assert limiter.allow(f"ip-{n}")
    assert len(limiter._hits) <= 100
