"""Fitting what is sent within a provider's limits, before any paid call.

A request that breaks a documented limit is bound to fail; it is cheaper to
resize or re-encode here than to learn it from an error reply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ObjectRemovalError
from .codec import encode_jpeg, encode_png, resize_rgb

# "5 MB" is read as the smaller of 5,000,000 and 5 MiB.
FIVE_MB = 5_000_000

JPEG_QUALITIES = (95, 90, 85)
# Each downscale step aims a little under the byte limit so it rarely needs two.
DOWNSCALE_MARGIN = 0.9


@dataclass(frozen=True)
class SideLimits:
    """Each side must be > `min_exclusive` and < `max_exclusive` pixels."""

    min_exclusive: int
    max_exclusive: int

    @property
    def smallest(self) -> int:
        return self.min_exclusive + 1

    @property
    def largest(self) -> int:
        return self.max_exclusive - 1


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    mime: str
    width: int
    height: int


def fit_dimensions(width: int, height: int, limits: SideLimits) -> tuple[int, int]:
    """The size closest to (width, height), same aspect ratio, within `limits`."""
    scale = 1.0
    if max(width, height) > limits.largest:
        scale = limits.largest / max(width, height)
    elif min(width, height) < limits.smallest:
        scale = limits.smallest / min(width, height)
    new_width = _scaled_side(width, scale, limits)
    new_height = _scaled_side(height, scale, limits)
    if not (limits.smallest <= new_width <= limits.largest
            and limits.smallest <= new_height <= limits.largest):
        raise ObjectRemovalError(
            f"a {width}x{height} image cannot be sent: each side must be between "
            f"{limits.smallest} and {limits.largest} pixels, and this aspect ratio cannot fit "
            "both. Crop the image closer to a square first."
        )
    return new_width, new_height


def encode_within_bytes(
    rgb: np.ndarray,
    max_bytes: int,
    *,
    lossless: bool,
    limits: SideLimits | None = None,
) -> EncodedImage:
    """Encode `rgb` in at most `max_bytes`: re-encode first, then downscale.

    `lossless` asks for PNG while it fits; otherwise JPEG (4:4:4) at the highest
    quality that fits, which is fast and small. With compositing the pixels
    outside the mask come from the original anyway, so JPEG loses nothing there.
    """
    height, width = rgb.shape[:2]
    if lossless:
        png = encode_png(rgb)
        if len(png) <= max_bytes:
            return EncodedImage(png, "image/png", width, height)
    for quality in JPEG_QUALITIES:
        jpeg = encode_jpeg(rgb, quality)
        if len(jpeg) <= max_bytes:
            return EncodedImage(jpeg, "image/jpeg", width, height)

    smallest = limits.smallest if limits else 1
    current = rgb
    size = len(jpeg)
    while True:
        factor = math.sqrt(max_bytes / size) * DOWNSCALE_MARGIN
        new_width = max(smallest, int(current.shape[1] * factor))
        new_height = max(smallest, int(current.shape[0] * factor))
        if (new_width, new_height) == (current.shape[1], current.shape[0]):
            raise ObjectRemovalError(
                f"the image cannot be made smaller than {max_bytes} bytes without going "
                f"below {smallest} pixels a side."
            )
        current = resize_rgb(current, new_width, new_height)
        jpeg = encode_jpeg(current, JPEG_QUALITIES[-1])
        size = len(jpeg)
        if size <= max_bytes:
            return EncodedImage(jpeg, "image/jpeg", new_width, new_height)


def _scaled_side(side: int, scale: float, limits: SideLimits) -> int:
    if scale == 1.0:
        return side
    # Round, then nudge into range: rounding must not undo the fit.
    scaled = max(1, round(side * scale))
    if scale < 1.0:
        return min(scaled, limits.largest)
    return max(scaled, limits.smallest)
