"""The offline providers: inpainting on this machine, free, with no key.

``local`` takes the best backend that is ready (a learned model already on disk, else
PatchMatch, else Telea) and never downloads. The choices appended after it name one
backend each; choosing ``local-migan`` or ``local-lama`` is the user's request that
allows the pack to download that model's file once, if it is missing. The status line
and the command line say which backend ran.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch

from ..errors import Cancelled
from ..imaging.compositing import grow_mask
from ..inpainting import (
    BACKEND_LABELS,
    LEARNED,
    Backend,
    ensure_model_file,
    inpaint_locally,
    local_backend_name,
)
from ..inpainting.difficulty import likely_poor
from ..inpainting.model_files import MODEL_FILES, ModelName, find_model_file
from ..run_context import RunContext, run_blocking
from ..stores.result_cache import request_key
from .base import Filled, FillRequest, ProviderEnvironment, ProviderSpec, SeedAndDilation

MIB = 1 << 20

# One offline fill at a time in this process, held by the thread doing the work (not by
# the run awaiting it): a cancelled run returns at once, but the next offline fill
# waits here until the abandoned one has really stopped (within a second: the
# backends check for Cancel between units of work).
_OFFLINE_WORK = threading.Lock()


# Half of `dilate_size`: growth that suits a generative provider (15 px) takes context
# away from an exemplar fill and, beside other objects, lets them into it. On the real-
# object benchmark's development part (11 removals, masks drawn loosely around the
# objects) growing by 0, 5, 10 and 15 px left 2, 2, 3 and 3 fills with foreign content;
# but a mask drawn tight (the template thumbnails' tripod) kept the legs' edges at 5 px.
OFFLINE_GROWTH_SHARE = 1 / 2


def offline_growth(dilate_size: int) -> int:
    """How far the offline providers grow the mask for a node's `dilate_size`."""
    return round(dilate_size * OFFLINE_GROWTH_SHARE)


@dataclass(frozen=True, kw_only=True)
class LocalRequest(FillRequest):
    rgb: np.ndarray
    grown_hole: np.ndarray
    """The hole grown by `dilate_size`: what is filled."""


class LocalProvider:
    # CPU-bound: one at a time keeps ComfyUI responsive (and `_OFFLINE_WORK` holds it
    # across runs until a cancelled fill has stopped).
    concurrency = 1

    def __init__(self, params: SeedAndDilation, env: ProviderEnvironment, *,
                 backend: Backend | None, name: str) -> None:
        self._params = params
        self._backend = backend
        self._name = name
        self._ready: Backend | None = None
        self._ready_lock = asyncio.Lock()
        self._used: list[str] = []
        self._advice: str | None = None

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> LocalRequest:
        growth = offline_growth(self._params.dilate_size)
        grown = grow_mask(torch.from_numpy(hole), growth).numpy()
        # Nothing is kept on disk (filling again costs nothing but time); the key lets
        # identical pairs of one batch, such as repeated frames, be filled once.
        key = None
        if self._params.seed != -1:
            key = request_key(self._name, rgb.tobytes(), np.packbits(grown).tobytes(),
                              str(rgb.shape), str(self._params.seed))
        return LocalRequest(cache_key=key, changed_radius=growth, rgb=rgb, grown_hole=grown)

    async def _ready_backend(self, ctx: RunContext) -> Backend:
        """The backend for this run, its model downloaded first if it was asked for by name."""
        async with self._ready_lock:
            if self._ready is None:
                if self._backend in LEARNED:
                    await self._fetch_model(cast(ModelName, self._backend), ctx)
                    self._ready = self._backend
                else:
                    self._ready = self._backend or await run_blocking(ctx, local_backend_name)
            return self._ready

    async def _fetch_model(self, model: ModelName, ctx: RunContext) -> None:
        file_name = MODEL_FILES[model].file_name
        shown = [-1]

        def progress(done: int, total: int | None) -> None:
            if done // MIB == shown[0]:
                return  # one status line per MiB is plenty
            shown[0] = done // MIB
            size = f"{done / MIB:.0f} of {total / MIB:.0f} MiB" if total else f"{done / MIB:.0f}"
            ctx.status(f"{self._name}: downloading {file_name}, {size}")
            ctx.progress(done, total or MODEL_FILES[model].approx_mib * MIB)

        await run_blocking(ctx, lambda: ensure_model_file(
            model, download=True, progress=progress, cancelled=ctx.cancel_requested))

    def already_paid(self, request: LocalRequest) -> bool:
        return True  # free

    async def fill(self, request: LocalRequest, ctx: RunContext) -> Filled:
        backend = await self._ready_backend(ctx)
        ctx.status(f"{self._name}: filling with {BACKEND_LABELS[backend]} ...")

        def work() -> np.ndarray | None:
            with _OFFLINE_WORK:
                try:
                    filled = inpaint_locally(
                        request.rgb, request.grown_hole, seed=self._params.seed,
                        backend=backend, cancelled=ctx.cancel_requested)
                except Cancelled:
                    return None  # the run raises its own Cancel; nothing is left unread
                if self._advice is None and backend not in LEARNED and not _any_model_file():
                    self._advice = likely_poor(request.rgb, request.grown_hole)
                return filled

        result = await run_blocking(ctx, work)
        if result is None:
            ctx.raise_if_cancelled()
            raise Cancelled("cancelled")
        if BACKEND_LABELS[backend] not in self._used:
            self._used.append(BACKEND_LABELS[backend])
        return Filled(result, paid=False)

    def outcome(self) -> str:
        """Which backend filled the holes, for the status line: "with PatchMatch", and
        when no learned model is on disk and a hole is one PatchMatch does poorly, which
        choice does better."""
        if not self._used:
            return ""
        used = f"with {' and '.join(self._used)}"
        if self._advice is None:
            return used
        return (f"{used}; for {self._advice}, local-lama or local-migan (a one-time "
                "download) does better")


def _any_model_file() -> bool:
    return any(find_model_file(model) is not None for model in LEARNED)


def _spec(name: str, position: int, backend: Backend | None, label: str, summary: str
          ) -> ProviderSpec:
    return ProviderSpec(
        name=name, position=position, label=label, summary=summary,
        credits_per_call=0, key_setting=None,
        uses=frozenset({"seed", "dilate_size"}),
        parameters=SeedAndDilation.from_inputs,
        build=lambda params, env: LocalProvider(params, env, backend=backend, name=name),
    )


SPECS: tuple[ProviderSpec, ...] = (
    _spec("local", 1, None, "offline inpainting on this machine",
          "the best backend that is ready: LaMa or MI-GAN if downloaded, else PatchMatch; "
          "never downloads"),
    _spec("local-migan", 5, "migan", "offline MI-GAN (learned, MIT)",
          f"fast learned fill; downloads {MODEL_FILES['migan'].file_name} "
          f"(~{MODEL_FILES['migan'].approx_mib} MiB) once if missing"),
    _spec("local-lama", 6, "lama", "offline LaMa (learned, Apache-2.0)",
          f"best learned fill for large holes; downloads {MODEL_FILES['lama'].file_name} "
          f"(~{MODEL_FILES['lama'].approx_mib} MiB) once if missing"),
    _spec("local-patchmatch", 7, "patchmatch", "offline PatchMatch",
          "copies texture from the hole's surroundings; no model needed"),
    _spec("local-telea", 8, "telea", "offline Telea (OpenCV)",
          "smooth diffusion; for thin marks on plain areas"),
)
