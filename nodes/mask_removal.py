"""MaskObjectRemove's job: remove what each mask covers, for a whole batch.

Order of work, chosen so that nothing is paid for that was bound to fail:
pair the batches and check every input, skip pairs whose mask is empty (no
call, input returned as is), prepare every request (limits, encoding), and
only then call the provider, a few images at a time. Identical requests in a
batch are sent once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import torch

from .ailab_client import AILabParams
from .compositing import composite, default_feather, feather_weights
from .config import Settings, load_settings
from .errors import ObjectRemovalError, batch_item, naming_batch_item
from .mask_providers import (
    PROVIDER_NAMES,
    AILabMaskProvider,
    LocalMaskProvider,
    PreparedRequest,
)
from .run_context import RunContext, gather_all, run_blocking
from .tensors import binary_mask, from_uint8, image_batch, mask_batch, pair_batches, to_uint8


@dataclass(frozen=True, kw_only=True)
class MaskRemovalOptions:
    provider: str = "ailab"
    params: AILabParams = AILabParams()
    composite: bool = True


async def remove_by_mask(
    image: torch.Tensor,
    mask: torch.Tensor,
    options: MaskRemovalOptions,
    ctx: RunContext,
    settings: Settings | None = None,
) -> torch.Tensor:
    """(B, H, W, 3) result: B = max(images, masks), the input's exact size."""
    images = image_batch(image)
    masks = mask_batch(mask)
    pairs = pair_batches(images.shape[0], masks.shape[0])
    if options.provider not in PROVIDER_NAMES:
        raise ObjectRemovalError(
            f"unknown provider {options.provider!r}; choose one of {', '.join(PROVIDER_NAMES)}."
        )
    options.params.validate()

    height, width = images.shape[1:3]
    holes = {j: binary_mask(masks[j], height, width) for j in {j for _, j in pairs}}
    outputs = [images[i] for i, _ in pairs]
    todo = [index for index, (_, j) in enumerate(pairs) if holes[j].any()]
    if not todo:
        ctx.status("nothing to remove: the mask is empty")
        return torch.stack(outputs)  # a copy: the input is never handed back to be mutated

    provider = _make_provider(options, ctx, settings)
    requests: dict[int, PreparedRequest] = {}
    for index in todo:
        i, j = pairs[index]
        with naming_batch_item(index, len(pairs)):
            requests[index] = provider.prepare(to_uint8(images[i]), holes[j])

    results = await _run_all(provider, requests, len(pairs), ctx)

    feather = default_feather(height, width)
    weights: dict[tuple[int, int], torch.Tensor] = {}  # one mask often serves many images
    for index, result in results.items():
        filled = from_uint8(result)
        if options.composite:
            j, radius = pairs[index][1], requests[index].changed_radius
            if (j, radius) not in weights:
                weights[j, radius] = feather_weights(torch.from_numpy(holes[j]), radius, feather)
            filled = composite(outputs[index], filled, weights[j, radius])
        outputs[index] = filled
    ctx.status(f"{provider.name}: done")
    return torch.stack(outputs)


def _make_provider(
    options: MaskRemovalOptions, ctx: RunContext, settings: Settings | None
) -> AILabMaskProvider | LocalMaskProvider:
    if options.provider == "local":
        return LocalMaskProvider(options.params)
    settings = settings or load_settings()

    def on_retry(number: int, delay: float, exc: Exception) -> None:
        ctx.status(f"AILabTools busy, retry {number} in {delay:.0f} s")

    return AILabMaskProvider(
        settings,
        options.params,
        lossless=not options.composite,
        cancel=ctx.cancel_event,
        on_retry=on_retry,
    )


async def _run_all(
    provider: AILabMaskProvider | LocalMaskProvider,
    requests: dict[int, PreparedRequest],
    batch_size: int,
    ctx: RunContext,
) -> dict[int, np.ndarray]:
    """Run the requests, a few at a time; the same request is run once."""
    # Identical requests (same cache key) share the run of the first of them.
    first_with_key: dict[str, int] = {}
    runner_of = {
        index: first_with_key.setdefault(request.cache_key, index) if request.cache_key else index
        for index, request in requests.items()
    }
    unique = sorted(set(runner_of.values()))

    limit = asyncio.Semaphore(provider.concurrency)
    finished = 0
    ctx.progress(0, len(unique))

    async def run_one(index: int) -> np.ndarray:
        nonlocal finished
        async with limit:
            ctx.status(f"{provider.name}: {batch_item(index, batch_size)} ...")
            with naming_batch_item(index, batch_size):
                result = await run_blocking(ctx, lambda: provider.run(requests[index]))
        finished += 1
        ctx.progress(finished, len(unique))
        return result

    done = await gather_all([run_one(index) for index in unique])
    by_runner = dict(zip(unique, done, strict=True))
    return {index: by_runner[runner] for index, runner in runner_of.items()}
