"""Queued ModelsLab jobs remembered by what was asked, so a re-run collects
the job already paid for instead of submitting (and paying for) a new one.

A TextObjectRemove whose wait ran out, a cancelled run, or a restarted
ComfyUI: the same image and object name within a day resume the same job.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .atomic_files import write_atomically

log = logging.getLogger(__name__)

# ModelsLab keeps uploads and results about 24 hours.
JOB_LIFETIME_SECONDS = 23 * 3600


@dataclass(frozen=True)
class StoredJob:
    job_id: str
    submitted_at: float


class JobStore:
    def __init__(self, directory: Path, lifetime: float = JOB_LIFETIME_SECONDS) -> None:
        self._directory = directory
        self._lifetime = lifetime

    def find(self, fingerprint: str) -> StoredJob | None:
        path = self._path(fingerprint)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            job = StoredJob(str(record["job_id"]), float(record["submitted_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if time.time() - job.submitted_at > self._lifetime:
            self.forget(fingerprint)
            return None
        return job

    def remember(self, fingerprint: str, job_id: str) -> None:
        path = self._path(fingerprint)
        record = {"job_id": job_id, "submitted_at": time.time()}
        try:
            write_atomically(path, json.dumps(record).encode("utf-8"))
        except OSError as exc:
            log.warning("could not remember job %s in %s: %s", job_id, self._directory, exc)

    def forget(self, fingerprint: str) -> None:
        try:
            self._path(fingerprint).unlink()
        except OSError:
            pass

    def _path(self, fingerprint: str) -> Path:
        if not fingerprint.isalnum():
            raise ValueError("fingerprints are hex digests")
        return self._directory / f"{fingerprint}.json"
