"""Waiting for a queued job: when to ask again, the loop that asks, and the wait itself.

Every queued provider waits through `poll_until_settled`, so the schedule, the
deadline and Cancel behave the same everywhere. The provider's `eta` says when the
job should be done, so the first poll lands about then and a finished result is
picked up promptly; each further poll waits longer (x1.5) so a wrong or stale `eta`
never turns into hammering, and no wait exceeds MAX_POLL_SECONDS so a late finish
is not missed by long. Waits wake often to notice Cancel.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from .run_context import CANCEL_CHECK_SECONDS, RunContext

MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 15.0
GROWTH = 1.5


class QueuedState(Protocol):
    """What the loop needs to know of one reading of a job."""

    @property
    def settled(self) -> bool: ...

    @property
    def eta(self) -> float | None: ...


S = TypeVar("S", bound=QueuedState)


class DeadlinePassed(Exception):
    """The wait's deadline passed while the job was still processing."""


def next_poll_delay(eta: float | None, polls_done: int) -> float:
    """Seconds to wait before the next poll, after `polls_done` polls of this job."""
    backoff = MIN_POLL_SECONDS * GROWTH ** max(0, polls_done)
    hint = eta if eta is not None and math.isfinite(eta) and eta > 0 else 0.0
    return min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, hint, backoff))


async def poll_until_settled(
    state: S,
    read_again: Callable[[], Awaitable[S]],
    *,
    ctx: RunContext,
    deadline: float,
    on_wait: Callable[[S], None] | None = None,
) -> S:
    """Ask again (`read_again`) until the job settles; DeadlinePassed past `deadline`.

    `on_wait` sees each unsettled reading before the wait that follows it.
    """
    polls = 0
    while not state.settled:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlinePassed()
        if on_wait is not None:
            on_wait(state)
        await sleep(ctx, min(next_poll_delay(state.eta, polls), remaining))
        if time.monotonic() >= deadline:
            raise DeadlinePassed()
        state = await read_again()
        polls += 1
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
