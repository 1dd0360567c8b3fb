"""One limit per account and provider for every worker: the calls (or queued jobs) of
the account in flight across all workers, learnt as `concurrency.py` learns it, held
in Redis.

Each slot is a lease: a member of a sorted set scored by when it runs out on Redis'
own clock, renewed by its worker's lease keeper while held, so the slots of a worker
that died are free again within LEASE_SECONDS. The learnt limit and its evidence live
beside them. Every decision (take a slot; a refusal's cut to the calls the provider
held then; a success's growth) is one Lua script, atomic across workers, timed by
Redis' clock so that workers whose clocks differ agree. Redis away: this process's
`AdaptiveLimit`, as without a shared store.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

from .. import concurrency
from ..errors import Cancelled
from ..run_context import CancelSignal, RunContext
from .leases import LeaseKeeper, lease_ms, new_token
from .redis_link import KEY_PREFIX, RedisLink, SharedStoreDown

# The learnt limit is forgotten after a day without a refusal or a growth.
STATE_SECONDS = 24 * 3600
FLOOR = 1

# KEYS: slots (token -> lease end, ms), aside (call -> lease end), state (hash).
_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local function limit_now(start, ceiling)
  local limit = tonumber(redis.call('HGET', KEYS[3], 'limit')) or start
  return math.min(limit, ceiling)
end
local function at_provider()
  return redis.call('ZCARD', KEYS[1]) - redis.call('ZCARD', KEYS[2])
end
local function evidence(window)
  local found = tonumber(redis.call('HGET', KEYS[3], 'evidence'))
  local at = tonumber(redis.call('HGET', KEYS[3], 'evidence_at')) or 0
  if found ~= nil and now - at < window then return found end
  return nil
end
"""
# ARGV: token, lease ms, start, ceiling. 1: the slot is taken.
_ACQUIRE = _PRELUDE + """
if redis.call('ZCARD', KEYS[1]) >= limit_now(tonumber(ARGV[3]), tonumber(ARGV[4])) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return 1
"""
_RELEASE = "redis.call('ZREM', KEYS[1], ARGV[1]) return 1"
# A call was refused "too many at once": the account allows at most the others then at
# the provider (none: it was alone, nothing learnt); the call is set aside (not at the
# provider) until it sends again. ARGV: call, lease ms, start, ceiling, floor,
# evidence ms, state seconds.
_REFUSED = _PRELUDE + """
local others = at_provider() - 1
if others >= 1 then
  local found = evidence(tonumber(ARGV[6]))
  if found == nil then found = others else found = math.min(found, others) end
  local limit = math.min(limit_now(tonumber(ARGV[3]), tonumber(ARGV[4])), others)
  redis.call('HSET', KEYS[3], 'evidence', found, 'evidence_at', now,
             'limit', math.max(tonumber(ARGV[5]), limit))
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[2]))
return 1
"""
# A call went through with the limit in use: one more, up to the ceiling or the fresh
# evidence. ARGV: start, ceiling, evidence ms, state seconds.
_SUCCEEDED = _PRELUDE + """
local limit = limit_now(tonumber(ARGV[1]), tonumber(ARGV[2]))
if at_provider() < limit then return limit end
local cap = tonumber(ARGV[2])
local found = evidence(tonumber(ARGV[3]))
if found ~= nil then cap = math.min(cap, found) end
if limit < cap then
  limit = limit + 1
  redis.call('HSET', KEYS[3], 'limit', limit)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
end
return limit
"""
_BACK_IN = "redis.call('ZREM', KEYS[2], ARGV[1]) return 1"
# ARGV: lease ms, how many of the tokens are slots, the tokens (slots, then calls aside).
_RENEW = _PRELUDE + """
local lease = tonumber(ARGV[1])
for i = 3, #ARGV do
  local key = KEYS[1]
  if i - 2 > tonumber(ARGV[2]) then key = KEYS[2] end
  redis.call('ZADD', key, 'XX', now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], 2 * lease)
redis.call('PEXPIRE', KEYS[2], 2 * lease)
return 1
"""
# ARGV: start, ceiling. {limit, slots taken}.
_STATE = _PRELUDE + """
return {limit_now(tonumber(ARGV[1]), tonumber(ARGV[2])), redis.call('ZCARD', KEYS[1])}
"""


@dataclass(frozen=True)
class _Slot:
    """A slot taken: a lease in Redis (its token), or one of this process's own limit."""

    token: str | None


class SharedLimit:
    """An account's limit for every worker (see the module's docstring)."""

    def __init__(self, link: RedisLink, keeper: LeaseKeeper, account: str,
                 local: concurrency.AdaptiveLimit, start: int, ceiling: int) -> None:
        self._link = link
        self._keeper = keeper
        self._local = local
        self.start = start
        self.ceiling = ceiling
        base = f"{KEY_PREFIX}limit:{account}:"
        self._keys = [base + "slots", base + "aside", base + "state"]
        self._wake = threading.Condition()  # this process's waiters, woken by its releases
        self._slots: set[str] = set()
        self._aside: set[str] = set()
        keeper.keep(self._renew)

    def shared_now(self) -> bool:
        """Whether Redis is thought reachable (no call is made to find out)."""
        return self._link.available()

    def for_run(self, ctx: RunContext | None) -> RunLimit:
        return RunLimit(self, ctx)

    def state(self, ctx: RunContext | None) -> tuple[int, int]:
        """(the limit, slots taken) across workers; this process's own while Redis is away."""
        try:
            limit, taken = self._link.script(_STATE, self._keys, [self.start, self.ceiling],
                                             ctx)
            return int(limit), int(taken)
        except SharedStoreDown:
            return self._local.limit, self._local.in_flight

    # -- slots ---------------------------------------------------------------------------

    def try_acquire(self, ctx: RunContext | None) -> _Slot | None:
        token = new_token()
        with self._wake:
            self._slots.add(token)  # renewed from now on (renewing a slot not taken is a no-op)
        try:
            taken = self._link.script(_ACQUIRE, self._keys,
                                      [token, lease_ms(), self.start, self.ceiling], ctx)
        except SharedStoreDown:
            self._forget(token)
            return _Slot(None) if self._local.try_acquire() else None
        if not taken:
            self._forget(token)
            return None
        return _Slot(token)

    def acquire(self, cancel: CancelSignal | None, ctx: RunContext | None) -> _Slot:
        """A slot, waited for in this (worker) thread; Cancel ends the wait."""
        while True:
            slot = self.try_acquire(ctx)
            if slot is not None:
                return slot
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled")
            with self._wake:
                self._wake.wait(concurrency.WAIT_CHECK_SECONDS)

    def release(self, slot: _Slot, ctx: RunContext | None) -> None:
        if slot.token is None:
            self._local.release()
        else:
            self._forget(slot.token)
            try:
                self._link.script(_RELEASE, self._keys, [slot.token], ctx)
            except SharedStoreDown:
                pass  # its lease runs out
        with self._wake:
            self._wake.notify_all()

    def release_soon(self, slot: _Slot, ctx: RunContext | None) -> None:
        """Release in the lease keeper's thread: for the event loop, which must not wait."""
        self._keeper.soon(lambda: self.release(slot, ctx))

    def _forget(self, token: str) -> None:
        with self._wake:
            self._slots.discard(token)

    def _renew(self) -> None:
        with self._wake:
            slots, aside = list(self._slots), list(self._aside)
        if slots or aside:
            self._link.script(_RENEW, self._keys, [lease_ms(), len(slots), *slots, *aside],
                              None)

    # -- what a call teaches -----------------------------------------------------------

    def refused(self, call: str, ctx: RunContext | None) -> None:
        with self._wake:
            self._aside.add(call)
        try:
            self._link.script(_REFUSED, self._keys, [
                call, lease_ms(), self.start, self.ceiling, FLOOR,
                int(concurrency.EVIDENCE_SECONDS * 1000), STATE_SECONDS], ctx)
        except SharedStoreDown:
            self.back_in(call, ctx)
            raise

    def succeeded(self, ctx: RunContext | None) -> None:
        self._link.script(_SUCCEEDED, self._keys, [
            self.start, self.ceiling, int(concurrency.EVIDENCE_SECONDS * 1000),
            STATE_SECONDS], ctx)
        with self._wake:
            self._wake.notify_all()  # the limit may have grown

    def back_in(self, call: str, ctx: RunContext | None) -> None:
        with self._wake:
            if call not in self._aside:
                return
            self._aside.discard(call)
        try:
            self._link.script(_BACK_IN, self._keys, [call], ctx)
        except SharedStoreDown:
            pass  # its lease runs out


class RunLimit:
    """`AccountLimit` for one run: the shared limit, telling the run when Redis is away."""

    def __init__(self, shared: SharedLimit, ctx: RunContext | None) -> None:
        self._shared = shared
        self._ctx = ctx

    @property
    def limit(self) -> int:
        return self._shared.state(self._ctx)[0]

    @property
    def in_flight(self) -> int:
        return self._shared.state(self._ctx)[1]

    def call(self) -> _SharedCall:
        return _SharedCall(self._shared, self._ctx)

    @contextmanager
    def hold(self, cancel: CancelSignal | None = None) -> Iterator[None]:
        slot = self._shared.acquire(cancel, self._ctx)
        try:
            yield
        finally:
            self._shared.release(slot, self._ctx)

    @asynccontextmanager
    async def hold_async(self, ctx: RunContext) -> AsyncIterator[None]:
        """A slot, waited for without blocking the event loop (every Redis call runs in a
        thread; the release in the lease keeper's); Cancel ends the wait."""
        shared = self._shared
        while True:
            slot = await _in_thread(lambda: shared.try_acquire(ctx),
                                    lambda late: shared.release(late, ctx))
            if slot is not None:
                break
            ctx.raise_if_cancelled()
            await asyncio.sleep(concurrency.WAIT_CHECK_SECONDS)
        try:
            yield
        finally:
            shared.release_soon(slot, ctx)


async def _in_thread(take, give_back):  # type: ignore[no-untyped-def]
    """`take()` in a thread; if the wait for it is cancelled, what it took is given back."""
    future = asyncio.get_running_loop().run_in_executor(None, take)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        def returned(done: asyncio.Future) -> None:  # type: ignore[type-arg]
            if not done.cancelled() and done.exception() is None and done.result() is not None:
                give_back(done.result())

        future.add_done_callback(returned)
        raise


class _SharedCall:
    """One call and its retries (concurrency.LimitedCall) under the shared limit; an
    attempt whose slot came from this process's own limit (Redis away) reports there."""

    def __init__(self, shared: SharedLimit, ctx: RunContext | None) -> None:
        self._shared = shared
        self._ctx = ctx
        self._name = new_token()  # names the call while it is set aside
        self._local = shared._local.call()
        self._in_redis = True

    @contextmanager
    def attempt(self, *, hold: bool, cancel: CancelSignal | None = None) -> Iterator[None]:
        shared = self._shared
        slot = shared.acquire(cancel, self._ctx) if hold else None
        self._in_redis = slot.token is not None if slot is not None else shared.shared_now()
        shared.back_in(self._name, self._ctx)
        try:
            if self._in_redis:
                yield
            else:
                with self._local.attempt(hold=False, cancel=cancel):
                    yield
        finally:
            if slot is not None:
                shared.back_in(self._name, self._ctx)
                shared.release(slot, self._ctx)

    def refused(self) -> None:
        if self._in_redis:
            try:
                self._shared.refused(self._name, self._ctx)
                return
            except SharedStoreDown:
                pass
        self._local.refused()

    def succeeded(self) -> None:
        if self._in_redis:
            try:
                self._shared.succeeded(self._ctx)
                return
            except SharedStoreDown:
                pass
        self._local.succeeded()

    def done(self) -> None:
        self._shared.back_in(self._name, self._ctx)
        self._local.done()


_registry_lock = threading.Lock()
_limits: dict[tuple[RedisLink, str, str, str], SharedLimit] = {}


def shared_limit(link: RedisLink, keeper: LeaseKeeper, vendor: str, origin: str, key: str,
                 *, start: int, ceiling: int) -> SharedLimit:
    """The one shared limit of this vendor account (by origin and a hash of its key) in
    this process; the same account names the same Redis keys on every worker."""
    key_hash = hashlib.sha256(key.encode("utf-8")).hexdigest()
    account = hashlib.sha256(f"{vendor}\n{origin}\n{key_hash}".encode()).hexdigest()[:32]
    local = concurrency.account_limit(vendor, origin, key, start=start, ceiling=ceiling)
    with _registry_lock:
        limit = _limits.get((link, vendor, origin, account))
        if limit is None:
            limit = _limits[link, vendor, origin, account] = SharedLimit(
                link, keeper, account, local, min(max(start, FLOOR), local.ceiling),
                local.ceiling)
        limit.ceiling = local.ceiling
        return limit


def forget_shared_limits() -> None:
    with _registry_lock:
        _limits.clear()
