"""TextObjectRemove and FetchResult's job: ModelsLab's queued Interior object removal.

B images become B jobs, submitted side by side within the account's queue limit,
then collected in order (the job runner, `modelslab_jobs`, remembers and resumes
them). The image is uploaded losslessly when it fits. Each picture sent is kept
(`originals`) and named in the job handle, so the provider's re-render can be
composited into it (`text_compositing`) now or by a FetchResult in a later run.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from ..clients.modelslab import (
    INTERIOR_REMOVAL,
    UPLOAD_LIMIT_BYTES,
    JobStatus,
    ModelsLabClient,
)
from ..config import Settings, load_settings
from ..errors import JobTimeoutError, ObjectRemovalError, batch_item, naming_batch_item
from ..imaging.codec import decode_image
from ..imaging.provider_limits import EncodedImage, encode_within_bytes
from ..imaging.tensors import from_uint8, image_batch, to_uint8
from ..jobs.modelslab import ModelsLabJobs
from ..run_context import DeadlinePassed, RunContext, gather_all, run_blocking
from ..spending import Spend, check_budget, spend_for
from ..stores.originals import OriginalStore
from .compositing import (
    NO_ORIGINAL,
    TextResult,
    describe,
    keep_unchanged_pixels,
    without_original,
)
from .job_handle import JobReference, parse_job_reference

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
    composite: bool = True,
) -> tuple[torch.Tensor, str, torch.Tensor]:
    """Returns (result, job handle, mask of what changed).

    Not waiting: the input unchanged and an all-zero mask (nothing is removed yet).
    """
    images = image_batch(image)
    name = (object_name or "").strip()
    if not name:
        raise ObjectRemovalError(
            "`object_name` is empty: name what to remove, e.g. \"sofa\" or \"the red car\"."
        )
    deadline = _deadline(timeout)
    count, height, width = images.shape[0], images.shape[1], images.shape[2]

    # Everything that can fail locally fails before the first paid call. Encoding and
    # hashing a batch takes long: a worker thread does it, the event loop stays free.
    settings = settings or load_settings()
    jobs = ModelsLabJobs(settings, ctx, INTERIOR_REMOVAL, deadline=deadline)
    pixels, uploads, fingerprints, planned = await run_blocking(
        ctx, lambda: _uploads(images, name, jobs))
    to_resume = planned.reused
    check_budget(planned, settings.budget, "ModelsLab")
    originals = OriginalStore(settings.cache_dir)
    job_ids: list[str | None] = [None] * count
    identities: list[str | None] = [None] * count
    finished = new_jobs = 0

    def handle() -> str:
        submitted = [(j, i) for j, i in zip(job_ids, identities, strict=True) if j is not None]
        kept = tuple(i for _, i in submitted if i is not None)
        return JobReference(tuple(j for j, _ in submitted), (width, height),
                            kept if len(kept) == len(submitted) else ()).format()

    async def one(index: int) -> TextResult | None:
        nonlocal finished, new_jobs
        upload, fingerprint = uploads[index], fingerprints[index]
        identities[index] = await run_blocking(
            ctx, lambda: originals.keep(pixels[index], _lossless_png(upload, pixels[index])))

        def handle_with(job_id: str) -> str:
            """The run's handle once this job exists: worth copying from then on."""
            job_ids[index] = job_id
            return handle()

        def uploaded(client: ModelsLabClient) -> dict[str, Any]:
            return {"init_image": client.upload(upload), "object_name": name, "base64": False}

        with naming_batch_item(index, count):
            async with jobs.queue_slot():
                status, new = await jobs.submit_or_resume(
                    fingerprint, uploaded, batch_item(index, count), handle=handle_with)
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
            rgb = await _result_pixels(jobs, status, ctx)
            return await run_blocking(
                ctx, lambda: keep_unchanged_pixels(images[index], rgb, composite=composite))

    ctx.status(_starting(count - to_resume, to_resume))
    try:
        results = await gather_all([one(i) for i in range(count)])
    except DeadlinePassed:
        unanswered = jobs.unanswered_note()
        if not any(job_ids):  # no job id known yet: nothing for FetchResult to collect
            situation = f"ModelsLab did not answer within {timeout:g} s." + _also(unanswered)
            ctx.status(situation, state="pending")
            raise JobTimeoutError(situation, handle="", situation=situation) from None
        ctx.status(f"still processing; collect later: {handle()}" + _also(unanswered),
                   job=handle(), state="pending")
        situation = f"ModelsLab job(s) still processing after {timeout:g} s."
        raise JobTimeoutError(
            f"{situation} Collect the result later with FetchResult and this job handle: "
            f"{handle()} (or queue the same workflow again: the same image and object name "
            "resume the same job, at no extra cost)." + _also(unanswered),
            handle=handle(), situation=situation + _also(unanswered),
        ) from None
    except BaseException as exc:
        # Cancel, or another image's failure: a submit already sent may have bought a job.
        unanswered = jobs.unanswered_note()
        if unanswered:
            ctx.status(f"stopped. {unanswered}", job=handle() if any(job_ids) else None,
                       state="pending")
            if isinstance(exc, ObjectRemovalError):
                exc.args = (f"{exc}{_also(unanswered)}",)
        raise
    spent = spend_for(new_jobs, count - new_jobs, CREDITS_PER_JOB)
    ctx.spend.add(spent)
    if not wait:
        ctx.status(f"submitted, {spent.describe()}: {handle()}", job=handle(), state="pending")
        return images.clone(), handle(), torch.zeros(count, height, width)
    finals = [r for r in results if r is not None]
    ctx.status(f"done, {describe(finals)}; {spent.describe()}: {handle()}", job=handle(),
               state="paid" if new_jobs else "free")
    return (torch.stack([r.image for r in finals]), handle(),
            torch.stack([r.mask for r in finals]))


def planned_text_spend(image: torch.Tensor, object_name: str, ctx: RunContext,
                       settings: Settings | None = None) -> Spend:
    """What `remove_by_text` would cost now (remembered jobs resume for free)."""
    jobs = ModelsLabJobs(settings or load_settings(), ctx, INTERIOR_REMOVAL)
    return _uploads(image_batch(image), (object_name or "").strip(), jobs)[3]


def _uploads(
    images: torch.Tensor, name: str, jobs: ModelsLabJobs
) -> tuple[list[np.ndarray], list[EncodedImage], list[str], Spend]:
    """Each image's pixels and as it is uploaded (lossless when it fits: the provider's
    picture is what comes back), the fingerprint of its job, and what submitting them
    would cost."""
    pixels = [to_uint8(image) for image in images]
    uploads = [encode_within_bytes(rgb, UPLOAD_LIMIT_BYTES, lossless=True) for rgb in pixels]
    fingerprints = [jobs.fingerprint(u.mime, u.data, name) for u in uploads]
    resumed = sum(jobs.remembers(f) for f in fingerprints)
    return (pixels, uploads, fingerprints,
            spend_for(len(uploads) - resumed, resumed, CREDITS_PER_JOB))


def _also(note: str) -> str:
    return f" {note}" if note else ""


def _starting(new: int, resumed: int) -> str:
    parts = [f"submitting {new} job{'s' if new != 1 else ''}"] if new else []
    if resumed:
        parts.append(f"resuming {resumed} (no new charge)")
    return "ModelsLab: " + ", ".join(parts)


async def collect_result(
    job: str,
    *,
    timeout: float,
    ctx: RunContext,
    settings: Settings | None = None,
    composite: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Wait for the job(s) named by `job`; return their images and masks of what changed.

    Only a handle naming its originals (and them still kept) can be composited; else
    the provider's pictures are returned (at the handle's size, if it has one) with
    all-zero masks, and the status line says why.
    """
    settings = settings or load_settings()
    reference = parse_job_reference(job, settings.modelslab.base_url)
    deadline = _deadline(timeout)
    jobs = ModelsLabJobs(settings, ctx, INTERIOR_REMOVAL, deadline=deadline)
    originals = OriginalStore(settings.cache_dir)
    count = len(reference.job_ids)
    finished = 0

    def combined(index: int, rgb: np.ndarray) -> TextResult:
        if not reference.originals:
            return without_original(rgb, reference.size)
        original = originals.load(reference.originals[index])
        if original is None or (original.shape[1], original.shape[0]) != reference.size:
            return without_original(rgb, reference.size)
        return keep_unchanged_pixels(from_uint8(original), rgb, composite=composite)

    async def one(index: int) -> TextResult:
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
            rgb = await _result_pixels(jobs, status, ctx)
            return await run_blocking(ctx, lambda: combined(index, rgb))

    try:
        results = await gather_all([one(i) for i in range(count)])
    except DeadlinePassed:
        ctx.status(f"still processing; run again later: {reference.format()}",
                   job=reference.format(), state="pending")
        situation = (f"ModelsLab job(s) {reference.format()} still processing after "
                     f"{timeout:g} s.")
        raise JobTimeoutError(f"{situation} Run FetchResult again later with the same job.",
                              handle=reference.format(), situation=situation) from None
    sizes = {r.image.shape for r in results}
    if len(sizes) > 1:
        raise ObjectRemovalError(
            "the jobs' results have different sizes and cannot form one batch; fetch them "
            "one at a time, or use the handle from TextObjectRemove, which carries the size."
        )
    # Collecting costs nothing: the job was paid for when it was submitted.
    ctx.status(f"done, {_fetch_summary(reference, results, composite)}", state="free")
    return torch.stack([r.image for r in results]), torch.stack([r.mask for r in results])


def _fetch_summary(reference: JobReference, results: list[TextResult], composite: bool) -> str:
    """The status line, saying why nothing was composited when that was asked for."""
    if not composite or all(r.outcome != NO_ORIGINAL for r in results):
        return describe(results)
    if reference.size is None:
        why = "a bare job id or URL names no original"
    elif not reference.originals:
        why = "the handle names no original (made before they were kept)"
    else:
        why = "the original is no longer kept"
    return f"could not composite ({why}): the provider's whole image"


def _lossless_png(upload: EncodedImage, rgb: np.ndarray) -> bytes | None:
    """The upload's bytes if they are a PNG of exactly `rgb`, to keep without re-encoding."""
    same_size = (upload.width, upload.height) == (rgb.shape[1], rgb.shape[0])
    return upload.data if upload.mime == "image/png" and same_size else None


async def _result_pixels(jobs: ModelsLabJobs, status: JobStatus, ctx: RunContext) -> np.ndarray:
    """A finished job's picture, at the provider's size."""
    data = await jobs.result_bytes(status)
    return await run_blocking(
        ctx, lambda: decode_image(data, f"ModelsLab's result for job {status.job_id}"))


def _deadline(timeout: float) -> float:
    """When waiting must stop, checked before anything is sent."""
    if timeout < 1:
        raise ObjectRemovalError(f"`timeout` must be at least 1 second, got {timeout}.")
    return time.monotonic() + timeout
