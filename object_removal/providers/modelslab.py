"""ModelsLab's mask-based object removal (`image_editing/object_removal`).

The same account and key as TextObjectRemove. Queued like the interior endpoint:
the image and the mask are uploaded, the job is submitted, polled and its result
downloaded (`modelslab_jobs`). The endpoint takes no settings, so the hole is grown
here by `dilate_size`. A job that may have been queued is never submitted again:
queueing the same image and mask again resumes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..clients.modelslab import MASK_REMOVAL, UPLOAD_LIMIT_BYTES, JobStatus, ModelsLabClient
from ..config import MODELSLAB_CEILING, Settings
from ..errors import JobTimeoutError
from ..imaging.codec import decode_image, encode_mask_png, resize_mask, resize_rgb
from ..imaging.compositing import grow_mask
from ..imaging.provider_limits import EncodedImage, encode_within_bytes
from ..jobs.modelslab import ModelsLabJobs
from ..run_context import DeadlinePassed, RunContext, run_blocking
from .base import (
    RESAMPLING_MARGIN,
    Filled,
    FillRequest,
    ProviderEnvironment,
    ProviderSpec,
    SeedAndDilation,
)

# MaskObjectRemove has no timeout input: a job is waited for this long, then the
# error says how to resume it.
JOB_WAIT_SECONDS = 600


@dataclass(frozen=True, kw_only=True)
class MaskJobRequest(FillRequest):
    image: EncodedImage
    mask: EncodedImage
    size: tuple[int, int]
    """(width, height) of the input, which the result is returned at."""
    fingerprint: str | None
    """Identifies the job for resuming; None when a new result is wanted every time."""


class ModelsLabMaskProvider:
    def __init__(self, params: SeedAndDilation, env: ProviderEnvironment) -> None:
        self._params = params
        self._settings: Settings = env.settings()
        self._lossless = not env.composite
        self._deadline = time.monotonic() + JOB_WAIT_SECONDS
        self._jobs = ModelsLabJobs(self._settings, env.ctx, MASK_REMOVAL,
                                   deadline=self._deadline)

    @property
    def concurrency(self) -> int:
        # Jobs wait for a slot of the account's learnt queue limit; this bounds the tasks.
        return self._settings.modelslab_queue_limit or MODELSLAB_CEILING

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> MaskJobRequest:
        height, width = hole.shape
        grown = grow_mask(torch.from_numpy(hole), self._params.dilate_size).numpy()
        image = encode_within_bytes(rgb, UPLOAD_LIMIT_BYTES, lossless=self._lossless)
        mask_png = encode_mask_png(resize_mask(grown, image.width, image.height))
        mask = EncodedImage(mask_png, "image/png", image.width, image.height)
        fingerprint = None
        if self._params.seed != -1:
            fingerprint = self._jobs.fingerprint(image.mime, image.data, mask_png)
        scale = max(width / image.width, height / image.height)
        return MaskJobRequest(
            cache_key=fingerprint,
            changed_radius=self._params.dilate_size + round(RESAMPLING_MARGIN * scale),
            image=image, mask=mask, size=(width, height), fingerprint=fingerprint,
        )

    def already_paid(self, request: MaskJobRequest) -> bool:
        return self._jobs.remembers(request.fingerprint)

    def unanswered_note(self) -> str:
        """What a run that stopped must add: submits whose answer had not come yet."""
        return self._jobs.unanswered_note()

    async def fill(self, request: MaskJobRequest, ctx: RunContext) -> Filled:
        def uploaded(client: ModelsLabClient) -> dict[str, Any]:
            return {"init_image": client.upload(request.image),
                    "mask_image": client.upload(request.mask)}

        jobs = self._jobs
        status: JobStatus | None = None
        try:
            async with jobs.queue_slot():
                status, paid = await jobs.submit_or_resume(request.fingerprint, uploaded,
                                                           "mask removal")
                status = await jobs.wait(status, self._deadline, request.fingerprint)
        except DeadlinePassed:
            job = status.job_id if status is not None else "?"
            situation = f"ModelsLab job {job} still processing after {JOB_WAIT_SECONDS} s."
            if status is None:
                situation = f"ModelsLab did not answer a submit within {JOB_WAIT_SECONDS} s."
            raise JobTimeoutError(
                f"{situation} Queue the workflow again later: the same image and mask resume "
                "the same job, at no extra cost.",
                handle=str(job), situation=situation,
            ) from None
        data = await jobs.result_bytes(status)

        def decoded() -> Filled:
            rgb = decode_image(data, f"ModelsLab's result for job {status.job_id}")
            return Filled(resize_rgb(rgb, *request.size), paid)

        return await run_blocking(ctx, decoded)


SPECS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        name="modelslab", position=2, label="ModelsLab object removal (by mask)",
        summary="queued, one key with Text Object Remove",
        credits_per_call=None, key_setting="MODELSLAB_API_KEY",
        uses=frozenset({"seed", "dilate_size"}),
        parameters=SeedAndDilation.from_inputs,
        build=ModelsLabMaskProvider,
    ),
)
