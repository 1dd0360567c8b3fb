"""The ways MaskObjectRemove can fill a mask: AILabTools (remote) and local.

Each provider turns one (image, hole) pair into a request that is fully
checked before anything is paid for (`prepare`), then runs it (`run`,
blocking, called from a worker thread) and returns the result at the input's
size. `changed_radius` says how far around the hole the provider may have
altered pixels, which is where compositing takes the provider's pixels.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .ailab_client import PATH as AILAB_PATH
from .ailab_client import AILabClient, AILabParams
from .compositing import grow_mask
from .config import Settings
from .image_codec import decode_image, encode_mask_png, resize_mask, resize_rgb
from .local_inpaint import inpaint_locally
from .provider_limits import AILAB_SIDES, FIVE_MB, EncodedImage, encode_within_bytes, fit_dimensions
from .result_cache import ResultCache, request_key

PROVIDER_NAMES = ("ailab", "local")
# Resampling the result back to the input's size can spread changes a pixel or two.
RESAMPLING_MARGIN = 2


@dataclass(frozen=True)
class PreparedRequest:
    """One image and hole, ready to send; `cache_key` is None when results must not be reused."""

    rgb: np.ndarray
    hole: np.ndarray
    changed_radius: int
    cache_key: str | None = None
    image: EncodedImage | None = None
    mask_png: bytes | None = None


class AILabMaskProvider:
    name = "AILabTools"

    def __init__(
        self,
        settings: Settings,
        params: AILabParams,
        *,
        lossless: bool,
        cancel: threading.Event,
        on_retry: Callable[[int, float, Exception], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._params = params
        self._lossless = lossless
        self._client = AILabClient(settings.ailab, cancel=cancel, on_retry=on_retry, rng=rng)
        self._cache = ResultCache(settings.cache_dir / "ailab")

    @property
    def concurrency(self) -> int:
        return self._settings.ailab_concurrency

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> PreparedRequest:
        height, width = hole.shape
        sent_width, sent_height = fit_dimensions(width, height, AILAB_SIDES)
        resized = resize_rgb(rgb, sent_width, sent_height)
        image = encode_within_bytes(resized, FIVE_MB, lossless=self._lossless, limits=AILAB_SIDES)
        mask_png = encode_mask_png(resize_mask(hole, image.width, image.height))
        # The provider dilates in the pixels it was sent; convert to ours.
        scale = max(width / image.width, height / image.height)
        changed = math.ceil(self._params.dilate_size * scale) + RESAMPLING_MARGIN
        cache_key = None
        if self._params.seed != -1:  # -1 asks for a new random result every time
            fields = sorted(self._params.form_fields().items())
            cache_key = request_key(
                self._settings.ailab.base_url, AILAB_PATH, image.mime, image.data, mask_png,
                repr(fields),
            )
        return PreparedRequest(rgb, hole, changed, cache_key, image, mask_png)

    def run(self, request: PreparedRequest) -> np.ndarray:
        assert request.image is not None and request.mask_png is not None
        result = self._cache.get(request.cache_key) if request.cache_key else None
        if result is None:
            result = self._client.remove_objects(
                request.image.data, request.image.mime, request.mask_png, self._params
            )
            # Kept even when the run was cancelled meanwhile: it is paid for.
            if request.cache_key:
                self._cache.put(request.cache_key, result)
        height, width = request.hole.shape
        return resize_rgb(decode_image(result, "AILabTools' result"), width, height)


class LocalMaskProvider:
    name = "local"
    concurrency = 1  # CPU-bound: one at a time keeps ComfyUI responsive

    def __init__(self, params: AILabParams) -> None:
        self._params = params

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> PreparedRequest:
        grown = grow_mask(torch.from_numpy(hole), self._params.dilate_size).numpy()
        return PreparedRequest(rgb, grown, self._params.dilate_size)

    def run(self, request: PreparedRequest) -> np.ndarray:
        return inpaint_locally(request.rgb, request.hole, seed=self._params.seed)
