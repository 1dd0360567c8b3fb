"""What every handler shares: keys, knobs, clock, stores, and where the two origins live."""

from __future__ import annotations

import threading

from .behaviour import Behaviour
from .blobs import BlobStore
from .clock import Clock, SystemClock
from .held_replies import HeldReplies
from .jobs import JobBook
from .recording import RequestLog
from .scripts import ScriptBook


class InFlight:
    """Calls being answered right now, per vendor and key (for concurrency limits)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, object], int] = {}

    def enter(self, vendor: str, key: object) -> int:
        """Count one more call in; returns how many are in flight with it."""
        with self._lock:
            count = self._counts.get((vendor, key), 0) + 1
            self._counts[vendor, key] = count
            return count

    def leave(self, vendor: str, key: object) -> None:
        with self._lock:
            self._counts[vendor, key] -= 1


class EmulatorState:
    """The emulator's shared state; handlers read it, the emulator owns it.

    One clock serves everything that reads time (jobs, CDN availability,
    request records), so a test that moves it moves all of them together.
    """

    def __init__(
        self,
        keys: frozenset[str],
        behaviour: Behaviour | None = None,
        *,
        log: RequestLog | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.keys = keys
        self.behaviour = behaviour or Behaviour()
        self.clock: Clock = clock or SystemClock()
        self.log = log or RequestLog()
        self.scripts = ScriptBook()
        self.held = HeldReplies()
        self.blobs = BlobStore(clock=self.clock)
        self.jobs = JobBook()
        self.api_url = ""
        self.cdn_url = ""
        self.in_flight = InFlight()

    def accepts(self, key: object) -> bool:
        """Whether a presented key is one of the accepted ones."""
        return isinstance(key, str) and key in self.keys
