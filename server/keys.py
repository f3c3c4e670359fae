"""The typed keys under which the assembly (``server/app.py``) puts the server's parts on
the aiohttp application. A part reads another only through these keys."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import socketio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

if TYPE_CHECKING:
    from broadcast.service import BroadcastService
    from server.app import Config
    from server.auth import Identities
    from server.domain.ratelimit import SlidingWindowLimiter
    from server.events import Bus
    from server.executor import Executor
    from server.login_limits import LoginLimits
    from server.queue.service import QueueService
    from server.rulebook import Rules

CONFIG: web.AppKey[Config] = web.AppKey("config")
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONMAKER = web.AppKey("sessionmaker", async_sessionmaker)
EXECUTOR: web.AppKey[Executor] = web.AppKey("executor")
BUS: web.AppKey[Bus] = web.AppKey("bus")
IDENTITIES: web.AppKey[Identities] = web.AppKey("identities")
SIO = web.AppKey("sio", socketio.AsyncServer)
RULES: web.AppKey[Rules] = web.AppKey("rules")
QUEUE: web.AppKey[QueueService] = web.AppKey("queue")
BROADCAST: web.AppKey[BroadcastService] = web.AppKey("broadcast")
CACHE: web.AppKey[dict[str, Any]] = web.AppKey("cache")
APIS: web.AppKey[list[Any]] = web.AppKey("apis")
OPENAPI_EXTRA: web.AppKey[dict[str, Any]] = web.AppKey("openapi_extra")
JOIN_EXTRAS: web.AppKey[list[Any]] = web.AppKey("join_extras")
BACKGROUND: web.AppKey[set[asyncio.Task]] = web.AppKey("background")
LOGIN_LIMITER: web.AppKey[LoginLimits] = web.AppKey("login_limiter")
REGISTRATION_LIMITER: web.AppKey[SlidingWindowLimiter] = web.AppKey("registration_limiter")
DOCUMENT_LOCKS: web.AppKey[dict[Any, asyncio.Lock]] = web.AppKey("document_locks")
ASR_WORKER: web.AppKey[Any] = web.AppKey("asr_worker")
ASR_ERROR: web.AppKey[str] = web.AppKey("asr_error")
CAPTIONS: web.AppKey[Any] = web.AppKey("captions")  # server.captions.service.CaptionService
BULLETIN_SCHEDULER: web.AppKey[Any] = web.AppKey("bulletin_scheduler")
REMINDER_TASK: web.AppKey[asyncio.Task] = web.AppKey("reminder_task")
REMINDER_FIRST_CHECK_S: web.AppKey[float] = web.AppKey("reminder_first_check_s")
# The install's signing key (data folder, "phone-secret"): phone cookies, registration
# links, petition tracking codes (server/queue/phones.py, server/domain/tracking.py)
SIGNING_KEY: web.AppKey[bytes] = web.AppKey("signing_key", bytes)
