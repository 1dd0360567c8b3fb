"""Whether an exemplar fill (PatchMatch, Telea) of a hole is likely to disappoint.

Measured on the real-object benchmark (benchmarks/bench_real_photos.py): the fills
that were not worth keeping were large holes (a person, a row of coins) and holes
whose ring touches several different surfaces (a bottle among other things on a
shelf, a spoon between cup, saucer and table), where copying the surroundings makes
a collage. A third sign, from the 82 real removals of the benchmark's rounds 3-6
judged by eye: a hole of some size whose surroundings differ strongly in colour (a
boat beside other boats, a forget-me-not beside a pink flower, a coffee grinder on a
table), where the fill shows as a patch or pieces of the neighbours. A learned model
does better there; this says when to suggest one.
"""

from __future__ import annotations

import numpy as np

from .patchmatch_backend import shrink
from .surroundings import colour_classes, outer_ring, smoothed_known

LARGE_SHARE = 0.08  # of the picture
SURFACE_SHARE = 0.12  # of the ring: a surface that much of the ring touches counts
CLUTTER_SURFACES = 4
CONTRAST = 35.0  # mean RGB spread of the smoothed colours around the hole
CONTRAST_RING = 6  # px at the assessed scale
CONTRAST_SHARE = 0.03  # of the picture: smaller holes are filled well even so
ASSESS_PIXELS = 60_000  # assessed on the picture scaled down to about this


def _small(rgb: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    height, width = hole.shape
    scale = min(1.0, (ASSESS_PIXELS / (height * width)) ** 0.5)
    if scale == 1.0:
        return rgb, hole
    return shrink(rgb, hole, (max(1, round(width * scale)), max(1, round(height * scale))))


def likely_poor(rgb: np.ndarray, hole: np.ndarray) -> str | None:
    """Why an exemplar fill of `hole` is likely poor ("a large hole", "a hole beside
    other objects", "a hole among contrasting surroundings"), or None. rgb: HxWx3
    uint8; hole: HxW bool."""
    if not hole.any() or hole.all():
        return None
    if hole.mean() >= LARGE_SHARE:
        return "a large hole"
    small_rgb, small_hole = _small(rgb, hole)
    smooth = smoothed_known(small_rgb, small_hole)
    classes = colour_classes(smooth, small_hole)
    ring = classes[outer_ring(small_hole)]
    ring = ring[ring >= 0]
    if ring.size == 0:
        return None
    shares = np.bincount(ring) / ring.size
    if int((shares >= SURFACE_SHARE).sum()) >= CLUTTER_SURFACES:
        return "a hole beside other objects"
    if hole.mean() >= CONTRAST_SHARE and surroundings_contrast(smooth, small_hole) >= CONTRAST:
        return "a hole among contrasting surroundings"
    return None


def surroundings_contrast(smooth: np.ndarray, hole: np.ndarray) -> float:
    """The mean spread (standard deviation, 0-255) of the colour channels just around
    the hole: low for one surface however textured (smoothed), high where it borders
    surfaces of very different colour."""
    around = smooth[outer_ring(hole, CONTRAST_RING)]
    return float(around.std(axis=0).mean()) if around.size else 0.0
