"""Queued ModelsLab jobs remembered by what was asked, so a re-run collects
the job already paid for instead of submitting (and paying for) a new one.

A TextObjectRemove whose wait ran out, a cancelled run, or a restarted
ComfyUI: the same image and object name within a day resume the same job. A job
is remembered the moment its submit's answer arrives, by the thread that reads
it, whatever happened to the run meanwhile.

While a submit's answer is on its way, its fingerprint is claimed: a second run
asking the same thing waits for that answer (and then resumes the job) instead
of paying again. Claims live in this process; a store shared by several workers
would hold them where every worker sees them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .atomic_files import write_atomically

log = logging.getLogger(__name__)

# ModelsLab keeps uploads and results about 24 hours.
JOB_LIFETIME_SECONDS = 23 * 3600

_claims_lock = threading.Condition()
_claims: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class StoredJob:
    job_id: str
    submitted_at: float


class JobStore:
    """Jobs by fingerprint, as files in `directory`; what a shared store would offer too:
    find, remember, forget, and the claim on a submit under way."""

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

    def claim(self, fingerprint: str) -> bool:
        """Take the right to submit (or resume) `fingerprint`'s job; False while another
        run holds it (its submit's answer may still come)."""
        entry = (str(self._directory), self._checked(fingerprint))
        with _claims_lock:
            if entry in _claims:
                return False
            _claims.add(entry)
            return True

    def claimed(self, fingerprint: str) -> bool:
        with _claims_lock:
            return (str(self._directory), self._checked(fingerprint)) in _claims

    def release(self, fingerprint: str) -> None:
        with _claims_lock:
            _claims.discard((str(self._directory), self._checked(fingerprint)))
            _claims_lock.notify_all()

    def _path(self, fingerprint: str) -> Path:
        return self._directory / f"{self._checked(fingerprint)}.json"

    @staticmethod
    def _checked(fingerprint: str) -> str:
        if not fingerprint.isalnum():
            raise ValueError("fingerprints are hex digests")
        return fingerprint


def submits_awaiting_answers() -> int:
    """How many submits of this process hold their claim: their answer has not come."""
    with _claims_lock:
        return len(_claims)


def wait_for_submit_answers(timeout: float) -> bool:
    """Wait at most `timeout` seconds until every submit of this process has had its
    answer (and its job is remembered); True if they all have. For a process about to
    end (the command line), which would otherwise lose the jobs those answers name."""
    with _claims_lock:
        return _claims_lock.wait_for(lambda: not _claims, timeout)
