"""How many failed logins (and wrong current passwords) are counted, and where.

One process counts in its own memory (:class:`LocalLimits`, the pure sliding window of
``server/domain/ratelimit.py``). The processes of a province count together in Redis
(:class:`RedisLimits`), so N processes allow what one allows, not N times as much:
a sorted set per key holds the instants of the failures, by Redis's own clock (the
processes' clocks need not agree). If Redis does not answer, the process counts in
its own memory meanwhile (logged), rather than refuse every login or allow all.

Both have the same three questions, all awaited: ``allow(key, limit=None)`` (another
try is within the limit; counts nothing), ``fail(key)`` (count one), ``reset(key)``.
A key is a tuple of strings and numbers, e.g. ``("address", "10.0.0.7")``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Hashable
from typing import Any, Protocol

from server.domain.ratelimit import SlidingWindowLimiter

log = logging.getLogger(__name__)

LOGIN_LIMIT = 10  # failed tries per key in the window
LOGIN_WINDOW_S = 300


class LoginLimits(Protocol):
    async def allow(self, key: Hashable, limit: int | None = None) -> bool: ...
    async def fail(self, key: Hashable) -> None: ...
    async def reset(self, key: Hashable) -> None: ...


class LocalLimits:
    """Counted in this process."""

    def __init__(self, limit: int = LOGIN_LIMIT, window_s: float = LOGIN_WINDOW_S) -> None:
        self.window = SlidingWindowLimiter(limit=limit, window_s=window_s)

    async def allow(self, key: Hashable, limit: int | None = None) -> bool:
        return self.window.allow(key, limit)

    async def fail(self, key: Hashable) -> None:
        self.window.fail(key)

    async def reset(self, key: Hashable) -> None:
        self.window.reset(key)


# Both scripts drop the failures older than the window first, by the server's clock.
_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
"""
_FAIL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""


class RedisLimits:
    """Counted in Redis, shared by every process with the same ``prefix`` (the province's
    channel name, so two provinces on one Redis do not count each other's)."""

    TIMEOUT = 2.0  # seconds; then this process counts alone until Redis answers again

    def __init__(self, url: str, prefix: str, limit: int = LOGIN_LIMIT,
                 window_s: float = LOGIN_WINDOW_S) -> None:
        import redis.asyncio as aioredis

        self.limit = limit
        self.window_ms = int(window_s * 1000)
        self.prefix = prefix
        self.redis = aioredis.Redis.from_url(url, socket_connect_timeout=self.TIMEOUT,
                                             socket_timeout=self.TIMEOUT)
        self._count = self.redis.register_script(_COUNT)
        self._fail = self.redis.register_script(_FAIL)
        self.fallback = LocalLimits(limit, window_s)

    def _key(self, key: Hashable) -> str:
        parts = list(key) if isinstance(key, tuple) else [key]
        return f"{self.prefix}:login-limit:" + json.dumps(parts, ensure_ascii=False,
                                                          default=str)

    async def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return await fn(*args)
        except Exception as exc:  # noqa: BLE001 - Redis away: count here meanwhile
            log.error("Redis did not answer the login limit (%s): %s; counting in this "
                      "process meanwhile", what, exc)
            return None

    async def allow(self, key: Hashable, limit: int | None = None) -> bool:
        n = await self._call("count", self._count, [self._key(key)], [self.window_ms])
        if n is None:
            return await self.fallback.allow(key, limit)
        return int(n) < (self.limit if limit is None else limit)

    async def fail(self, key: Hashable) -> None:
        done = await self._call("fail", self._fail, [self._key(key)],
                                [self.window_ms, uuid.uuid4().hex])
        if done is None:
            await self.fallback.fail(key)

    async def reset(self, key: Hashable) -> None:
        await self._call("reset", self.redis.delete, self._key(key))
        await self.fallback.reset(key)

    async def close(self) -> None:
        await self.redis.aclose()


def login_limits(redis_url: str | None, prefix: str) -> LocalLimits | RedisLimits:
    """Shared through Redis in a province (``redis_url``), else in this process."""
    return RedisLimits(redis_url, prefix) if redis_url else LocalLimits()
