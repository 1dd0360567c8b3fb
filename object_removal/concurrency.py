"""How many calls (or queued jobs) one provider account may have in flight, learnt from
what the provider says.

A fixed number is wrong both ways: too low for most accounts (batches wait in line),
too high for some (every call refused). So each account starts generous and learns
from evidence only:

- a "too many at once" refusal of a call while `n` other calls of the account were at
  the provider says the account allows at most `n` at once: the limit drops to `n`
  (never lower), and that evidence holds for EVIDENCE_SECONDS;
- a call refused while it was alone says nothing about how many the account allows
  (a per-second rate, another worker on the same key): nothing is cut;
- once the evidence is older, each success with the limit in use adds one, so a
  batch doubles it every round trip, up to the ceiling (or the next refusal).

Refusals bill nothing and are sent again. One limit per provider and account serves
every node, batch and prompt of the process: ComfyUI runs each prompt in a fresh
event loop, so waiting is done with threads and short sleeps, never with an asyncio
object tied to one loop. An optional user ceiling caps it. What callers use is
`AccountLimit`: a limit shared by several workers would offer the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from typing import Protocol

from .errors import Cancelled
from .run_context import CancelSignal, RunContext

# How long a refusal's evidence caps the limit before it may grow past it again.
EVIDENCE_SECONDS = 30.0
WAIT_CHECK_SECONDS = 0.05


class LimitedCall(Protocol):
    """One call (with its retries) under an account's limit, told what came of it."""

    def attempt(self, *, hold: bool,
                cancel: CancelSignal | None = None) -> AbstractContextManager[None]:
        """One attempt; with `hold` it takes a slot of its own for its duration (else the
        caller already holds one, e.g. a queued job's)."""
        ...

    def refused(self) -> None:
        """The provider answered this attempt "too many at once"."""
        ...

    def succeeded(self) -> None:
        ...

    def done(self) -> None:
        """No more attempts of this call."""
        ...


class AccountLimit(Protocol):
    """What the clients and the job runner use of an account's limit."""

    @property
    def limit(self) -> int: ...

    @property
    def in_flight(self) -> int: ...

    def call(self) -> LimitedCall: ...

    def hold(self, cancel: CancelSignal | None = None) -> AbstractContextManager[None]: ...

    def hold_async(self, ctx: RunContext) -> AbstractAsyncContextManager[None]: ...


class AdaptiveLimit:
    """An account's limit in this process (see the module's docstring)."""

    def __init__(self, start: int, ceiling: int, floor: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._condition = threading.Condition()
        self.ceiling = max(floor, ceiling)
        self.floor = floor
        self._limit = min(max(start, floor), self.ceiling)
        self._clock = clock
        self._in_flight = 0
        # Slots whose holder was refused and has not sent again: not at the provider.
        self._set_aside = 0
        self._evidence: int | None = None
        self._evidence_at = -float("inf")

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def set_ceiling(self, ceiling: int) -> None:
        with self._condition:
            self.ceiling = max(self.floor, ceiling)
            self._limit = min(self._limit, self.ceiling)

    def try_acquire(self) -> bool:
        with self._condition:
            if self._in_flight < self._limit:
                self._in_flight += 1
                return True
            return False

    def release(self) -> None:
        with self._condition:
            self._in_flight -= 1
            self._condition.notify_all()

    @contextmanager
    def hold(self, cancel: CancelSignal | None = None) -> Iterator[None]:
        """A slot for the duration of the block, waited for in this (worker) thread."""
        self._acquire(cancel)
        try:
            yield
        finally:
            self.release()

    @asynccontextmanager
    async def hold_async(self, ctx: RunContext) -> AsyncIterator[None]:
        """A slot for the duration of the block, waited for without blocking the loop;
        Cancel (the run's, or ComfyUI's button) ends the wait."""
        while not self.try_acquire():
            ctx.raise_if_cancelled()
            await asyncio.sleep(WAIT_CHECK_SECONDS)
        try:
            yield
        finally:
            self.release()

    def call(self) -> _Call:
        return _Call(self)

    def _acquire(self, cancel: CancelSignal | None) -> None:
        with self._condition:
            while self._in_flight >= self._limit:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("cancelled")
                self._condition.wait(WAIT_CHECK_SECONDS * 4)
            self._in_flight += 1

    def _refused(self) -> None:
        """A call holding a slot was refused (called with the lock held, before its slot
        is set aside)."""
        others = self._in_flight - self._set_aside - 1
        if others < 1:
            return  # alone at the provider: its refusal says nothing of the account's limit
        now = self._clock()
        if self._evidence is None or now - self._evidence_at >= EVIDENCE_SECONDS:
            self._evidence = others
        else:
            self._evidence = min(self._evidence, others)
        self._evidence_at = now
        self._limit = max(self.floor, min(self._limit, others))

    def _succeeded(self) -> None:
        """A call holding a slot went through (called with the lock held)."""
        if self._in_flight - self._set_aside < self._limit:
            return  # the limit was not what held anything back: nothing learnt
        cap = self.ceiling
        if self._evidence is not None and self._clock() - self._evidence_at < EVIDENCE_SECONDS:
            cap = min(cap, self._evidence)
        if self._limit < cap:
            self._limit += 1
            self._condition.notify_all()


class _Call:
    """One call and its retries. A refused attempt's slot is set aside (not at the
    provider) until the call sends again, gives its slot back, or ends, so refusals
    that arrive together each see only the calls the provider really holds."""

    def __init__(self, limit: AdaptiveLimit) -> None:
        self._limit = limit
        self._aside = False

    @contextmanager
    def attempt(self, *, hold: bool, cancel: CancelSignal | None = None) -> Iterator[None]:
        limit = self._limit
        if hold:
            limit._acquire(cancel)
        with limit._condition:
            self._back_in()
        try:
            yield
        finally:
            if hold:
                with limit._condition:
                    self._back_in()
                    limit._in_flight -= 1
                    limit._condition.notify_all()

    def refused(self) -> None:
        with self._limit._condition:
            self._limit._refused()
            if not self._aside:
                self._aside = True
                self._limit._set_aside += 1

    def succeeded(self) -> None:
        with self._limit._condition:
            self._limit._succeeded()

    def done(self) -> None:
        with self._limit._condition:
            self._back_in()

    def _back_in(self) -> None:
        if self._aside:
            self._aside = False
            self._limit._set_aside -= 1


_registry_lock = threading.Lock()
_limits: dict[tuple[str, str, str], AdaptiveLimit] = {}


def account_limit(vendor: str, origin: str, key: str, *, start: int, ceiling: int
                  ) -> AdaptiveLimit:
    """The one limit of this vendor account (by origin and a hash of its key) in this
    process; a changed user ceiling applies at once."""
    account = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    with _registry_lock:
        limit = _limits.get((vendor, origin, account))
        if limit is None:
            limit = _limits[vendor, origin, account] = AdaptiveLimit(start, ceiling)
        elif limit.ceiling != ceiling:
            limit.set_ceiling(ceiling)
        return limit


def forget_limits() -> None:
    """Start every account afresh (tests; a user who changed plans can restart)."""
    with _registry_lock:
        _limits.clear()
