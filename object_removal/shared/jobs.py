"""ModelsLab jobs and claims every worker sees: a job submitted on one worker is
resumed on any other, and while one worker's submit waits for its answer no other
submits the same work (it waits and resumes that job instead).

A job record is its id and when it was submitted, under the job's fingerprint (a
hash of what was asked and of whose account), kept as long as ModelsLab keeps jobs.
Each record is written to this worker's folder as well, so losing Redis loses no job
this worker paid for.
"""

from __future__ import annotations

import json
import time

from ..run_context import RunContext
from ..stores.job_store import JOB_LIFETIME_SECONDS, JobStore, StoredJob
from ..stores.paying import Claims
from .leases import RedisClaims
from .redis_link import KEY_PREFIX, RedisLink, SharedStoreDown


class SharedClaims:
    """Claims taken in this process first (`local`), then in Redis for every worker.
    Redis away: the claim is this process's alone, as without a shared store."""

    def __init__(self, local: Claims, remote: RedisClaims, ctx: RunContext | None) -> None:
        self._local = local
        self._remote = remote
        self._ctx = ctx

    def claim(self, name: str) -> bool:
        if not self._local.claim(name):
            return False
        try:
            if self._remote.take(name, self._ctx):
                return True
        except SharedStoreDown:
            return True
        self._local.release(name)  # another worker holds it
        return False

    def claimed(self, name: str) -> bool:
        if self._local.claimed(name):
            return True
        try:
            return self._remote.taken(name, self._ctx)
        except SharedStoreDown:
            return False

    def release(self, name: str) -> None:
        try:
            self._remote.give_back(name, self._ctx)
        except SharedStoreDown:
            pass  # its lease runs out
        finally:
            self._local.release(name)


class SharedJobStore:
    """What `JobStore` offers, for every worker (see the module's docstring)."""

    def __init__(self, link: RedisLink, local: JobStore, claims: RedisClaims,
                 ctx: RunContext | None, lifetime: float = JOB_LIFETIME_SECONDS) -> None:
        self._link = link
        self._local = local
        self._ctx = ctx
        self._lifetime = lifetime
        self._claims = SharedClaims(local, claims, ctx)

    def find(self, fingerprint: str) -> StoredJob | None:
        key = self._key(fingerprint)
        try:
            record = self._link.run(lambda client: client.get(key), self._ctx)
        except SharedStoreDown:
            return self._local.find(fingerprint)
        if record is None:
            return self._local.find(fingerprint)
        try:
            fields = json.loads(record)
            job = StoredJob(str(fields["job_id"]), float(fields["submitted_at"]))
        except (ValueError, KeyError, TypeError):
            return self._local.find(fingerprint)
        if time.time() - job.submitted_at > self._lifetime:
            return None
        return job

    def remember(self, fingerprint: str, job_id: str) -> None:
        self._local.remember(fingerprint, job_id)
        record = json.dumps({"job_id": job_id, "submitted_at": time.time()})
        key = self._key(fingerprint)
        try:
            self._link.run(lambda client: client.set(key, record, ex=int(self._lifetime)),
                           self._ctx)
        except SharedStoreDown:
            pass

    def forget(self, fingerprint: str) -> None:
        self._local.forget(fingerprint)
        key = self._key(fingerprint)
        try:
            self._link.run(lambda client: client.delete(key), self._ctx)
        except SharedStoreDown:
            pass

    def claim(self, fingerprint: str) -> bool:
        return self._claims.claim(fingerprint)

    def claimed(self, fingerprint: str) -> bool:
        return self._claims.claimed(fingerprint)

    def release(self, fingerprint: str) -> None:
        self._claims.release(fingerprint)

    def _key(self, fingerprint: str) -> str:
        if not fingerprint.isalnum():
            raise ValueError("fingerprints are hex digests")
        return f"{KEY_PREFIX}job:{fingerprint}"
