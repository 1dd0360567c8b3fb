"""MaskObjectRemove's job: remove what each mask covers, for a whole batch, with any
provider of the registry.

Order of work, chosen so that nothing is paid for that was bound to fail: pair the
batches and check every input and parameter, skip pairs whose mask is empty (no
call, input returned as is), prepare every request (limits, encoding), and only
then fill them, a few at a time. Identical requests in a batch are filled once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .compositing import composite, default_feather, feather_weights
from .config import Settings, load_settings
from .errors import batch_item, naming_batch_item
from .mask_parameters import MaskInputs
from .providers.base import FillProvider, FillRequest, ProviderEnvironment, outcome_of
from .providers.registry import provider_spec
from .run_context import RunContext, gather_all
from .tensors import binary_mask, from_uint8, image_batch, mask_batch, pair_batches, to_uint8


@dataclass(frozen=True, kw_only=True)
class MaskRemovalOptions:
    provider: str = "ailab"
    inputs: MaskInputs = field(default_factory=MaskInputs)
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
    spec = provider_spec(options.provider)
    params = spec.parameters(options.inputs)

    height, width = images.shape[1:3]
    holes = {j: binary_mask(masks[j], height, width) for j in {j for _, j in pairs}}
    outputs = [images[i] for i, _ in pairs]
    todo = [index for index, (_, j) in enumerate(pairs) if holes[j].any()]
    if not todo:
        ctx.status("nothing to remove: the mask is empty")
        return torch.stack(outputs)  # a copy: the input is never handed back to be mutated

    env = ProviderEnvironment(ctx=ctx, composite=options.composite,
                              settings=lambda: settings or load_settings())
    provider = spec.build(params, env)
    requests: dict[int, FillRequest] = {}
    for index in todo:
        i, j = pairs[index]
        with naming_batch_item(index, len(pairs)):
            requests[index] = provider.prepare(to_uint8(images[i]), holes[j])

    results = await _fill_all(provider, spec.name, requests, len(pairs), ctx)

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
    outcome = outcome_of(provider)
    ctx.status(f"{spec.name}: done" + (f" {outcome}" if outcome else ""))
    return torch.stack(outputs)


async def _fill_all(
    provider: FillProvider[Any],
    name: str,
    requests: dict[int, FillRequest],
    batch_size: int,
    ctx: RunContext,
) -> dict[int, np.ndarray]:
    """Fill the requests, a few at a time; the same request is filled once."""
    # Identical requests (same cache key) share the fill of the first of them.
    first_with_key: dict[str, int] = {}
    runner_of = {
        index: first_with_key.setdefault(request.cache_key, index) if request.cache_key else index
        for index, request in requests.items()
    }
    unique = sorted(set(runner_of.values()))

    limit = asyncio.Semaphore(provider.concurrency)
    finished = 0
    ctx.progress(0, len(unique))

    async def fill_one(index: int) -> np.ndarray:
        nonlocal finished
        async with limit:
            ctx.status(f"{name}: {batch_item(index, batch_size)} ...")
            with naming_batch_item(index, batch_size):
                result = await provider.fill(requests[index], ctx)
        finished += 1
        ctx.progress(finished, len(unique))
        return result

    done = await gather_all([fill_one(index) for index in unique])
    by_runner = dict(zip(unique, done, strict=True))
    return {index: by_runner[runner] for index, runner in runner_of.items()}
