"""The "likely poor" advice on an exemplar fill (object_removal/inpainting/difficulty.py),
on real pixels: scikit-image's moon photo (one smooth surface), whole or beside a
darker copy of itself."""

from __future__ import annotations

import numpy as np
import pytest
from inpaint_scenes import disc

from object_removal.inpainting import difficulty


def moon(brightness_right: float = 1.0) -> np.ndarray:
    """512 x 512 RGB moon surface; its right half scaled by `brightness_right`."""
    data = pytest.importorskip("skimage.data")
    grey = data.moon().astype(np.float32)
    grey[:, 256:] *= brightness_right
    return np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def centred_hole(share: float) -> np.ndarray:
    """A disc covering `share` of the picture, across the middle (both halves)."""
    return disc((512, 512), 256, 256, (share * 512 * 512 / np.pi) ** 0.5)


def test_a_hole_in_one_surface_gets_no_advice():
    assert difficulty.likely_poor(moon(), centred_hole(0.05)) is None


def test_a_hole_between_a_light_and_a_dark_surface_is_said_likely_poor():
    hole = centred_hole(0.05)
    contrasting = moon(brightness_right=0.3)
    assert difficulty.likely_poor(contrasting, hole) == "a hole among contrasting surroundings"
    across = difficulty.surroundings_contrast(contrasting.astype(np.float32), hole)
    within = difficulty.surroundings_contrast(moon().astype(np.float32), hole)
    assert across > difficulty.CONTRAST > within


def test_a_small_hole_between_contrasting_surfaces_gets_no_advice():
    small = centred_hole(difficulty.CONTRAST_SHARE * 0.6)
    assert difficulty.likely_poor(moon(brightness_right=0.3), small) is None


def test_a_large_hole_is_said_so_first():
    hole = centred_hole(difficulty.LARGE_SHARE * 1.2)
    assert difficulty.likely_poor(moon(brightness_right=0.3), hole) == "a large hole"
    assert difficulty.likely_poor(moon(), hole) == "a large hole"
