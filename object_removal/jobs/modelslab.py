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
import threading
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from ..clients.keyed_http import NODE_DEADLINE, KeyedHttp
from ..clients.modelslab import JobStatus, ModelsLabClient, QueuedEndpoint
from ..clients.retry import retry_status
from ..config import MODELSLAB_CEILING, MODELSLAB_START, Settings
from ..errors import ObjectRemovalError, ProviderError
from ..run_context import DeadlinePassed, RunContext, run_blocking
from ..shared import account_limit, job_store, result_store, shared_store_note
from ..stores.result_cache import request_key
from .polling import account_pacer, poll_until_settled, sleep

# How often a run waiting for an earlier submit's answer looks again.
CLAIM_CHECK_SECONDS = 0.1


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
        self._deadline = deadline
        # Labels of the submits sent whose answer has not come yet (read by threads too).
        self._lock = threading.Lock()
        self._unanswered: list[str] = []

        def on_retry(number: int, delay: float, exc: Exception) -> None:
            ctx.status(retry_status("ModelsLab", number, delay, exc))

        http = KeyedHttp(settings.modelslab, cancel=ctx.cancel_signal, deadline=deadline,
                         on_retry=on_retry)
        self.client = ModelsLabClient(http)
        ceiling = settings.modelslab_queue_limit or MODELSLAB_CEILING
        self.queue = account_limit(settings, ctx, "modelslab", settings.modelslab.base_url,
                                   http.key, start=min(MODELSLAB_START, ceiling),
                                   ceiling=ceiling)
        self._pacer = account_pacer(f"{settings.modelslab.base_url} {self.queue_account}")
        # When each job started (time.monotonic()), for the poll schedule.
        self._started: dict[str, float] = {}
        # This machine's stores, or with a shared store every worker's.
        self._jobs = job_store(settings, ctx)
        self._results = result_store(settings, ctx, "modelslab-results")

    @property
    def queue_account(self) -> str:
        """Which account this is, without its key (a hash of it)."""
        return hashlib.sha256(self.client.key.encode("utf-8")).hexdigest()[:16]

    @property
    def origin(self) -> str:
        return self._settings.modelslab.base_url

    def fingerprint(self, *asked: bytes | str) -> str:
        """What identifies a job: where it goes, whose account pays (a hash of the key,
        never the key: one account cannot read another's jobs), and everything asked."""
        return request_key(self.origin, self.queue_account, self.endpoint.submit_path, *asked)

    def queue_slot(self) -> AbstractAsyncContextManager[None]:
        """Held while a job of this account is queued or processing: one slot of the
        account's learnt queue limit, shared by every node and prompt."""
        return self.queue.hold_async(self._ctx)

    async def submit_or_resume(
        self,
        fingerprint: str | None,
        upload: Callable[[ModelsLabClient], dict[str, Any]],
        label: str,
        handle: Callable[[str], str] | None = None,
    ) -> tuple[JobStatus, bool]:
        """The remembered job for `fingerprint` if ModelsLab still has it, else a new one;
        and whether it is new (billed now).

        `upload` uploads what the job needs and returns the submit's fields (blocking).
        With `fingerprint` None nothing is resumed or remembered (a new result is wanted
        every time). `handle` turns the job's id into the handle the status line offers
        to copy. While an earlier run's submit of the same work still waits for its
        answer, this waits for it and resumes that job.
        """
        if fingerprint is None:
            return await self._submit(None, upload, label, handle), True
        await self._claim(fingerprint)
        try:
            status = await self._resume(fingerprint, label, handle)
        except BaseException:
            self._jobs.release(fingerprint)
            raise
        if status is not None:
            self._jobs.release(fingerprint)
            return status, False
        # The claim passes to the thread that submits: it ends when the answer came.
        return await self._submit(fingerprint, upload, label, handle), True

    async def _claim(self, fingerprint: str) -> None:
        said = False
        while not self._jobs.claim(fingerprint):
            if not said:
                self._ctx.status("ModelsLab: waiting for the answer to an earlier submit of "
                                 "the same work, to collect that job instead of paying again")
                said = True
            self._ctx.raise_if_cancelled()
            if self._deadline is not None and time.monotonic() >= self._deadline:
                raise DeadlinePassed()
            await sleep(self._ctx, CLAIM_CHECK_SECONDS)

    async def _resume(self, fingerprint: str, label: str,
                      handle: Callable[[str], str] | None) -> JobStatus | None:
        stored = self._jobs.find(fingerprint)
        if stored is None:
            return None
        try:
            status = await self.read(stored.job_id)
        except ProviderError as exc:
            if exc.http_status is None or exc.http_status >= 400:
                raise
            self._jobs.forget(fingerprint)  # expired or unknown at ModelsLab: start over
            return None
        if status.state == "failed":
            self._jobs.forget(fingerprint)
            return None
        self._said_job(stored.job_id, "resumed", label, handle)
        waited = max(0.0, time.time() - stored.submitted_at)
        self._started[stored.job_id] = time.monotonic() - waited
        return status

    async def _submit(self, fingerprint: str | None,
                      upload: Callable[[ModelsLabClient], dict[str, Any]], label: str,
                      handle: Callable[[str], str] | None) -> JobStatus:
        started = time.monotonic()

        def submit() -> JobStatus:
            """Uploads, the billed submit, and the job remembered as soon as its answer is
            read: here, in the thread that reads it, so a run that stopped waiting
            (Cancel, its deadline, a sibling's failure) loses nothing it paid for."""
            try:
                fields = upload(self.client)
                with self._lock:
                    self._unanswered.append(label)
                try:
                    status = self.client.submit(self.endpoint, fields, queue=self.queue)
                finally:
                    with self._lock:
                        self._unanswered.remove(label)
                if status.job_id is not None and fingerprint is not None:
                    self._jobs.remember(fingerprint, status.job_id)
                return status
            finally:
                if fingerprint is not None:
                    self._jobs.release(fingerprint)

        status = await run_blocking(self._ctx, submit, deadline=self._deadline)
        if status.job_id is not None:
            self._started[status.job_id] = started
        self._said_job(status.job_id, "queued", label, handle)
        return status

    def shared_store_note(self) -> str:
        """What the run's final status adds when Redis was away ("" otherwise)."""
        return shared_store_note(self._settings, self._ctx)

    def unanswered_note(self) -> str:
        """What to tell the user when the run ends while submits it sent have had no answer
        yet ("" when none): the jobs may exist, billed, and how to collect them."""
        with self._lock:
            waiting = list(self._unanswered)
        if not waiting:
            return ""
        submits = "1 submit" if len(waiting) == 1 else f"{len(waiting)} submits"
        return (f"ModelsLab had not yet answered {submits} ({', '.join(waiting)}): the job may "
                "exist and be billed. Its answer is still awaited and the job kept when it "
                "comes: queue the same workflow (or run the same command) again to collect it "
                "at no extra cost. If ComfyUI (or the command) stops before that answer, check "
                "your ModelsLab dashboard before paying again.")

    def _said_job(self, job_id: str | None, what: str, label: str,
                  handle: Callable[[str], str] | None) -> None:
        job = handle(job_id) if handle is not None and job_id is not None else None
        self._ctx.status(f"ModelsLab: job {job_id} {what} ({label})", job=job)

    def remembers(self, fingerprint: str | None) -> bool:
        """Whether a job for `fingerprint` was submitted before, or its submit's answer is
        on its way (it will be resumed)."""
        return fingerprint is not None and (self._jobs.find(fingerprint) is not None
                                            or self._jobs.claimed(fingerprint))

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

        def load() -> bytes:
            key = self._result_key(job_id) if job_id else None
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
