"""Retrying HTTP calls: when it is safe, how long to wait, and the loop itself.

Retrying is only safe when the first attempt cannot have been billed: the
provider said "not now" (rate limit, queue full), or the connection failed
before the request left this machine. Callers decide which errors qualify.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
import urllib3.exceptions

from ..errors import Cancelled, ProviderError
from ..run_context import CancelSignal

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    """Tries in all, the first included."""
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    """A longer `Retry-After` is not waited for: the error says when to try again."""


def parse_retry_after(value: object, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` header or a `retry_after` field.

    Accepts delta-seconds (int, float or numeric text) and HTTP dates.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _seconds(value)
    text = str(value).strip()[:64]
    if not text:
        return None
    try:
        return _seconds(float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return _seconds(when.timestamp() - current)


def _seconds(value: float) -> float | None:
    """A wait in seconds, >= 0; None for what is no number of seconds (NaN, infinite)."""
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def backoff_delay(
    policy: RetryPolicy, retry_number: int, retry_after: float | None, rng: random.Random
) -> float:
    """How long to wait before retry number `retry_number` (1 for the first retry).

    The provider's hint wins (plus a little jitter so parallel calls spread
    out); otherwise exponential backoff with "equal jitter".
    """
    if retry_after is not None:
        return retry_after + rng.uniform(0.0, min(1.0, policy.base_delay))
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (retry_number - 1))
    return rng.uniform(ceiling / 2, ceiling)


def failed_before_sending(exc: BaseException) -> bool:
    """True when the request certainly never reached the server.

    A refused connection, a failed DNS lookup or a connect timeout qualify; a
    connection dropped after sending does not (the work may have been done).
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ProxyError
    ):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


# Why a call is sent again, by ProviderError.code; any other retried error is the
# provider's "not now" (too many at once, queue full, a passing server error).
_RETRY_REASONS = {"NOT_SENT": "could not be reached", "MAYBE_SENT": "dropped the connection"}


def retry_status(provider_label: str, retry_number: int, delay: float, exc: Exception) -> str:
    """The status line of a retry: "AILabTools busy, retry 1 in 2 s", or what really
    happened when no answer came ("could not be reached")."""
    reason = _RETRY_REASONS.get(getattr(exc, "code", None) or "", "busy")
    return f"{provider_label} {reason}, retry {retry_number} in {delay:.0f} s"


def cancellable_wait(cancel: CancelSignal | None) -> Callable[[float], None]:
    """A sleep that ends early, raising Cancelled, when `cancel` is set."""

    def wait(seconds: float) -> None:
        if cancel is None:
            time.sleep(seconds)
        elif cancel.wait(seconds):
            raise Cancelled("cancelled")

    return wait


def call_with_retries(
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    should_retry: Callable[[Exception], bool],
    wait: Callable[[float], None],
    rng: random.Random | None = None,
    on_retry: Callable[[int, float, Exception], None] | None = None,
    deadline: float | None = None,
) -> T:
    """Run `attempt`; on an error that `should_retry` accepts, wait and try again.

    No wait runs past `deadline` (a `time.monotonic()` instant): when the next try
    could only start after it, the last error is raised at once, saying how long
    the provider asked to wait.
    """
    rng = rng or random.Random()
    retry_number = 0
    while True:
        try:
            return attempt()
        except Exception as exc:
            retry_number += 1
            if retry_number >= policy.attempts or not should_retry(exc):
                raise
            retry_after = exc.retry_after if isinstance(exc, ProviderError) else None
            if retry_after is not None and retry_after > policy.max_retry_after:
                _say_how_long(exc, retry_after, "longer than the pack waits")
                raise
            delay = backoff_delay(policy, retry_number, retry_after, rng)
            if deadline is not None and time.monotonic() + delay >= deadline:
                if retry_after is not None:
                    _say_how_long(exc, retry_after, "beyond the node's timeout")
                raise
            if on_retry is not None:
                on_retry(retry_number, delay, exc)
            wait(delay)


def _say_how_long(exc: Exception, seconds: float, why: str) -> None:
    exc.args = (f"{exc} The provider asked to wait {_duration(seconds)} before trying again, "
                f"{why}; try again later.",)


def _duration(seconds: float) -> str:
    if seconds >= 90 * 60:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 90:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} s"
