"""Exemplar-based inpainting with PatchMatch (pypatchmatch, MIT), on crops around the holes.

PatchMatch copies patches of the surrounding picture into the hole, so it keeps
texture and straight structures sharp where diffusion (Telea) smears them, and it
needs no weights. pypatchmatch is imported lazily, on first use, so the pack imports
without it.

The parameters below were tuned on this pack's 2-core reference machine with striped
images (three colours, period 18 px; vertical, or diagonal crossed by bands), square
and round holes of 40 to 300 px at several positions, see benchmarks/bench_local.py.
PSNR on stripes is harsh: a fill that looks seamless but is shifted by one stripe
scores 13 dB, so the figures below are shares of runs that came out aligned.

- patch radius: 3 is fast but misaligns stripes in holes above ~100 px (13 dB at
  200 px); 6 beats 5 clearly (100 px holes: 92 % of runs >= 25 dB against 75 %) for
  20-40 % more time; 7 adds nothing at 200 px and costs 40 % more.
- context margin: too little starves the coarse levels of the image pyramid (200 px
  hole, 80 px margin: 8 % of runs aligned), too much lets far, differently aligned
  context compete (192 px: 42 %). Around 0.5-0.65 of the hole's size was best
  (50-92 %, depending on where the hole sits relative to the stripes); small holes
  are insensitive. The outcome is chaotic in the exact geometry, so these are
  ranges, not optima.
- working size: the native code is single-threaded and costs about 7 s per megapixel
  of crop at radius 6 (1.4 s for a 200 px hole), so crops above `MAX_WORK_PIXELS` are
  filled at a reduced scale; only the hole's pixels are upscaled and pasted back.
"""

from __future__ import annotations

import functools
import secrets
import threading
from types import ModuleType

import numpy as np
from PIL import Image

from .crop_stitch import Box, fill_by_crops

MIN_MARGIN = 48
MARGIN_FRACTION = 0.6
MAX_MARGIN = 512
SMALL_HOLE = 64  # px, long side of a hole up to which patch radius 5 is as good as 6
# Crop area filled at full resolution: up to about a 1024 x 1024 crop (~7 s); beyond,
# reduced-scale filling keeps the time bounded at the cost of sharpness in the hole.
MAX_WORK_PIXELS = 1_100_000

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
    """Context to take around a hole whose tight box is `box` (see the module docstring)."""
    y0, y1, x0, x1 = box
    long_side = max(y1 - y0, x1 - x0)
    return int(min(max(MIN_MARGIN, round(MARGIN_FRACTION * long_side)), MAX_MARGIN))


def patch_radius_for(hole: np.ndarray) -> int:
    """Patch radius for a crop's hole: bigger holes need bigger patches to keep structure."""
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    long_side = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    return 5 if long_side <= SMALL_HOLE else 6


def resolve_seed(seed: int) -> int:
    """The native library's 32-bit seed: -1 picks a random one, others wrap modulo 2**32."""
    if seed == -1:
        return secrets.randbits(32)
    return seed % 2**32


def _run_native(rgb: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    """One seeded PatchMatch call; serialised because the seed is global native state."""
    patchmatch = load_patchmatch()
    if patchmatch is None:
        raise RuntimeError("pypatchmatch is not available")
    radius = patch_radius_for(hole)
    with _NATIVE_LOCK:
        patchmatch.set_random_seed(seed)
        return patchmatch.inpaint(rgb, hole, patch_size=radius)


def _shrink(
    rgb: np.ndarray, hole: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """`rgb` and `hole` at `size` (width, height); a pixel touching the hole stays a hole.

    Growing the hole this way keeps hole colours from leaking into the known pixels of
    the small image, which PatchMatch would otherwise copy back into the hole.
    """
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    coverage = Image.fromarray(hole.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)
    return np.ascontiguousarray(small), np.asarray(coverage) > 0


def _fill_crop(rgb: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
    """Fill one crop, at a reduced scale when it is larger than `MAX_WORK_PIXELS`."""
    height, width = hole.shape
    if height * width <= MAX_WORK_PIXELS:
        return _run_native(rgb, hole, seed)
    scale = (MAX_WORK_PIXELS / (height * width)) ** 0.5
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_rgb, small_hole = _shrink(rgb, hole, size)
    filled = _run_native(small_rgb, small_hole, seed)
    # paste_hole takes only hole pixels from this, so resampling never touches the rest
    return np.asarray(Image.fromarray(filled).resize((width, height), Image.Resampling.BICUBIC))


def inpaint_patchmatch(rgb: np.ndarray, hole: np.ndarray, seed: int = 0) -> np.ndarray:
    """`rgb` with the `hole` pixels filled by PatchMatch; other pixels are kept exactly.

    `seed` makes the randomised search repeatable (-1: random). Each group of nearby
    holes is filled on its own crop with context in proportion to its size, which is
    both faster and, for big holes, better aligned than working on the whole image.
    """
    native_seed = resolve_seed(seed)
    return fill_by_crops(
        rgb,
        hole,
        lambda crop, crop_hole: _fill_crop(crop, crop_hole, native_seed),
        margin=MIN_MARGIN,
        margin_rule=margin_for,
    )
