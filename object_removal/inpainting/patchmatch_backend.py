"""Exemplar-based inpainting for photos: PatchMatch that copies only from the hole's
surroundings and follows their structure.

Plain PatchMatch searches the whole picture for patches to copy, so next to a face it
fills the hole with pieces of that face; limiting it to a band around the hole helps
only until the band (which must grow with the hole) reaches the face. This path:

1. works on a crop around each group of holes, with context in proportion to the
   hole's size (`margin_for`), at most `WORK_PIXELS` of it at a time (a reduced scale
   for big holes, whose matches then copy the full-size pixels: `_full_detail`);
2. cuts the crop into segments and lets the fill copy only those that touch the
   hole's outer ring (`surroundings.allowed_sources`): a face that does not border the
   hole is never a source, however large the hole;
3. continues the bordering surfaces into the hole as a structure layer
   (`surroundings.hole_classes`) and fills texture along it, by a multi-scale
   PatchMatch in numpy (`patch_fill.complete`) that checks for Cancel between its
   rounds;
4. corrects the fill's low frequencies towards a smooth interpolation of the
   surroundings (`match_low_frequencies`): the copied texture stays, its shading
   follows the picture.

The constants were tuned on the development part of benchmarks/bench_real_photos.py
only; its held-out part (other photos) measures them. pypatchmatch is no longer used
here (the benchmark runs it as the baseline): the pack needs numpy, Pillow and scipy
(which ComfyUI ships) for this backend.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from types import ModuleType

import numpy as np
from PIL import Image

from .crop_stitch import Box, fill_by_crops
from .patch_fill import complete
from .smoothing import box_blur, smooth_fill
from .surroundings import allowed_sources, hole_classes, hole_radius, segment

MIN_MARGIN = 32
MARGIN_FRACTION = 0.6
MAX_MARGIN = 512
WORK_PIXELS = 180_000
LOW_FREQUENCY_FRACTION = 0.25  # of the hole's radius: the blur that splits low from high

@functools.cache
def load_patchmatch() -> ModuleType | None:
    """scipy.ndimage if it imports (the segmentation needs it), else None.

    Cached (`load_patchmatch.cache_clear()` after installing it).
    """
    try:
        from scipy import ndimage
    except ImportError:
        return None
    return ndimage


def patchmatch_available() -> bool:
    """Whether `inpaint_patchmatch` can run."""
    return load_patchmatch() is not None


def margin_for(box: Box) -> int:
    """Context to take around a hole whose tight box is `box`."""
    y0, y1, x0, x1 = box
    long_side = max(y1 - y0, x1 - x0)
    return int(min(max(MIN_MARGIN, round(MARGIN_FRACTION * long_side)), MAX_MARGIN))


def resolve_seed(seed: int) -> int:
    """The search's 32-bit seed: -1 picks a random one, others wrap modulo 2**32."""
    if seed == -1:
        return secrets.randbits(32)
    return seed % 2**32


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


def shrink(rgb: np.ndarray, hole: np.ndarray, size: tuple[int, int]
            ) -> tuple[np.ndarray, np.ndarray]:
    """`rgb` and `hole` at `size` (width, height); a pixel touching the hole stays a hole,
    so no hole colour leaks into the known pixels the fill copies from."""
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    coverage = Image.fromarray(hole.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)
    return np.ascontiguousarray(small), np.asarray(coverage) > 0


def _fill_at(rgb: np.ndarray, hole: np.ndarray, seed: int, cancelled: Callable[[], bool]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Segments, structure layer, then the guided patch fill, at this scale; the fill
    and where each hole pixel was copied from (see `patch_fill.complete`)."""
    classes, segments = segment(rgb, hole, seed)
    allowed = allowed_sources(classes, segments, hole)
    return complete(rgb, hole, hole_classes(classes, hole), allowed, seed, cancelled)


def _full_detail(rgb: np.ndarray, hole: np.ndarray, blurred: np.ndarray,
                 copied_from: np.ndarray, scale: float) -> np.ndarray:
    """The full-size fill: each hole pixel copies the full-size pixel at the place its
    reduced-scale match points to (so the copy keeps the picture's own grain), where
    that pixel is known; elsewhere the scaled-up fill `blurred`."""
    ys, xs = np.nonzero(hole)
    wy = np.minimum((ys * scale).astype(np.int64), copied_from.shape[0] - 1)
    wx = np.minimum((xs * scale).astype(np.int64), copied_from.shape[1] - 1)
    source = copied_from[wy, wx]
    found = source[:, 0] >= 0
    sy = np.rint((source[:, 0] + (ys * scale - wy)) / scale).astype(np.int64)
    sx = np.rint((source[:, 1] + (xs * scale - wx)) / scale).astype(np.int64)
    sy = np.clip(sy, 0, hole.shape[0] - 1)
    sx = np.clip(sx, 0, hole.shape[1] - 1)
    found &= ~hole[sy, sx]
    result = blurred.copy()
    result[ys[found], xs[found]] = rgb[sy[found], sx[found]]
    return result


def _fill_crop(rgb: np.ndarray, hole: np.ndarray, seed: int, cancelled: Callable[[], bool]
               ) -> np.ndarray:
    """Fill one crop (at a reduced scale above `WORK_PIXELS`), then fix its shading."""
    height, width = hole.shape
    if height * width <= WORK_PIXELS:
        filled, _ = _fill_at(rgb, hole, seed, cancelled)
    else:
        scale = (WORK_PIXELS / (height * width)) ** 0.5
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small_rgb, small_hole = shrink(rgb, hole, size)
        small, copied_from = _fill_at(small_rgb, small_hole, seed, cancelled)
        # paste_hole takes only hole pixels from this, so resampling never touches the rest
        blurred = np.asarray(Image.fromarray(small).resize((width, height),
                                                           Image.Resampling.BICUBIC))
        filled = _full_detail(rgb, hole, np.where(hole[..., None], blurred, rgb), copied_from,
                              size[0] / width)
    return match_low_frequencies(filled, rgb, hole)


def inpaint_patchmatch(rgb: np.ndarray, hole: np.ndarray, seed: int = 0,
                       cancelled: Callable[[], bool] = lambda: False) -> np.ndarray:
    """`rgb` with the `hole` pixels filled by PatchMatch; other pixels are kept exactly.

    `seed` makes the randomised search repeatable (-1: random). `cancelled` is asked
    between units of work (a fraction of a second each); when it answers True the
    work stops and Cancelled is raised.
    """
    native_seed = resolve_seed(seed)
    return fill_by_crops(
        rgb,
        hole,
        lambda crop, crop_hole: _fill_crop(crop, crop_hole, native_seed, cancelled),
        margin=MIN_MARGIN,
        margin_rule=margin_for,
    )
