"""Exemplar-based inpainting with PatchMatch (pypatchmatch, MIT), tuned for photos.

Plain PatchMatch searches the whole picture for patches to copy, so next to a face or
an object it fills the hole with pieces of that face (and, as a patch-copying method,
it gets the colours of a smooth background slightly wrong in blotches). This path:

1. works on a crop around each group of holes, with context in proportion to the
   hole's size (`margin_for`): far content (a face across the picture) is never seen;
2. lets PatchMatch copy only from a band around the hole, `SOURCE_BAND` times the
   hole's radius wide (`source_band_mask`): the hole's own surroundings, at a scale
   set by the hole, so the fill continues what borders it;
3. fills at most `WORK_PIXELS` of crop at a time (a reduced scale for big holes), with
   a patch radius of 5 at that scale, which bounds the time (about 2.7 s for a 10 %
   hole in a megapixel on the 2-core reference machine);
4. corrects the fill's low frequencies towards a smooth interpolation of the
   surroundings (`match_low_frequencies`): the copied texture stays, its shading
   follows the picture, and no blotch of a wrong colour remains.

Each step was measured on the real-photo benchmark (benchmarks/bench_real_photos.py,
its 18 cases with 10 % holes; median PSNR in the hole, and fills copying the face or
object beside them, out of 6), first with a patch radius of 4 and a band of 1 hole
radius: plain pypatchmatch 14.7 dB, 2 copies; steps 1 + 3 alone 17.1 dB, 1 copy;
adding 2: 17.2 dB, 1 copy, twice as fast (less to search); adding 4: 17.8 dB, no copy.
That band and radius lost the alignment of synthetic stripes (14 dB against 24 dB,
tests/test_local_inpaint.py), so the final ones are 2 hole radii and 5: 17.7 dB, no
copy, still under 3 s a megapixel. Running two seeded candidates and keeping the one
whose border matched its surroundings best gained 0.02 dB for twice the time, so it
was dropped; a blur radius for step 4 below a quarter of the hole's radius scored
higher still (18.2 dB at 2 px) but only by turning the fill into a smooth wash with
grain, so it was not taken.
pypatchmatch is imported lazily, on first use.
"""

from __future__ import annotations

import functools
import secrets
import threading
from types import ModuleType

import numpy as np
from PIL import Image

from .crop_stitch import Box, fill_by_crops
from .smoothing import box_blur, dilate, smooth_fill

MIN_MARGIN = 32
MARGIN_FRACTION = 0.6
MAX_MARGIN = 512
PATCH_RADIUS = 5
WORK_PIXELS = 180_000
SOURCE_BAND = 2.0
MIN_SOURCE_BAND = 24
LOW_FREQUENCY_FRACTION = 0.25  # of the hole's radius: the blur that splits low from high

# The native library keeps the seed in a global and reads it during the call, so a
# seeded call from another thread could change it in between.
_NATIVE_LOCK = threading.Lock()


@functools.cache
def load_patchmatch() -> ModuleType | None:
    """The `patchmatch` module if it imports and its native library loaded, else None.

    Cached: importing it loads a shared library, and the answer does not change while
    the process runs (`load_patchmatch.cache_clear()` after installing it).
    """
    try:
        import patchmatch
    except ImportError:
        return None
    if not getattr(patchmatch, "patchmatch_available", False):
        return None
    return patchmatch


def patchmatch_available() -> bool:
    """Whether `inpaint_patchmatch` can run."""
    return load_patchmatch() is not None


def margin_for(box: Box) -> int:
    """Context to take around a hole whose tight box is `box`."""
    y0, y1, x0, x1 = box
    long_side = max(y1 - y0, x1 - x0)
    return int(min(max(MIN_MARGIN, round(MARGIN_FRACTION * long_side)), MAX_MARGIN))


def resolve_seed(seed: int) -> int:
    """The native library's 32-bit seed: -1 picks a random one, others wrap modulo 2**32."""
    if seed == -1:
        return secrets.randbits(32)
    return seed % 2**32


def hole_radius(hole: np.ndarray) -> float:
    """The radius of a disc of the hole's area: the scale that context and blur follow."""
    return float(np.sqrt(hole.sum() / np.pi))


def _distance_to(hole: np.ndarray, reach: int) -> np.ndarray:
    """Chessboard distance to the hole, capped at `reach` + 1 (cheap repeated dilation)."""
    distance = np.full(hole.shape, reach + 1, np.int32)
    grown = hole.copy()
    distance[grown] = 0
    for step in range(1, reach + 1):
        grown = dilate(grown)
        distance[grown & (distance > step)] = step
    return distance


def source_band_mask(hole: np.ndarray) -> np.ndarray:
    """Known pixels PatchMatch may not copy from: those farther from the hole than the band."""
    band = max(MIN_SOURCE_BAND, round(SOURCE_BAND * hole_radius(hole)))
    far = _distance_to(hole, band) > band
    return far & ~hole


def match_low_frequencies(filled: np.ndarray, original: np.ndarray, hole: np.ndarray
                          ) -> np.ndarray:
    """`filled` with its low frequencies inside the hole taken from a smooth interpolation
    of the known pixels around it; outside the hole it is returned unchanged."""
    radius = max(2, round(LOW_FREQUENCY_FRACTION * hole_radius(hole)))
    values = filled.astype(np.float32)
    guide = smooth_fill(original.astype(np.float32), ~hole)
    correction = box_blur(guide, radius) - box_blur(values, radius)
    corrected = values + correction * hole[..., None]
    return np.clip(np.rint(corrected), 0, 255).astype(np.uint8)


def _run_native(rgb: np.ndarray, hole: np.ndarray, band_mask: np.ndarray, seed: int
                ) -> np.ndarray:
    """One seeded PatchMatch call; serialised because the seed is global native state."""
    patchmatch = load_patchmatch()
    if patchmatch is None:
        raise RuntimeError("pypatchmatch is not available")
    with _NATIVE_LOCK:
        patchmatch.set_random_seed(seed)
        return patchmatch.inpaint(rgb, hole, global_mask=band_mask, patch_size=PATCH_RADIUS)


def _shrink(rgb: np.ndarray, hole: np.ndarray, size: tuple[int, int]
            ) -> tuple[np.ndarray, np.ndarray]:
    """`rgb` and `hole` at `size` (width, height); a pixel touching the hole stays a hole,
    so no hole colour leaks into the known pixels PatchMatch copies from."""
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    coverage = Image.fromarray(hole.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)
    return np.ascontiguousarray(small), np.asarray(coverage) > 0


def _fill_at(rgb: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    return _run_native(rgb, hole, source_band_mask(hole), seed)


def _fill_crop(rgb: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    """Fill one crop (at a reduced scale above `WORK_PIXELS`), then fix its shading."""
    height, width = hole.shape
    if height * width <= WORK_PIXELS:
        filled = _fill_at(rgb, hole, seed)
    else:
        scale = (WORK_PIXELS / (height * width)) ** 0.5
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small_rgb, small_hole = _shrink(rgb, hole, size)
        small = _fill_at(small_rgb, small_hole, seed)
        # paste_hole takes only hole pixels from this, so resampling never touches the rest
        filled = np.asarray(Image.fromarray(small).resize((width, height),
                                                          Image.Resampling.BICUBIC))
        filled = np.where(hole[..., None], filled, rgb)
    return match_low_frequencies(filled, rgb, hole)


def inpaint_patchmatch(rgb: np.ndarray, hole: np.ndarray, seed: int = 0) -> np.ndarray:
    """`rgb` with the `hole` pixels filled by PatchMatch; other pixels are kept exactly.

    `seed` makes the randomised search repeatable (-1: random).
    """
    native_seed = resolve_seed(seed)
    return fill_by_crops(
        rgb,
        hole,
        lambda crop, crop_hole: _fill_crop(crop, crop_hole, native_seed),
        margin=MIN_MARGIN,
        margin_rule=margin_for,
    )
