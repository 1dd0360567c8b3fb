"""The connection to the store several workers share (Redis), and what happens when it
is away.

Redis saves money across workers; it must never cost a run. So every call ends by a
timeout (a stalled Redis is a timeout, not a hang), any failure makes this worker use
its own stores for RETRY_SECONDS before it tries Redis again, and an outage is said
once in the log and once in the status line of each run it touches, naming the server
by scheme, host, port and database only (never a user name or password).

The `redis` package is imported when a worker first needs it, so the pack imports and
works without it when no Redis is set.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..config import SharedSettings, redis_password
from ..errors import redact
from ..run_context import RunContext

log = logging.getLogger(__name__)

T = TypeVar("T")

# Every key the pack writes starts with this; the rest of a key is a fixed word and
# hashes (of requests, jobs, accounts), never a key, URL or other configured value.
KEY_PREFIX = "object-removal:v1:"
# The longest one Redis call may take (each read and write of its socket, and connecting).
REDIS_TIMEOUT_SECONDS = 2.0
# After a failure this worker uses its own stores this long before it tries Redis again,
# so an unreachable Redis costs one timeout per RETRY_SECONDS, not one per call.
RETRY_SECONDS = 30.0


class SharedStoreDown(Exception):
    """Redis could not serve this call: the caller uses this worker's own store."""


class RedisLink:
    """One Redis (one URL) for this process: its client, its health, the notes said."""

    def __init__(self, settings: SharedSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.where = settings.where
        self.cache_bytes = settings.cache_bytes
        self._url = settings.redis_url
        self._secrets = [settings.redis_url, redis_password(settings.redis_url)]
        self._clock = clock
        self._lock = threading.Lock()
        self._client: Any = None
        self._scripts: dict[str, Any] = {}
        self._down_at: float | None = None
        self._told: weakref.WeakSet[RunContext] = weakref.WeakSet()
        self._full_said = False

    # -- what callers use ------------------------------------------------------------

    def run(self, operation: Callable[[Any], T], ctx: RunContext | None) -> T:
        """`operation(client)`, or SharedStoreDown (Redis is away, or just failed: said
        once in the log and once to `ctx`'s status line)."""
        client = self._usable_client(ctx)
        try:
            result = operation(client)
        except Exception as exc:  # whatever Redis (or its client) did, the run goes on
            self._failed(exc, ctx)
            raise SharedStoreDown() from None
        if self._down_at is not None:
            self._back()
        return result

    def script(self, source: str, keys: Sequence[str], args: Sequence[Any],
               ctx: RunContext | None) -> Any:
        """A Lua script run atomically by Redis (sent once, then called by its hash)."""
        return self.run(lambda client: self.registered(client, source)(keys=keys, args=args),
                        ctx)

    def registered(self, client: Any, source: str) -> Any:
        """The script `source` for `client` (callable with keys, args and a pipeline)."""
        with self._lock:
            script = self._scripts.get(source)
            if script is None:
                script = self._scripts[source] = client.register_script(source)
            return script

    def available(self) -> bool:
        """False while this worker rests from a failure (no call is made to find out)."""
        down_at = self._down_at
        return down_at is None or self._clock() - down_at >= RETRY_SECONDS

    def fell_back(self, ctx: RunContext) -> bool:
        """Whether `ctx`'s run used this worker's own stores because Redis was away."""
        return ctx in self._told

    def note(self, reason: str = "") -> str:
        why = f" ({reason})" if reason else ""
        return (f"shared store (Redis at {self.where}) unreachable{why}: this worker uses its "
                "own stores (what it pays for is kept here, not shared)")

    # -- health ------------------------------------------------------------------------

    def _usable_client(self, ctx: RunContext | None) -> Any:
        failure: Exception | None = None
        with self._lock:
            down_at = self._down_at
            resting = down_at is not None and self._clock() - down_at < RETRY_SECONDS
            if not resting and self._client is None:
                try:
                    self._client = self._connect()
                except Exception as exc:  # no package, or a URL the client cannot take
                    failure = exc
            client = None if resting else self._client
        if failure is not None:
            self._failed(failure, ctx)
        if client is None:
            self._tell(ctx)
            raise SharedStoreDown()
        return client

    def _connect(self) -> Any:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise RuntimeError("the redis package is not installed in ComfyUI's Python "
                               "(pip install redis)") from None
        return redis.Redis.from_url(
            self._url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            # One reconnection for a connection Redis closed (a restart); a timeout is
            # never retried, so a stalled Redis costs one timeout.
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            health_check_interval=30,
        )

    def _failed(self, exc: Exception | None, ctx: RunContext | None) -> None:
        reason = self._reason(exc)
        if reason.startswith("ResponseError: OOM"):
            # Full: this entry is not shared, but Redis works; nothing else changes.
            if not self._full_said:
                self._full_said = True
                log.warning("comfyui-object-removal: the shared store (Redis at %s) is full "
                            "(maxmemory): set [shared] cache_mb below Redis' maxmemory (see "
                            "the README); what does not fit is kept on this worker only.",
                            self.where)
            return
        with self._lock:
            first = self._down_at is None
            self._down_at = self._clock()
        if first:
            log.warning("comfyui-object-removal: %s. Tried again in %.0f s; no run fails for "
                        "it.", self.note(reason), RETRY_SECONDS)
        self._tell(ctx)

    def _back(self) -> None:
        with self._lock:
            was_down, self._down_at = self._down_at is not None, None
        if was_down:
            log.warning("comfyui-object-removal: the shared store (Redis at %s) is reachable "
                        "again: this worker shares its paid work again.", self.where)

    def _tell(self, ctx: RunContext | None) -> None:
        if ctx is None:
            return
        with self._lock:
            if ctx in self._told:
                return
            self._told.add(ctx)
        ctx.status(self.note())

    def _reason(self, exc: Exception | None) -> str:
        if exc is None:
            return "unknown"
        text = redact(str(exc), self._secrets)[:200]
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_links_lock = threading.Lock()
_links: dict[str, RedisLink] = {}


def link_for(settings: SharedSettings) -> RedisLink:
    """The one link of this process to the Redis `settings` name."""
    with _links_lock:
        link = _links.get(settings.redis_url)
        if link is None:
            link = _links[settings.redis_url] = RedisLink(settings)
        return link


def forget_links() -> None:
    """Connect afresh at the next use (tests: each test's own Redis)."""
    with _links_lock:
        _links.clear()
