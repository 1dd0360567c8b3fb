"""How many calls (or queued jobs) one provider account may have in flight, learnt as
the run goes: additive increase, multiplicative decrease (AIMD, as TCP does).

A fixed number is wrong both ways: too low for most accounts (batches wait in line),
too high for some (every call refused). So each account starts generous, halves on
the provider's own rate or concurrency refusal (which bills nothing and is retried),
and grows by one per `limit` successes. One limit per provider and account serves
every node, batch and prompt of the process: ComfyUI runs each prompt in a fresh
event loop, so waiting is done with threads and short sleeps, never with an
asyncio object tied to one loop. An optional user ceiling caps it.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from .errors import Cancelled
from .run_context import CancelSignal, RunContext

# A second refusal this soon after a decrease is the same crowding, not a new one.
DECREASE_SPACING_SECONDS = 1.0
WAIT_CHECK_SECONDS = 0.05

_registry_lock = threading.Lock()
_limits: dict[tuple[str, str, str], AdaptiveLimit] = {}


class AdaptiveLimit:
    def __init__(self, start: int, ceiling: int, floor: int = 1) -> None:
        self._condition = threading.Condition()
        self.ceiling = max(floor, ceiling)
        self.floor = floor
        self._limit = float(min(max(start, floor), self.ceiling))
        self._in_flight = 0
        self._last_decrease = -float("inf")
        self._successes = 0

    @property
    def limit(self) -> int:
        return int(self._limit)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def set_ceiling(self, ceiling: int) -> None:
        with self._condition:
            self.ceiling = max(self.floor, ceiling)
            self._limit = min(self._limit, self.ceiling)

    def try_acquire(self) -> bool:
        with self._condition:
            if self._in_flight < int(self._limit):
                self._in_flight += 1
                return True
            return False

    def release(self) -> None:
        with self._condition:
            self._in_flight -= 1
            self._condition.notify_all()

    def refused(self) -> None:
        """The provider said "too many at once": halve, at most once per crowding."""
        with self._condition:
            now = time.monotonic()
            if now - self._last_decrease >= DECREASE_SPACING_SECONDS:
                self._limit = max(float(self.floor), float(int(self._limit / 2)))
                self._last_decrease = now
                self._successes = 0

    def succeeded(self) -> None:
        """One more call went through: grow by one per `limit` successes."""
        with self._condition:
            self._successes += 1
            if self._successes >= int(self._limit):
                self._successes = 0
                self._limit = min(float(self.ceiling), self._limit + 1)
                self._condition.notify_all()

    @contextmanager
    def hold(self, cancel: CancelSignal | None = None) -> Iterator[None]:
        """A slot for the duration of the block, waited for in this (worker) thread."""
        with self._condition:
            while self._in_flight >= int(self._limit):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("cancelled")
                self._condition.wait(WAIT_CHECK_SECONDS * 4)
            self._in_flight += 1
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
