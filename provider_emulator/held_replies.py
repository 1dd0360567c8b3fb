"""Answers made but held back on their way, until a test releases them.

A provider that did the work (queued a job, billed it) and whose answer is slow to
arrive: the work exists, its answer does not yet. Each held answer waits on an
event of its own, registered under its endpoint's name.
"""

from __future__ import annotations

import threading


class HeldReplies:
    """Thread-safe: which answers wait, per endpoint, and their release."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, list[threading.Event]] = {}

    def hold(self, endpoint: str) -> threading.Event:
        """A new held answer of `endpoint`: it goes out once the event is set."""
        released = threading.Event()
        with self._lock:
            self._waiting.setdefault(endpoint, []).append(released)
        return released

    def release(self, endpoint: str | None = None) -> int:
        """Send every held answer of `endpoint` (of all endpoints with None); how many."""
        with self._lock:
            names = list(self._waiting) if endpoint is None else [endpoint]
            events = [event for name in names for event in self._waiting.pop(name, [])]
        for event in events:
            event.set()
        return len(events)

    def count(self, endpoint: str | None = None) -> int:
        """How many answers of `endpoint` (of all with None) are held right now."""
        with self._lock:
            if endpoint is not None:
                return len(self._waiting.get(endpoint, []))
            return sum(len(events) for events in self._waiting.values())

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {name: len(events) for name, events in self._waiting.items() if events}
