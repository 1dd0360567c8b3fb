"""The offline provider: inpainting on this machine, free, with no network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..compositing import grow_mask
from ..inpainting import inpaint_locally
from ..result_cache import request_key
from ..run_context import RunContext, run_blocking
from .base import Filled, FillRequest, ProviderEnvironment, ProviderSpec, SeedAndDilation


@dataclass(frozen=True, kw_only=True)
class LocalRequest(FillRequest):
    rgb: np.ndarray
    grown_hole: np.ndarray
    """The hole grown by `dilate_size`: what is filled."""


class LocalProvider:
    # CPU-bound: one at a time keeps ComfyUI responsive.
    concurrency = 1

    def __init__(self, params: SeedAndDilation, env: ProviderEnvironment) -> None:
        self._params = params

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> LocalRequest:
        grown = grow_mask(torch.from_numpy(hole), self._params.dilate_size).numpy()
        # Nothing is kept on disk (filling again costs nothing but time); the key lets
        # identical pairs of one batch, such as repeated frames, be filled once.
        key = None
        if self._params.seed != -1:
            key = request_key("local", rgb.tobytes(), np.packbits(grown).tobytes(),
                              str(rgb.shape), str(self._params.seed))
        return LocalRequest(cache_key=key, changed_radius=self._params.dilate_size,
                            rgb=rgb, grown_hole=grown)

    def already_paid(self, request: LocalRequest) -> bool:
        return True  # free

    async def fill(self, request: LocalRequest, ctx: RunContext) -> Filled:
        rgb = await run_blocking(
            ctx, lambda: inpaint_locally(request.rgb, request.grown_hole, seed=self._params.seed)
        )
        return Filled(rgb, paid=False)


SPECS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        name="local", position=1, label="offline inpainting on this machine",
        summary="best on textures and backgrounds",
        credits_per_call=0, key_setting=None,
        uses=frozenset({"seed", "dilate_size"}),
        parameters=SeedAndDilation.from_inputs,
        build=LocalProvider,
    ),
)
