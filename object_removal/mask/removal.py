"""MaskObjectRemove's job: remove what each mask covers, for a whole batch, with any
provider of the registry.

Order of work, chosen so that nothing is paid for that was bound to fail: pair the
batches and check every input and parameter, skip pairs whose mask is empty (no
call, input returned as is), prepare every request (limits, encoding), and only
then fill them, a few at a time. Identical requests in a batch are filled once.
What the run would cost is known before any paid call (results kept from earlier
runs are free), so a budget can refuse it with nothing sent; what it did cost goes
to the status line and to `ctx.spend`.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..config import Settings, load_settings
from ..errors import ObjectRemovalError, batch_item, naming_batch_item
from ..imaging.compositing import Feather, blend_into, default_feather, feather
from ..imaging.tensors import (
    binary_mask,
    from_uint8,
    image_batch,
    mask_batch,
    pair_batches,
    to_uint8,
)
from ..providers.base import (
    Filled,
    FillProvider,
    FillRequest,
    ProviderEnvironment,
    ProviderSpec,
    outcome_of,
    unanswered_note_of,
)
from ..providers.registry import provider_spec
from ..run_context import RunContext, gather_all, run_blocking
from ..spending import Spend, check_budget, spend_for
from .parameters import MaskInputs


@dataclass(frozen=True, kw_only=True)
class MaskRemovalOptions:
    provider: str = "ailab"
    inputs: MaskInputs = field(default_factory=MaskInputs)
    composite: bool = True
    stretch_mask: bool = False
    """Fit a mask of another aspect ratio by stretching it (else that is an error)."""
    budget: int | None = None
    """The most this run may spend; None: the setting (OBJECT_REMOVAL_BUDGET)."""


@dataclass
class _Plan:
    """A run worked out and checked, with nothing sent yet."""

    spec: ProviderSpec
    provider: FillProvider[Any] | None
    env: ProviderEnvironment
    pairs: list[tuple[int, int]]
    holes: dict[int, np.ndarray]
    outputs: list[torch.Tensor]
    requests: dict[int, FillRequest]
    runner_of: dict[int, int]

    @property
    def unique(self) -> list[int]:
        return sorted(set(self.runner_of.values()))

    def to_pay(self) -> Spend:
        """What filling the requests would cost now (kept results are free)."""
        unique = self.unique
        if self.provider is None or self.spec.credits_per_call == 0:
            return spend_for(0, len(unique), self.spec.credits_per_call)
        paying = sum(not self.provider.already_paid(self.requests[i]) for i in unique)
        return spend_for(paying, len(unique) - paying, self.spec.credits_per_call)


def _plan(image: torch.Tensor, mask: torch.Tensor, options: MaskRemovalOptions,
          ctx: RunContext, settings: Settings | None) -> _Plan:
    images = image_batch(image)
    masks = mask_batch(mask)
    pairs = pair_batches(images.shape[0], masks.shape[0])
    spec = provider_spec(options.provider)
    params = spec.parameters(options.inputs)
    height, width = images.shape[1:3]
    holes = {j: binary_mask(masks[j], height, width, options.stretch_mask)
             for j in {j for _, j in pairs}}
    env = ProviderEnvironment(ctx=ctx, composite=options.composite,
                              settings=lambda: settings or load_settings())
    plan = _Plan(spec, None, env, pairs, holes, [images[i] for i, _ in pairs], {}, {})
    todo = [index for index, (_, j) in enumerate(pairs) if holes[j].any()]
    if not todo:
        return plan  # nothing to remove: no provider, no key needed
    provider = plan.provider = spec.build(params, env)

    def prepare(index: int) -> FillRequest:
        i, j = pairs[index]
        with naming_batch_item(index, len(pairs)):
            return provider.prepare(to_uint8(images[i]), holes[j])

    # Encoding releases the GIL: a batch is prepared on all cores.
    with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1)) as pool:
        plan.requests = dict(zip(todo, pool.map(prepare, todo), strict=True))
    plan.runner_of = _runners(plan.requests)
    return plan


def planned_spend(image: torch.Tensor, mask: torch.Tensor, options: MaskRemovalOptions,
                  ctx: RunContext, settings: Settings | None = None) -> Spend:
    """What `remove_by_mask` would cost now, worked out without sending anything."""
    return _plan(image, mask, options, ctx, settings).to_pay()


async def remove_by_mask(
    image: torch.Tensor,
    mask: torch.Tensor,
    options: MaskRemovalOptions,
    ctx: RunContext,
    settings: Settings | None = None,
) -> torch.Tensor:
    """(B, H, W, 3) result: B = max(images, masks), the input's exact size."""
    # Checking and encoding happen in a worker thread: other nodes run meanwhile.
    plan = await run_blocking(ctx, lambda: _plan(image, mask, options, ctx, settings))
    spec, provider, outputs = plan.spec, plan.provider, plan.outputs
    if provider is None:
        ctx.status("nothing to remove: the mask is empty", state="free")
        return torch.stack(outputs)  # a copy: the input is never handed back to be mutated
    if spec.credits_per_call != 0:  # a free provider needs no budget (nor settings)
        budget = options.budget if options.budget is not None else plan.env.settings().budget
        check_budget(plan.to_pay(), budget, spec.label)

    unique = plan.unique
    try:
        filled = await _fill_all(provider, spec.name, {i: plan.requests[i] for i in unique},
                                 len(plan.pairs), ctx)
    except BaseException as exc:
        # Cancel, or another image's failure: a paid call already sent may have bought
        # something; say how to collect it.
        note = unanswered_note_of(provider)
        if note:
            ctx.status(f"{spec.name}: stopped. {note}", state="pending")
            if isinstance(exc, ObjectRemovalError):
                exc.args = (f"{exc} {note}",)
        raise
    paid = sum(f.paid for f in filled.values())
    spent = spend_for(paid, len(unique) - paid, spec.credits_per_call)
    ctx.spend.add(spent)

    height, width = outputs[0].shape[:2]
    ramp = default_feather(height, width)
    result = torch.stack(outputs)  # the input's pixels, copied once: never handed back
    feathers: dict[tuple[int, int], Feather | None] = {}  # a mask often serves many images
    for index, runner in plan.runner_of.items():
        rgb = filled[runner].rgb
        if not options.composite:
            result[index] = from_uint8(rgb)
            continue
        j, radius = plan.pairs[index][1], plan.requests[index].changed_radius
        if (j, radius) not in feathers:
            feathers[j, radius] = feather(torch.from_numpy(plan.holes[j]), radius, ramp)
        weights = feathers[j, radius]
        if weights is not None:
            y0, y1, x0, x1 = weights.box
            blend_into(result[index], from_uint8(rgb[y0:y1, x0:x1]), weights)
    outcome = outcome_of(provider)  # e.g. which offline backend ran: "with PatchMatch"
    cost = "free" if spec.credits_per_call == 0 else spent.describe()
    ctx.status(f"{spec.name}: done{' ' + outcome if outcome else ''}, {cost}",
               state="paid" if paid else "free")
    return result


def _runners(requests: dict[int, FillRequest]) -> dict[int, int]:
    """For each request, the first identical one (same cache key): filled once for all."""
    first_with_key: dict[str, int] = {}
    return {
        index: first_with_key.setdefault(request.cache_key, index) if request.cache_key else index
        for index, request in requests.items()
    }


async def _fill_all(
    provider: FillProvider[Any],
    name: str,
    requests: dict[int, FillRequest],
    batch_size: int,
    ctx: RunContext,
) -> dict[int, Filled]:
    """Fill the requests side by side, at most `provider.concurrency` at a time."""
    limit = asyncio.Semaphore(provider.concurrency)
    finished = 0
    ctx.progress(0, len(requests))

    async def fill_one(index: int) -> Filled:
        nonlocal finished
        async with limit:
            ctx.status(f"{name}: {batch_item(index, batch_size)} ...")
            with naming_batch_item(index, batch_size):
                result = await provider.fill(requests[index], ctx)
        finished += 1
        ctx.progress(finished, len(requests))
        return result

    indexes = sorted(requests)
    done = await gather_all([fill_one(index) for index in indexes])
    return dict(zip(indexes, done, strict=True))
