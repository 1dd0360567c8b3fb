"""TextObjectRemove and FetchResult's job: ModelsLab's queued object removal.

B images become B jobs, submitted side by side within the account's queue
limit, then collected in order. Every job is remembered by what was asked
(image + object name), so queueing the same thing again resumes the job
already paid for. Results are kept by job id, so collecting twice downloads
once. Blocking HTTP runs in worker threads; the event loop only waits, so
ComfyUI runs other nodes meanwhile.
"""

from __future__ import annotations

import asyncio
import time
import weakref

import numpy as np
import torch

from .config import Settings, load_settings
from .errors import (
    JobTimeoutError,
    ObjectRemovalError,
    ProviderError,
    batch_item,
    naming_batch_item,
)
from .image_codec import decode_image, resize_rgb
from .job_handle import JobReference, parse_job_reference
from .job_store import JobStore
from .modelslab_client import SUBMIT_PATH, UPLOAD_LIMIT_BYTES, JobStatus, ModelsLabClient
from .polling import next_poll_delay
from .provider_limits import EncodedImage, encode_within_bytes
from .result_cache import ResultCache, request_key
from .run_context import RunContext, gather_all, run_blocking, sleep
from .tensors import from_uint8, image_batch, to_uint8


async def remove_by_text(
    image: torch.Tensor,
    object_name: str,
    *,
    wait: bool,
    timeout: float,
    ctx: RunContext,
    settings: Settings | None = None,
) -> tuple[torch.Tensor, str]:
    """Returns (result or the input when not waiting, job handle)."""
    images = image_batch(image)
    name = (object_name or "").strip()
    if not name:
        raise ObjectRemovalError(
            "`object_name` is empty: name what to remove, e.g. \"sofa\" or \"the red car\"."
        )
    deadline = _deadline(timeout)
    count, height, width = images.shape[0], images.shape[1], images.shape[2]

    # Everything that can fail locally fails before the first paid call.
    session = _Session(settings or load_settings(), ctx)
    uploads = [
        encode_within_bytes(to_uint8(images[i]), UPLOAD_LIMIT_BYTES, lossless=True)
        for i in range(count)
    ]
    job_ids: list[str | None] = [None] * count

    def handle() -> str:
        known = tuple(j for j in job_ids if j is not None)
        return JobReference(known, (width, height)).format()

    async def one(index: int) -> np.ndarray | None:
        upload = uploads[index]
        fingerprint = request_key(session.origin, SUBMIT_PATH, upload.mime, upload.data, name)
        with naming_batch_item(index, count):
            async with session.queue_slot():
                status = await session.submit_or_resume(index, count, upload, name, fingerprint)
                job_ids[index] = status.job_id
                if not wait:
                    if status.job_id is None:
                        raise ObjectRemovalError(
                            "ModelsLab finished the job at once but gave no job id to collect "
                            "it by later; turn `wait` on."
                        )
                    return None
                status = await session.wait_until_done(status, deadline, count, fingerprint)
            return await session.result(status, (width, height))

    ctx.status(f"ModelsLab: submitting {count} job{'s' if count > 1 else ''}")
    try:
        results = await gather_all([one(i) for i in range(count)])
    except _DeadlinePassed:
        ctx.status(f"still processing; collect later: {handle()}", job=handle())
        raise JobTimeoutError(
            f"ModelsLab job(s) still processing after {timeout:g} s. Collect the result later "
            f"with FetchResult and this job handle: {handle()} (or queue the same workflow "
            "again: the same image and object name resume the same job, at no extra cost).",
            handle=handle(),
        ) from None
    if not wait:
        ctx.status(f"submitted: {handle()}", job=handle())
        return images.clone(), handle()
    ctx.status(f"done: {handle()}", job=handle())
    return torch.stack([from_uint8(r) for r in results if r is not None]), handle()


async def collect_result(
    job: str, *, timeout: float, ctx: RunContext, settings: Settings | None = None
) -> torch.Tensor:
    """Wait for the job(s) named by `job` and return their images."""
    settings = settings or load_settings()
    reference = parse_job_reference(job, settings.modelslab.base_url)
    deadline = _deadline(timeout)
    session = _Session(settings, ctx)
    count = len(reference.job_ids)

    async def one(index: int) -> np.ndarray:
        job_id = reference.job_ids[index]
        with naming_batch_item(index, count):
            if session.has_result(job_id):  # kept from an earlier run: no need to ask
                status = JobStatus("success", job_id)
            else:
                status = await session.wait_until_done(
                    JobStatus("processing", job_id), deadline, count, None, poll_first=True
                )
            return await session.result(status, reference.size)

    try:
        results = await gather_all([one(i) for i in range(count)])
    except _DeadlinePassed:
        raise JobTimeoutError(
            f"ModelsLab job(s) {reference.format()} still processing after {timeout:g} s. "
            "Run FetchResult again later with the same job.",
            handle=reference.format(),
        ) from None
    sizes = {r.shape for r in results}
    if len(sizes) > 1:
        raise ObjectRemovalError(
            "the jobs' results have different sizes and cannot form one batch; fetch them "
            "one at a time, or use the handle from TextObjectRemove, which carries the size."
        )
    ctx.status("ModelsLab: done")
    return torch.stack([from_uint8(r) for r in results])


def _deadline(timeout: float) -> float:
    """When waiting must stop, checked before anything is sent."""
    if timeout < 1:
        raise ObjectRemovalError(f"`timeout` must be at least 1 second, got {timeout}.")
    return time.monotonic() + timeout


class _DeadlinePassed(Exception):
    """The node's `timeout` ran out while a job was still processing."""


# Jobs in flight per event loop (one ComfyUI run) and origin, across all nodes.
_queue_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]]
_queue_slots = weakref.WeakKeyDictionary()


class _Session:
    """The client, the stores and the queue limit for one node run."""

    def __init__(self, settings: Settings, ctx: RunContext) -> None:
        self._ctx = ctx
        self._settings = settings

        def on_retry(number: int, delay: float, exc: Exception) -> None:
            ctx.status(f"ModelsLab busy, retry {number} in {delay:.0f} s")

        self.client = ModelsLabClient(settings.modelslab, cancel=ctx.cancel_event,
                                      on_retry=on_retry)
        self._jobs = JobStore(settings.cache_dir / "modelslab-jobs")
        self._results = ResultCache(settings.cache_dir / "modelslab-results")
        self.finished = 0

    @property
    def origin(self) -> str:
        return self._settings.modelslab.base_url

    def queue_slot(self) -> asyncio.Semaphore:
        per_loop = _queue_slots.setdefault(asyncio.get_running_loop(), {})
        return per_loop.setdefault(
            self.origin, asyncio.Semaphore(self._settings.modelslab_queue_limit)
        )

    async def submit_or_resume(
        self, index: int, count: int, upload: EncodedImage, name: str, fingerprint: str
    ) -> JobStatus:
        stored = self._jobs.find(fingerprint)
        if stored is not None:
            try:
                status = await run_blocking(self._ctx, lambda: self.client.fetch(stored.job_id))
            except ProviderError as exc:
                if exc.http_status is None or exc.http_status >= 400:
                    raise
                self._jobs.forget(fingerprint)  # expired or unknown at ModelsLab: start over
            else:
                if status.state != "failed":
                    self._ctx.status(f"ModelsLab: resuming job {stored.job_id}")
                    return status
                self._jobs.forget(fingerprint)
        url = await run_blocking(self._ctx, lambda: self.client.upload(upload))
        status = await run_blocking(self._ctx, lambda: self.client.submit(url, name))
        if status.job_id is not None:
            self._jobs.remember(fingerprint, status.job_id)
        self._ctx.status(f"ModelsLab: queued job {status.job_id} ({batch_item(index, count)})")
        return status

    async def wait_until_done(
        self,
        status: JobStatus,
        deadline: float,
        count: int,
        fingerprint: str | None,
        *,
        poll_first: bool = False,
    ) -> JobStatus:
        polls = 0
        if poll_first:
            status = await self._fetch(status.job_id)
        while status.state == "processing":
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _DeadlinePassed()
            eta = "" if status.eta is None else f", eta {status.eta:.0f} s"
            self._ctx.status(f"ModelsLab: job {status.job_id} processing{eta}")
            await sleep(self._ctx, min(next_poll_delay(status.eta, polls), remaining))
            status = await self._fetch(status.job_id)
            polls += 1
        if status.state == "failed":
            if fingerprint is not None:
                self._jobs.forget(fingerprint)  # the next run submits a fresh job
            raise ObjectRemovalError(
                f"ModelsLab reports job {status.job_id} failed: "
                f"{status.message or 'no reason given'}. Queue again to submit a new job; "
                "try a simpler object name if it keeps failing."
            )
        self.finished += 1
        self._ctx.progress(self.finished, count)
        return status

    def has_result(self, job_id: str) -> bool:
        return self._results.contains(self._result_key(job_id))

    async def result(self, status: JobStatus, size: tuple[int, int] | None) -> np.ndarray:
        """The image of a finished job, downloaded once and kept; resized to `size` if given.

        A `status` without output links stands for a job whose result is kept already.
        """
        job_id = status.job_id
        key = self._result_key(job_id) if job_id else None

        def load() -> np.ndarray:
            data = self._results.get(key) if key else None
            if data is None:
                finished = status
                if not finished.output_urls and job_id:  # the kept copy vanished meanwhile
                    finished = self.client.fetch(job_id)
                data = self.client.download(finished)
                if key:
                    self._results.put(key, data)
            rgb = decode_image(data, f"ModelsLab's result for job {job_id}")
            return rgb if size is None else resize_rgb(rgb, *size)

        return await run_blocking(self._ctx, load)

    def _result_key(self, job_id: str) -> str:
        return request_key(self.origin, "job result", job_id)

    async def _fetch(self, job_id: str | None) -> JobStatus:
        if job_id is None:
            raise ObjectRemovalError("ModelsLab gave no job id to follow.")
        return await run_blocking(self._ctx, lambda: self.client.fetch(job_id))
