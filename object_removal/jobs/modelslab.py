"""Running ModelsLab jobs: submit or resume, wait, collect.

Used by every ModelsLab provider (remove by text, remove by mask). A job is
remembered by a fingerprint of what was asked, so asking the same thing again
resumes the job already paid for instead of submitting (and paying for) a new one;
a job that may have been queued is never submitted twice. Results are kept by job
id, so collecting twice downloads once. Blocking HTTP runs in worker threads; the
event loop only waits, so ComfyUI runs other nodes meanwhile.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from ..clients.keyed_http import NODE_DEADLINE, KeyedHttp
from ..clients.modelslab import JobStatus, ModelsLabClient, QueuedEndpoint
from ..concurrency import account_limit
from ..config import MODELSLAB_CEILING, MODELSLAB_START, Settings
from ..errors import ObjectRemovalError, ProviderError
from ..run_context import RunContext, run_blocking
from ..stores.job_store import JobStore
from ..stores.result_cache import ResultCache, request_key
from .polling import DeadlinePassed, account_pacer, poll_until_settled


class ModelsLabJobs:
    """The client, the stores and the queue limit for one node run at one endpoint."""

    def __init__(
        self,
        settings: Settings,
        ctx: RunContext,
        endpoint: QueuedEndpoint,
        *,
        deadline: float | None = None,
    ) -> None:
        self._settings = settings
        self._ctx = ctx
        self.endpoint = endpoint

        def on_retry(number: int, delay: float, exc: Exception) -> None:
            ctx.status(f"ModelsLab busy, retry {number} in {delay:.0f} s")

        http = KeyedHttp(settings.modelslab, cancel=ctx.cancel_event, deadline=deadline,
                         on_retry=on_retry)
        self.client = ModelsLabClient(http)
        ceiling = settings.modelslab_queue_limit or MODELSLAB_CEILING
        self.queue = account_limit("modelslab", settings.modelslab.base_url, http.key,
                                   start=min(MODELSLAB_START, ceiling), ceiling=ceiling)
        self._pacer = account_pacer(f"{settings.modelslab.base_url} {self.queue_account}")
        # When each job started (time.monotonic()), for the poll schedule.
        self._started: dict[str, float] = {}
        self._jobs = JobStore(settings.cache_dir / "modelslab-jobs")
        self._results = ResultCache(settings.cache_dir / "modelslab-results")

    @property
    def queue_account(self) -> str:
        """Which account this is, without its key (a hash of it)."""
        return hashlib.sha256(self.client.key.encode("utf-8")).hexdigest()[:16]

    @property
    def origin(self) -> str:
        return self._settings.modelslab.base_url

    def fingerprint(self, *asked: bytes | str) -> str:
        """What identifies a job: where it goes and everything that was asked."""
        return request_key(self.origin, self.endpoint.submit_path, *asked)

    def queue_slot(self) -> AbstractAsyncContextManager[None]:
        """Held while a job of this account is queued or processing: one slot of the
        account's learnt queue limit, shared by every node and prompt."""
        return self.queue.hold_async(self._ctx)

    async def submit_or_resume(
        self,
        fingerprint: str | None,
        submit: Callable[[ModelsLabClient], JobStatus],
        label: str,
        handle: Callable[[str], str] | None = None,
    ) -> tuple[JobStatus, bool]:
        """The remembered job for `fingerprint` if ModelsLab still has it, else a new one;
        and whether it is new (billed now).

        `submit` uploads what it needs and submits (blocking). With `fingerprint`
        None nothing is resumed or remembered (a new result is wanted every time).
        `handle` turns the job's id into the handle the status line offers to copy.
        """
        stored = self._jobs.find(fingerprint) if fingerprint else None
        if stored is not None and fingerprint is not None:
            try:
                status = await self.read(stored.job_id)
            except ProviderError as exc:
                if exc.http_status is None or exc.http_status >= 400:
                    raise
                self._jobs.forget(fingerprint)  # expired or unknown at ModelsLab: start over
            else:
                if status.state != "failed":
                    self._said_job(stored.job_id, "resumed", label, handle)
                    waited = max(0.0, time.time() - stored.submitted_at)
                    self._started[stored.job_id] = time.monotonic() - waited
                    return status, False
                self._jobs.forget(fingerprint)
        started = time.monotonic()
        status = await run_blocking(self._ctx, lambda: submit(self.client))
        if status.job_id is not None:
            self._started[status.job_id] = started
        if status.job_id is not None and fingerprint:
            self._jobs.remember(fingerprint, status.job_id)
        self._said_job(status.job_id, "queued", label, handle)
        return status, True

    def _said_job(self, job_id: str | None, what: str, label: str,
                  handle: Callable[[str], str] | None) -> None:
        job = handle(job_id) if handle is not None and job_id is not None else None
        self._ctx.status(f"ModelsLab: job {job_id} {what} ({label})", job=job)

    def remembers(self, fingerprint: str | None) -> bool:
        """Whether a job for `fingerprint` was submitted before (it will be resumed)."""
        return fingerprint is not None and self._jobs.find(fingerprint) is not None

    async def read(self, job_id: str | None) -> JobStatus:
        """The job's state now; polling.DeadlinePassed when the node's wait ran out first
        (the job itself is fine, and can be collected later)."""
        if job_id is None:
            raise ObjectRemovalError("ModelsLab gave no job id to follow.")
        try:
            return await run_blocking(self._ctx, lambda: self.client.fetch(self.endpoint, job_id))
        except ProviderError as exc:
            if exc.code == NODE_DEADLINE:
                raise DeadlinePassed() from None
            raise

    async def wait(self, status: JobStatus, deadline: float, fingerprint: str | None) -> JobStatus:
        """Poll until the job succeeds; polling.DeadlinePassed if it outlives `deadline`."""

        def show(state: JobStatus) -> None:
            self._ctx.status(f"ModelsLab: job {state.job_id} processing", eta=state.eta)

        job_id = status.job_id
        status = await poll_until_settled(
            status, lambda: self.read(job_id), ctx=self._ctx, deadline=deadline,
            submitted_at=self._started.get(job_id or ""), pacer=self._pacer, on_wait=show,
        )
        if status.state == "failed":
            if fingerprint is not None:
                self._jobs.forget(fingerprint)  # the next run submits a fresh job
            raise ObjectRemovalError(
                f"ModelsLab reports job {status.job_id} failed: "
                f"{status.message or 'no reason given'}. Queue again to submit a new job."
            )
        return status

    def has_result(self, job_id: str) -> bool:
        return self._results.contains(self._result_key(job_id))

    async def result_bytes(self, status: JobStatus) -> bytes:
        """The file of a finished job, downloaded once and kept.

        A `status` without output links stands for a job whose result is kept already.
        """
        job_id = status.job_id
        key = self._result_key(job_id) if job_id else None

        def load() -> bytes:
            data = self._results.get(key) if key else None
            if data is None:
                finished = status
                if not finished.output_urls and job_id:  # the kept copy vanished meanwhile
                    finished = self.client.fetch(self.endpoint, job_id)
                data = self.client.download(finished)
                if key:
                    self._results.put(key, data)
            return data

        return await run_blocking(self._ctx, load)

    def _result_key(self, job_id: str) -> str:
        return request_key(self.origin, "job result", job_id)
