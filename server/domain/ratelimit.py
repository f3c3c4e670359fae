"""Sliding-window limits per key (login attempts, self-registration by phone).

Pure apart from the clock, which the caller passes in, so it is tested directly.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._events: dict[Hashable, deque[float]] = {}

    def _recent(self, key: Hashable) -> deque[float]:
        now = self.clock()
        q = self._events.get(key)
        if q is None:
            if len(self._events) >= self.max_keys:
                self._evict(now)
            q = self._events[key] = deque()
        while q and now - q[0] >= self.window_s:
            q.popleft()
        return q

    def _evict(self, now: float) -> None:
        for k in [k for k, q in self._events.items() if not q or now - q[-1] >= self.window_s]:
            del self._events[k]
        while len(self._events) >= self.max_keys:
            self._events.pop(next(iter(self._events)))

    def allow(self, key: Hashable, limit: int | None = None) -> bool:
        """Whether another event for ``key`` is within the limit (does not count one);
        ``limit`` overrides the limiter's own for this key (a wider key, a higher limit)."""
        return len(self._recent(key)) < (self.limit if limit is None else limit)

    def fail(self, key: Hashable) -> None:
        """Count an event for ``key``."""
        self._recent(key).append(self.clock())

    def hit(self, key: Hashable) -> bool:
        """Count an event if allowed; returns whether it was."""
        if not self.allow(key):
            return False
        self.fail(key)
        return True

    def reset(self, key: Hashable) -> None:
        self._events.pop(key, None)

    def retry_after(self, key: Hashable) -> float:
        q = self._recent(key)
        if len(q) < self.limit:
            return 0.0
        return max(0.0, self.window_s - (self.clock() - q[0]))
