"""When to ask a queued job again.

The provider's `eta` says when the job should be done, so the first poll
lands about then and a finished result is picked up promptly. Each further
poll waits longer (x1.5) so a wrong or stale `eta` never turns into hammering,
and no wait exceeds MAX_POLL_SECONDS so a late finish is not missed by long.
"""

from __future__ import annotations

import math

MIN_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 15.0
GROWTH = 1.5


def next_poll_delay(eta: float | None, polls_done: int) -> float:
    """Seconds to wait before the next poll, after `polls_done` polls of this job."""
    backoff = MIN_POLL_SECONDS * GROWTH ** max(0, polls_done)
    hint = eta if eta is not None and math.isfinite(eta) and eta > 0 else 0.0
    return min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, hint, backoff))
