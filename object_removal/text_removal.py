"""TextObjectRemove and FetchResult's job: ModelsLab's queued Interior object removal.

B images become B jobs, submitted side by side within the account's queue limit,
then collected in order (the job runner, `modelslab_jobs`, remembers and resumes
them). The image is uploaded losslessly when it fits, since the provider's picture
is what comes back.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from .clients.modelslab import INTERIOR_REMOVAL, UPLOAD_LIMIT_BYTES, JobStatus
from .config import Settings, load_settings
from .errors import JobTimeoutError, ObjectRemovalError, batch_item, naming_batch_item
from .image_codec import decode_image, resize_rgb
from .job_handle import JobReference, parse_job_reference
from .modelslab_jobs import ModelsLabJobs
from .polling import DeadlinePassed
from .provider_limits import EncodedImage, encode_within_bytes
from .run_context import RunContext, gather_all, run_blocking
from .spending import Spend, check_budget, spend_for
from .tensors import from_uint8, image_batch, to_uint8

# ModelsLab bills per image by plan, not in credits: runs are counted in paid jobs.
CREDITS_PER_JOB = None


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
    settings = settings or load_settings()
    jobs = ModelsLabJobs(settings, ctx, INTERIOR_REMOVAL, deadline=deadline)
    uploads, fingerprints, planned = _uploads(images, name, jobs)
    to_resume = planned.reused
    check_budget(planned, settings.budget, "ModelsLab")
    job_ids: list[str | None] = [None] * count
    finished = new_jobs = 0

    def handle() -> str:
        known = tuple(j for j in job_ids if j is not None)
        return JobReference(known, (width, height)).format()

    async def one(index: int) -> np.ndarray | None:
        nonlocal finished, new_jobs
        upload, fingerprint = uploads[index], fingerprints[index]

        def submit(client) -> JobStatus:
            url = client.upload(upload)
            return client.submit(INTERIOR_REMOVAL, {
                "init_image": url, "object_name": name, "base64": False,
            }, queue=jobs.queue)

        with naming_batch_item(index, count):
            async with jobs.queue_slot():
                status, new = await jobs.submit_or_resume(fingerprint, submit,
                                                          batch_item(index, count))
                new_jobs += new
                job_ids[index] = status.job_id
                if not wait:
                    if status.job_id is None:
                        raise ObjectRemovalError(
                            "ModelsLab finished the job at once but gave no job id to collect "
                            "it by later; turn `wait` on."
                        )
                    return None
                status = await jobs.wait(status, deadline, fingerprint)
            finished += 1
            ctx.progress(finished, count)
            return await _result(jobs, status, ctx, (width, height))

    ctx.status(_starting(count - to_resume, to_resume))
    try:
        results = await gather_all([one(i) for i in range(count)])
    except DeadlinePassed:
        ctx.status(f"still processing; collect later: {handle()}", job=handle())
        raise JobTimeoutError(
            f"ModelsLab job(s) still processing after {timeout:g} s. Collect the result later "
            f"with FetchResult and this job handle: {handle()} (or queue the same workflow "
            "again: the same image and object name resume the same job, at no extra cost).",
            handle=handle(),
        ) from None
    spent = spend_for(new_jobs, count - new_jobs, CREDITS_PER_JOB)
    ctx.spend.add(spent)
    if not wait:
        ctx.status(f"submitted, {spent.describe()}: {handle()}", job=handle())
        return images.clone(), handle()
    ctx.status(f"done, {spent.describe()}: {handle()}", job=handle())
    return torch.stack([from_uint8(r) for r in results if r is not None]), handle()


def planned_text_spend(image: torch.Tensor, object_name: str, ctx: RunContext,
                       settings: Settings | None = None) -> Spend:
    """What `remove_by_text` would cost now (remembered jobs resume for free)."""
    jobs = ModelsLabJobs(settings or load_settings(), ctx, INTERIOR_REMOVAL)
    return _uploads(image_batch(image), (object_name or "").strip(), jobs)[2]


def _uploads(
    images: torch.Tensor, name: str, jobs: ModelsLabJobs
) -> tuple[list[EncodedImage], list[str], Spend]:
    """Each image as it is uploaded (lossless when it fits: the provider's picture is what
    comes back), the fingerprint of its job, and what submitting them would cost."""
    uploads = [encode_within_bytes(to_uint8(image), UPLOAD_LIMIT_BYTES, lossless=True)
               for image in images]
    fingerprints = [jobs.fingerprint(u.mime, u.data, name) for u in uploads]
    resumed = sum(jobs.remembers(f) for f in fingerprints)
    return uploads, fingerprints, spend_for(len(uploads) - resumed, resumed, CREDITS_PER_JOB)


def _starting(new: int, resumed: int) -> str:
    parts = [f"submitting {new} job{'s' if new != 1 else ''}"] if new else []
    if resumed:
        parts.append(f"resuming {resumed} (no new charge)")
    return "ModelsLab: " + ", ".join(parts)


async def collect_result(
    job: str, *, timeout: float, ctx: RunContext, settings: Settings | None = None
) -> torch.Tensor:
    """Wait for the job(s) named by `job` and return their images."""
    settings = settings or load_settings()
    reference = parse_job_reference(job, settings.modelslab.base_url)
    deadline = _deadline(timeout)
    jobs = ModelsLabJobs(settings, ctx, INTERIOR_REMOVAL, deadline=deadline)
    count = len(reference.job_ids)
    finished = 0

    async def one(index: int) -> np.ndarray:
        nonlocal finished
        job_id = reference.job_ids[index]
        with naming_batch_item(index, count):
            if jobs.has_result(job_id):  # kept from an earlier run: no need to ask
                status = JobStatus("success", job_id)
            else:
                status = await jobs.read(job_id)
                status = await jobs.wait(status, deadline, None)
            finished += 1
            ctx.progress(finished, count)
            return await _result(jobs, status, ctx, reference.size)

    try:
        results = await gather_all([one(i) for i in range(count)])
    except DeadlinePassed:
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


async def _result(
    jobs: ModelsLabJobs, status: JobStatus, ctx: RunContext, size: tuple[int, int] | None
) -> np.ndarray:
    """A finished job's image, resized to `size` (width, height) if given."""
    data = await jobs.result_bytes(status)

    def decoded() -> np.ndarray:
        rgb = decode_image(data, f"ModelsLab's result for job {status.job_id}")
        return rgb if size is None else resize_rgb(rgb, *size)

    return await run_blocking(ctx, decoded)


def _deadline(timeout: float) -> float:
    """When waiting must stop, checked before anything is sent."""
    if timeout < 1:
        raise ObjectRemovalError(f"`timeout` must be at least 1 second, got {timeout}.")
    return time.monotonic() + timeout
