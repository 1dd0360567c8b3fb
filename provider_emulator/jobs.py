"""ModelsLab's queued jobs: who owns them, when they finish, how they end."""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass, field
from typing import Any

# ModelsLab ids are large integers; start somewhere that looks like one.
FIRST_JOB_ID = 130_000_000


@dataclass
class Job:
    """One submitted removal request.

    `fetch_path` is the fetch endpoint's path prefix: a job is found only
    through the fetch endpoint of its own kind (interior or image_editing).
    """

    id: int
    key: str
    created_at: float
    ready_at: float
    outcome: str
    fetch_path: str
    meta: dict[str, Any] = field(default_factory=dict)
    # Processing replies given so far: "alternate" output shapes alternate on it.
    processing_replies: int = 0

    @property
    def seconds(self) -> float:
        return self.ready_at - self.created_at

    def remaining(self, now: float) -> float:
        return max(0.0, self.ready_at - now)

    def is_ready(self, now: float) -> bool:
        return now >= self.ready_at


class QueueFull(Exception):
    """The key already has `limit` jobs processing."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"queue limit {limit} reached")
        self.limit = limit
        self.retry_after = retry_after


class JobBook:
    """Thread-safe store of jobs with a per-key limit on those still processing.

    The limit counts every kind of job together: the real one is per account
    across all endpoints.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(FIRST_JOB_ID)

    def create(
        self, key: str, now: float, seconds: float, outcome: str, limit: int,
        fetch_path: str, meta: dict[str, Any] | None = None,
    ) -> Job:
        """A new job, or QueueFull if `limit` jobs of this key are still processing.

        The check and the creation share one lock so that parallel submits
        cannot both take the last slot.
        """
        with self._lock:
            busy = [j.ready_at for j in self._jobs.values() if j.key == key and j.ready_at > now]
            if len(busy) >= limit:
                # A slot frees when the first of them finishes.
                wait = min(busy) - now if busy else 1.0
                raise QueueFull(limit, max(1, math.ceil(wait)))
            job = Job(next(self._ids), key, now, now + seconds, outcome, fetch_path,
                      dict(meta or {}))
            self._jobs[job.id] = job
            return job

    def find(self, job_id: int, key: str, fetch_path: str) -> Job | None:
        """The job if it exists, belongs to that key and is fetched at `fetch_path`
        (others' jobs, and jobs of another kind, look unknown)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.key != key or job.fetch_path != fetch_path:
            return None
        return job

    def next_processing_reply(self, job: Job) -> int:
        """Count one more processing reply for a job; returns its 0-based number."""
        with self._lock:
            number = job.processing_replies
            job.processing_replies += 1
            return number

    def count(self, key: str | None = None) -> int:
        """How many jobs were created (each one billed), of `key` or of every key."""
        with self._lock:
            return sum(1 for job in self._jobs.values() if key is None or job.key == key)

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
