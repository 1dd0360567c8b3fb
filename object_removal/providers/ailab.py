"""AILabTools' ways to fill a mask: Remove Objects Advanced, Remove Objects and
Remove Objects Pro.

Each is one synchronous, paid multipart call. Advanced takes the generative
settings and dilates the mask itself, and answers base64; the others take only
image and mask (so the hole is grown here) and answer a link to the result. What
is sent is fitted to the documented limits first, and every paid-for result is kept
on disk by exactly what was sent, so the same request is never paid for twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..clients.ailab import ADVANCED_PATH, BASIC_PATH, PRO_PATH, AILabClient
from ..clients.keyed_http import KeyedHttp, Timeouts
from ..clients.retry import retry_status
from ..config import AILAB_CEILING, AILAB_START, Settings
from ..errors import ObjectRemovalError
from ..imaging.codec import decode_image, encode_mask_png, resize_mask, resize_rgb
from ..imaging.compositing import grow_mask
from ..imaging.provider_limits import (
    FIVE_MB,
    EncodedImage,
    SideLimits,
    encode_within_bytes,
    fit_dimensions,
)
from ..mask.parameters import QUALITIES, MaskInputs
from ..run_context import RunContext, run_blocking
from ..shared import account_limit, payment_claims, result_store, shared_store_note
from ..stores.paying import pay_once
from ..stores.result_cache import request_key
from .base import (
    RESAMPLING_MARGIN,
    Filled,
    FillRequest,
    ProviderEnvironment,
    ProviderSpec,
    SeedAndDilation,
)

# Advanced: larger than 64x64 and smaller than 4096x4096; the others: smaller than 4096.
ADVANCED_SIDES = SideLimits(min_exclusive=64, max_exclusive=4096)
LINK_RESULT_SIDES = SideLimits(min_exclusive=0, max_exclusive=4096)
# Latency is undocumented; the SDK's 30 s is known to be too short.
TIMEOUTS = Timeouts(connect=10.0, read=300.0, total=330.0)


@dataclass(frozen=True)
class AdvancedParams:
    """The documented fields of remove-objects-advanced, checked against its ranges.
    (The node's defaults are the provider's documented defaults.)"""

    steps: int
    strength: float
    scale: float
    seed: int
    dilate_size: int
    quality: str

    @classmethod
    def from_inputs(cls, inputs: MaskInputs) -> AdvancedParams:
        params = cls(inputs.steps, inputs.strength, inputs.scale, inputs.seed,
                     inputs.dilate_size, inputs.quality)
        params.validate()
        return params

    def validate(self) -> None:
        """Refuse what the provider would refuse, before a paid call."""
        problems = []
        if self.steps < 1:
            problems.append(f"steps must be at least 1 (got {self.steps})")
        if not 0.1 <= self.strength <= 1.0:
            problems.append(f"strength must be from 0.1 to 1.0 (got {self.strength})")
        if not 1.0 <= self.scale <= 20.0:
            problems.append(f"scale must be from 1 to 20 (got {self.scale})")
        if self.seed < -1:
            problems.append(f"seed must be -1 (random) or more (got {self.seed})")
        if self.dilate_size < 1:
            problems.append(f"dilate_size must be at least 1 (got {self.dilate_size})")
        if self.quality not in QUALITIES:
            problems.append(f"quality must be one of H, M, L (got {self.quality!r})")
        if problems:
            raise ObjectRemovalError("; ".join(problems) + ".")

    def form_fields(self) -> dict[str, str]:
        return {
            "steps": str(self.steps),
            "strength": form_number(self.strength),
            "scale": form_number(self.scale),
            "seed": str(self.seed),
            "dilate_size": str(self.dilate_size),
            "quality": self.quality,
        }


@dataclass(frozen=True, kw_only=True)
class AILabRequest(FillRequest):
    image: EncodedImage
    mask_png: bytes
    size: tuple[int, int]
    """(width, height) of the input, which the result is returned at."""


class _AILabProvider:
    """What they share: encoding within limits, the client, the kept results."""

    _sides: SideLimits

    def __init__(self, settings: Settings, env: ProviderEnvironment) -> None:
        self._settings = settings
        self._lossless = not env.composite

        def on_retry(number: int, delay: float, exc: Exception) -> None:
            env.ctx.status(retry_status("AILabTools", number, delay, exc))

        http = KeyedHttp(settings.ailab, timeouts=TIMEOUTS, cancel=env.ctx.cancel_signal,
                         on_retry=on_retry)
        self._ceiling = settings.ailab_concurrency or AILAB_CEILING
        limit = account_limit(settings, env.ctx, "ailab", settings.ailab.base_url, http.key,
                              start=min(AILAB_START, self._ceiling), ceiling=self._ceiling)
        self._client = AILabClient(http, limit=limit)
        # This machine's stores, or with a shared store every worker's.
        self._cache = result_store(settings, env.ctx, "ailab")
        self._paying = payment_claims(settings, env.ctx, "ailab")
        self._ctx = env.ctx

    @property
    def concurrency(self) -> int:
        # Each call waits for the account's learnt limit; this only bounds the threads.
        return self._ceiling

    def _encode(self, rgb: np.ndarray, hole: np.ndarray) -> tuple[EncodedImage, bytes, float]:
        """The image and mask as sent, and how many input pixels one sent pixel spans."""
        height, width = hole.shape
        sent_width, sent_height = fit_dimensions(width, height, self._sides)
        resized = resize_rgb(rgb, sent_width, sent_height)
        image = encode_within_bytes(resized, FIVE_MB, lossless=self._lossless,
                                    limits=self._sides)
        mask_png = encode_mask_png(resize_mask(hole, image.width, image.height))
        return image, mask_png, max(width / image.width, height / image.height)

    def _key(self, seed: int, path: str, image: EncodedImage, mask_png: bytes,
             *fields: str) -> str | None:
        if seed == -1:  # -1 asks for a new result every time
            return None
        return request_key(self._settings.ailab.base_url, path, image.mime, image.data,
                           mask_png, *fields)

    def already_paid(self, request: AILabRequest) -> bool:
        return request.cache_key is not None and self._cache.contains(request.cache_key)

    async def fill(self, request: AILabRequest, ctx: RunContext) -> Filled:
        def waiting() -> None:
            ctx.status("AILabTools: the same request is being paid for by another run; "
                       "waiting for its result instead of paying again")

        def result() -> Filled:
            if request.cache_key is None:  # seed -1: a new result every time
                data, paid = self._call(request), True
            else:
                # Kept even when the run was cancelled meanwhile: it is paid for.
                data, paid = pay_once(self._cache, self._paying, request.cache_key,
                                      lambda: self._call(request), cancel=ctx.cancel_signal,
                                      waiting=waiting)
            rgb = resize_rgb(decode_image(data, "AILabTools' result"), *request.size)
            return Filled(rgb, paid)

        return await run_blocking(ctx, result)

    def outcome(self) -> str:
        """Said in the run's final status: that Redis was away, if it was."""
        return shared_store_note(self._settings, self._ctx)

    def _call(self, request: AILabRequest) -> bytes:
        raise NotImplementedError


class AdvancedProvider(_AILabProvider):
    """Remove Objects Advanced: the provider dilates the mask by `dilate_size` itself."""

    _sides = ADVANCED_SIDES

    def __init__(self, params: AdvancedParams, env: ProviderEnvironment) -> None:
        super().__init__(env.settings(), env)
        self._params = params

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> AILabRequest:
        image, mask_png, scale = self._encode(rgb, hole)
        fields = self._params.form_fields()
        return AILabRequest(
            cache_key=self._key(self._params.seed, ADVANCED_PATH, image, mask_png,
                                repr(sorted(fields.items()))),
            # The provider dilates in the pixels it was sent; convert to ours.
            changed_radius=math.ceil(self._params.dilate_size * scale) + RESAMPLING_MARGIN,
            image=image, mask_png=mask_png, size=(hole.shape[1], hole.shape[0]),
        )

    def _call(self, request: AILabRequest) -> bytes:
        return self._client.remove_objects_advanced(
            request.image.data, request.image.mime, request.mask_png,
            self._params.form_fields(),
        )


class LinkResultProvider(_AILabProvider):
    """Remove Objects and its siblings: image and mask in, a link to the result out."""

    _sides = LINK_RESULT_SIDES

    def __init__(self, path: str, params: SeedAndDilation, env: ProviderEnvironment) -> None:
        super().__init__(env.settings(), env)
        self._path = path
        self._params = params

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> AILabRequest:
        grown = grow_mask(torch.from_numpy(hole), self._params.dilate_size).numpy()
        image, mask_png, scale = self._encode(rgb, grown)
        return AILabRequest(
            cache_key=self._key(self._params.seed, self._path, image, mask_png),
            changed_radius=self._params.dilate_size + math.ceil(RESAMPLING_MARGIN * scale),
            image=image, mask_png=mask_png, size=(hole.shape[1], hole.shape[0]),
        )

    def _call(self, request: AILabRequest) -> bytes:
        url = self._client.remove_objects_to_url(
            self._path, request.image.data, request.image.mime, request.mask_png
        )
        return self._client.download(url)


def form_number(value: float) -> str:
    """7.0 -> "7", 0.30000000000000004 -> "0.3": whole numbers stay whole (the schema
    types `scale` as int) and widget rounding noise is not sent."""
    return format(float(value), ".6g")


_KEY = "AILAB_API_KEY"
_REUSE_AND_GROW = frozenset({"seed", "dilate_size"})

SPECS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        name="ailab", position=0, label="AILabTools Remove Objects Advanced",
        summary="generative, with the settings below",
        credits_per_call=20, key_setting=_KEY,
        uses=frozenset({"steps", "strength", "scale", "seed", "dilate_size", "quality"}),
        parameters=AdvancedParams.from_inputs,
        build=AdvancedProvider,
    ),
    ProviderSpec(
        name="ailab-basic", position=3, label="AILabTools Remove Objects",
        summary="fast and cheapest, no settings",
        credits_per_call=5, key_setting=_KEY, uses=_REUSE_AND_GROW,
        parameters=SeedAndDilation.from_inputs,
        build=lambda params, env: LinkResultProvider(BASIC_PATH, params, env),
    ),
    ProviderSpec(
        name="ailab-pro", position=4, label="AILabTools Remove Objects Pro",
        summary="best for large or complex areas, no settings",
        credits_per_call=35, key_setting=_KEY, uses=_REUSE_AND_GROW,
        parameters=SeedAndDilation.from_inputs,
        build=lambda params, env: LinkResultProvider(PRO_PATH, params, env),
    ),
)
