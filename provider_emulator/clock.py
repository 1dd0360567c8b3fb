"""Where the emulator reads and waits for time, so tests can move it instead of sleeping."""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds on a monotonic scale, and a way to let some pass."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real monotonic clock: `sleep` blocks the calling thread."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told: tests `advance()` it past a job's end.

    `sleep` (latency, scripted delays) advances it at once instead of blocking,
    so a slow provider is imitated without a slow test. Thread-safe: server
    threads read it while the test moves it.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._now = _checked(start, "start")

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` (>= 0); returns the new time."""
        step = _checked(seconds, "seconds")
        if step < 0:
            raise ValueError(f"a clock only moves forward, got {seconds!r}")
        with self._lock:
            self._now += step
            return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)


def _checked(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)
