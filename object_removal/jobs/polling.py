"""Waiting for a queued job: when to ask again, the loop that asks, and the wait itself.

Every queued provider waits through `poll_until_settled`, so the schedule, the
deadline and Cancel behave the same everywhere.

The schedule does not trust `eta` alone (it is often wrong both ways): polls start
a second apart and the gap grows with the time already waited, a quarter of it,
so a job that finishes at time T is picked up at most max(1 s, T/4) late whatever
its `eta` said; one extra poll lands just after the `eta`, so when it is right the
result is picked up at once. No gap exceeds MAX_POLL_SECONDS, and polls of one
account are spaced at least ACCOUNT_POLL_SPACING apart, so a batch of jobs never
hammers the provider. Waits wake often to notice Cancel.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from ..run_context import CANCEL_CHECK_SECONDS, DeadlinePassed, RunContext

MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 15.0
LATENESS = 0.25
"""A finished job is picked up within this share of the time it took (at least 1 s)."""
AFTER_ETA_SECONDS = 0.1
ACCOUNT_POLL_SPACING = 0.25


class QueuedState(Protocol):
    """What the loop needs to know of one reading of a job."""

    @property
    def settled(self) -> bool: ...

    @property
    def eta(self) -> float | None: ...


S = TypeVar("S", bound=QueuedState)


class PollSchedule:
    """When to poll one job next, in seconds since it was submitted."""

    def __init__(self) -> None:
        self._eta_at: float | None = None  # the first `eta` heard, while its poll is due

    def next_at(self, elapsed: float, eta: float | None) -> float:
        """Having just read the job at `elapsed` (it said `eta`, if anything)."""
        if self._eta_at is None and eta is not None and math.isfinite(eta) and eta >= 0:
            self._eta_at = elapsed + eta
        gap = min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, LATENESS * elapsed))
        next_at = elapsed + gap
        eta_poll = (self._eta_at or -math.inf) + AFTER_ETA_SECONDS
        if elapsed < eta_poll <= next_at:
            next_at = eta_poll
        if self._eta_at is not None and next_at >= self._eta_at:
            self._eta_at = -math.inf  # the poll near the eta is spent: trust it once
        return next_at


class AccountPacer:
    """Spaces the polls of one account (every job of every node) at least `spacing`
    apart; shared across event loops, so it waits with short sleeps."""

    def __init__(self, spacing: float = ACCOUNT_POLL_SPACING) -> None:
        self._spacing = spacing
        self._lock = threading.Lock()
        self._next_free = 0.0

    async def wait_turn(self, ctx: RunContext) -> None:
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next_free)
            self._next_free = turn + self._spacing
        await sleep(ctx, turn - now)


_pacers_lock = threading.Lock()
_pacers: dict[str, AccountPacer] = {}


def account_pacer(account: str) -> AccountPacer:
    with _pacers_lock:
        return _pacers.setdefault(account, AccountPacer())


async def poll_until_settled(
    state: S,
    read_again: Callable[[], Awaitable[S]],
    *,
    ctx: RunContext,
    deadline: float,
    submitted_at: float | None = None,
    pacer: AccountPacer | None = None,
    on_wait: Callable[[S], None] | None = None,
) -> S:
    """Ask again (`read_again`) until the job settles; DeadlinePassed past `deadline`.

    `submitted_at` (`time.monotonic()`) is when the job started, if known (else now).
    `on_wait` sees each unsettled reading before the wait that follows it.
    """
    started = time.monotonic() if submitted_at is None else submitted_at
    schedule = PollSchedule()
    while not state.settled:
        now = time.monotonic()
        if now >= deadline:
            raise DeadlinePassed()
        if on_wait is not None:
            on_wait(state)
        wake = started + schedule.next_at(now - started, state.eta)
        await sleep(ctx, min(wake, deadline) - now)
        if pacer is not None:
            await pacer.wait_turn(ctx)
        if time.monotonic() >= deadline:
            raise DeadlinePassed()
        state = await read_again()
    return state


async def sleep(ctx: RunContext, seconds: float) -> None:
    """Sleep `seconds`, raising promptly on Cancel."""
    deadline = time.monotonic() + max(0.0, seconds)
    while True:
        ctx.raise_if_cancelled()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        await asyncio.sleep(min(CANCEL_CHECK_SECONDS, remaining))
