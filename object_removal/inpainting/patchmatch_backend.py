"""Exemplar-based inpainting for photos: PatchMatch that copies only from the hole's
surroundings and follows their structure.

Plain PatchMatch searches the whole picture for patches to copy, so next to a face it
fills the hole with pieces of that face; limiting it to a band around the hole helps
only until the band (which must grow with the hole) reaches the face. This path:

1. works on a crop around each group of holes, with context in proportion to the
   hole's size (`margin_for`), at most a set number of pixels of it at a time (a
   reduced scale for big holes);
2. lets the fill copy only the surfaces around the hole, up to a few hole radii away
   along them and never across an edge (`surroundings.allowed_sources`): a face
   beside the hole is behind the edge around it, however large the hole;
3. completes a structure layer first, a smooth continuation of the surroundings into
   the hole (`surroundings.structure_guide`), and fills texture along it: the patch
   distance adds how far a source's structure is from the target's;
4. moves the fill's low frequencies a quarter of the way towards a smooth
   interpolation of the surroundings and tones its texture down slightly
   (`match_low_frequencies`): a copied patch's wrong shade fades, while the fill keeps
   its own shapes instead of the interpolation's disc.

A regular pattern (stripes, bricks, tiles; `regularity`) is filled with larger
patches at a larger scale, from anywhere near: its edges are its texture.

Step 3's texture fill is pypatchmatch's C++ PatchMatch (`inpaint_regularity`, with
`global_mask` keeping every pixel but the allowed ones out of the search), run in a
child process that Cancel ends at once (`native_patchmatch`). Without pypatchmatch
(wheels for Python >= 3.11 on common 64-bit platforms only) a multi-scale PatchMatch
in numpy does steps 2 and 3 (`patch_fill.complete`): softer, with no compiled library.

The constants were tuned on the development part of benchmarks/bench_real_photos.py
only; its held-out parts (other photos) measure them.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from types import ModuleType

import numpy as np
from PIL import Image

from .crop_stitch import Box, fill_by_crops
from .native_patchmatch import inpaint_native, load_native
from .patch_fill import complete
from .smoothing import box_blur, smooth_fill
from .surroundings import (
    allowed_sources,
    colour_classes,
    hole_classes,
    hole_radius,
    smoothed_known,
    structure_guide,
)
from .work_units import unit_of_work

MIN_MARGIN = 32
MARGIN_FRACTION = 0.6
MAX_MARGIN = 512
WORK_PIXELS = 70_000  # pypatchmatch's working size (tuned on the development cases)
REGULAR_WORK_PIXELS = 150_000  # a regular pattern's: its period must survive the scaling
NUMPY_WORK_PIXELS = 180_000  # the numpy PatchMatch's
NATIVE_PATCH_RADIUS = 3
REGULAR_PATCH_RADIUS = 5  # a patch that spans a regular pattern's period keeps its phase
REGULARITY_LAG = 11  # px: shifts shorter than this say nothing about a pattern
GUIDE_WEIGHT = 0.05  # of the structure term against pypatchmatch's patch distance
LOW_FREQUENCY_FRACTION = 0.25  # of the hole's radius: the blur that splits low from high
# The copied texture's amplitude in the fill: a copy is never the hidden texture, and
# toning it down brings the fill closer to it (PSNR) without turning it into a wash.
TEXTURE_GAIN = 0.7  # for irregular texture; a regular pattern keeps up to all of it
# How far pypatchmatch's shading moves towards the smooth interpolation of the
# surroundings. All the way scored best on PSNR, but across a large hole that
# interpolation blends whatever borders it (a lit rocket, a white wall) into a smooth
# disc; a quarter removes most of a copied patch's wrong shade, keeps the fill's own
# shapes, and cost 0.09 dB (development cases).
SHADING_SHARE = 0.25
MIN_OVERLAP = 0.25  # of the known pixels: shifts with less overlap say nothing
# `regularity` below IRREGULAR counts as irregular, above REGULAR as a regular pattern
# (1.0 on the test stripes); in between the guide weakens and more texture is kept.
IRREGULAR = 0.3
REGULAR = 0.8
# `_regular_share` from which the texture is filled as a pattern (larger patches at a
# larger scale, edges not borders): 1.0 on the test stripes, at most 0.56 around the
# development photos' objects (a rocket's lattice towers)
PATTERN = 0.6
# A thin hole (twice its radius over its thickness above 1.5: a tree trunk 2.5, a
# branch or a cable 3.4-3.8) gets (thinness - THIN_FROM) times WORK_PIXELS, at most
# MAX_THIN_FACTOR times: at 70,000 px a trunk's fill came back as a blurred band.
THIN_FROM = 0.5
MAX_THIN_FACTOR = 3.0


@functools.cache
def load_patchmatch() -> ModuleType | None:
    """scipy.ndimage if scipy imports (the source map needs its ndimage and
    sparse.csgraph), else None; pypatchmatch is used when it loads too
    (`native_patchmatch.load_native`).

    Cached (`load_patchmatch.cache_clear()` after installing it).
    """
    try:
        from scipy import ndimage
        from scipy.sparse import csgraph  # noqa: F401 (checked here, used by surroundings)
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


def match_low_frequencies(filled: np.ndarray, original: np.ndarray, hole: np.ndarray,
                          texture_gain: float = 1.0, shading_share: float = 1.0) -> np.ndarray:
    """`filled` with its low frequencies inside the hole moved `shading_share` of the way
    to a smooth interpolation of the known pixels around it (1: replaced by it), and
    its texture (the rest) scaled by `texture_gain`; outside the hole it is returned
    unchanged."""
    radius = max(2, round(LOW_FREQUENCY_FRACTION * hole_radius(hole)))
    values = filled.astype(np.float32)
    guide = smooth_fill(original.astype(np.float32), ~hole)
    blurred = box_blur(values, radius)
    shading = blurred + shading_share * (box_blur(guide, radius) - blurred)
    corrected = shading + texture_gain * (values - blurred)
    result = np.where(hole[..., None], corrected, values)
    return np.clip(np.rint(result), 0, 255).astype(np.uint8)


def shrink(rgb: np.ndarray, hole: np.ndarray, size: tuple[int, int]
            ) -> tuple[np.ndarray, np.ndarray]:
    """`rgb` and `hole` at `size` (width, height); a pixel touching the hole stays a hole,
    so no hole colour leaks into the known pixels the fill copies from."""
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    coverage = Image.fromarray(hole.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)
    return np.ascontiguousarray(small), np.asarray(coverage) > 0


def _fill_at(rgb: np.ndarray, hole: np.ndarray, seed: int, cancelled: Callable[[], bool]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Sources, structure layer, then the guided patch fill, at this scale; the fill
    and where each hole pixel was copied from (see `patch_fill.complete`)."""
    smooth = smoothed_known(rgb, hole)
    classes = colour_classes(smooth, hole, seed)
    allowed = allowed_sources(rgb, classes, hole)
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


def _at_most(rgb: np.ndarray, hole: np.ndarray, pixels: int
             ) -> tuple[np.ndarray, np.ndarray, float]:
    """`rgb` and `hole` scaled down to about `pixels` if they are larger, and the scale."""
    height, width = hole.shape
    if height * width <= pixels:
        return rgb, hole, 1.0
    scale = (pixels / (height * width)) ** 0.5
    small_rgb, small_hole = shrink(rgb, hole, (max(1, round(width * scale)),
                                               max(1, round(height * scale))))
    return small_rgb, small_hole, scale


def _pyramid_padding(length: int, patch_radius: int) -> int:
    """Pixels to add to a side of `length` so that pypatchmatch's pyramid halves it
    exactly down to its coarsest level: the native guided distance finds a level's
    pixel in the guide by the integer ratio of their heights."""
    levels = 0
    while (length >> levels) > 2 * patch_radius + 1:
        levels += 1
    step = 1 << max(levels - 1, 0)
    return -length % step


def _box_around(mask: np.ndarray, margin: int) -> tuple[slice, slice]:
    """The rows and columns of `mask`'s bounding box grown by `margin` (clipped)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    height, width = mask.shape
    return (slice(max(0, rows[0] - margin), min(height, rows[-1] + 1 + margin)),
            slice(max(0, cols[0] - margin), min(width, cols[-1] + 1 + margin)))


def _guided_native_fill(rgb: np.ndarray, hole: np.ndarray, allowed: np.ndarray,
                        guide: np.ndarray, weight: float, patch_radius: int, seed: int,
                        cancelled: Callable[[], bool]) -> np.ndarray:
    """pypatchmatch's guided fill, copying only `allowed` pixels. It runs on the box
    around the hole and its sources only (every pixel it is given costs a search, even
    one it may not copy), padded at its bottom and right (no source there) to sizes
    its pyramid halves exactly."""
    box = _box_around(allowed | hole, patch_radius)
    rgb_box, hole_box, allowed_box = rgb[box], hole[box], allowed[box]
    height, width = hole_box.shape
    pad = ((0, _pyramid_padding(height, patch_radius)),
           (0, _pyramid_padding(width, patch_radius)))
    padded_rgb = np.pad(rgb_box, pad + ((0, 0),), mode="edge")
    padded_hole = np.pad(hole_box, pad)
    excluded = np.pad(~(allowed_box | hole_box), pad, constant_values=True)
    filled = inpaint_native(padded_rgb, padded_hole, excluded,
                            patch_size=patch_radius, seed=seed, cancelled=cancelled,
                            guide=np.pad(guide[box], pad + ((0, 0),), mode="edge"),
                            guide_weight=weight)
    result = rgb.copy()
    result[box] = filled[:height, :width]
    return result


def regularity(rgb: np.ndarray, hole: np.ndarray, radius: int) -> float:
    """How periodic the texture around the hole is, 0 to 1: the highest normalised
    autocorrelation of the known pixels' detail (what a blur of `radius` removes) at a
    shift of more than a patch. Near 1 for a regular pattern (stripes, bricks, tiles),
    whose copies land in phase; low for most photos' texture, whose copies only
    resemble what the hole hid."""
    known = ~hole
    grey = rgb.astype(np.float32).mean(axis=2)
    detail = (grey - box_blur(grey, radius)) * known
    shape = (2 * hole.shape[0], 2 * hole.shape[1])  # no wrap-around
    power = np.fft.irfft2(np.abs(np.fft.rfft2(detail, shape)) ** 2, shape)
    overlap = np.fft.irfft2(np.abs(np.fft.rfft2(known.astype(np.float32), shape)) ** 2, shape)
    if power[0, 0] <= 0:
        return 0.0
    enough = overlap > MIN_OVERLAP * overlap[0, 0]
    per_pixel = np.where(enough, power / np.maximum(overlap, 1.0), 0.0)
    lag = REGULARITY_LAG
    per_pixel[:lag, :lag] = per_pixel[:lag, -lag:] = 0  # shifts within a patch
    per_pixel[-lag:, :lag] = per_pixel[-lag:, -lag:] = 0
    return float(np.clip(per_pixel.max() / (power[0, 0] / overlap[0, 0]), 0.0, 1.0))


def _regular_share(rgb: np.ndarray, hole: np.ndarray) -> float:
    """0 for irregular texture around the hole, 1 for a regular pattern (`regularity`
    between `IRREGULAR` and `REGULAR` mapped to 0..1)."""
    radius = max(2, round(LOW_FREQUENCY_FRACTION * hole_radius(hole)))
    return float(np.clip((regularity(rgb, hole, radius) - IRREGULAR) / (REGULAR - IRREGULAR),
                         0.0, 1.0))


def work_pixels(hole: np.ndarray) -> int:
    """pypatchmatch's working size for this crop: `WORK_PIXELS`, more for a thin hole
    (a tree trunk, a cable, a branch). Scaled down, a thin hole is only a few pixels
    wide, and its fill, scaled back up, is a blurred band; its area is small, so the
    extra pixels cost little."""
    from scipy import ndimage

    thickness = 2 * float(ndimage.distance_transform_edt(np.pad(hole, 1)).max())
    if thickness <= 0:
        return WORK_PIXELS
    thinness = 2 * hole_radius(hole) / thickness  # about 1 for a disc, 2.5 for a trunk
    return int(WORK_PIXELS * np.clip(thinness - THIN_FROM, 1.0, MAX_THIN_FACTOR))


def _fill_crop_native(rgb: np.ndarray, hole: np.ndarray, seed: int,
                      cancelled: Callable[[], bool]) -> np.ndarray:
    """Fill one crop with pypatchmatch (at a reduced scale above `work_pixels`), from
    the surfaces that border the hole, along the structure layer. The more regular the
    texture around the hole (`_regular_share`), the weaker the guide and the more of
    the copied texture is kept; a clear pattern (`PATTERN`) is filled with larger
    patches at a larger scale, from anywhere near: its edges are its texture, not
    borders between surfaces."""
    small_rgb, small_hole, scale = _at_most(rgb, hole, work_pixels(hole))
    unit_of_work(cancelled)
    regular = _regular_share(small_rgb, small_hole)
    pattern = regular >= PATTERN
    patch_radius = REGULAR_PATCH_RADIUS if pattern else NATIVE_PATCH_RADIUS
    if pattern:
        small_rgb, small_hole, scale = _at_most(rgb, hole, REGULAR_WORK_PIXELS)
    smooth = smoothed_known(small_rgb, small_hole)
    classes = colour_classes(smooth, small_hole, seed)
    allowed = allowed_sources(small_rgb, classes, small_hole, edge_weight=0.0 if pattern else 1.0)
    unit_of_work(cancelled)
    guide = structure_guide(small_rgb, small_hole)
    unit_of_work(cancelled)
    small = _guided_native_fill(small_rgb, small_hole, allowed, guide,
                                GUIDE_WEIGHT * (1 - regular), patch_radius, seed, cancelled)
    unit_of_work(cancelled)
    gain = TEXTURE_GAIN + (1 - TEXTURE_GAIN) * regular
    if scale == 1.0:
        filled = small
    else:  # paste_hole takes only hole pixels from this, so resampling never touches the rest
        height, width = hole.shape
        filled = np.asarray(Image.fromarray(small).resize((width, height),
                                                          Image.Resampling.BICUBIC))
    return match_low_frequencies(np.where(hole[..., None], filled, rgb), rgb, hole, gain,
                                 SHADING_SHARE)


def _fill_crop(rgb: np.ndarray, hole: np.ndarray, seed: int, cancelled: Callable[[], bool]
               ) -> np.ndarray:
    """Fill one crop: pypatchmatch when it loads, else the numpy PatchMatch (at a reduced
    scale above `NUMPY_WORK_PIXELS`); then fix its shading."""
    if load_native() is not None:
        return _fill_crop_native(rgb, hole, seed, cancelled)
    height, width = hole.shape
    if height * width <= NUMPY_WORK_PIXELS:
        filled, _ = _fill_at(rgb, hole, seed, cancelled)
    else:
        scale = (NUMPY_WORK_PIXELS / (height * width)) ** 0.5
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
