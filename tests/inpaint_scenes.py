"""Scenes and checks shared by the offline inpainting tests: striped backgrounds with a
solid-coloured object, PSNR, and that pixels outside a hole are untouched."""

from __future__ import annotations

import numpy as np
import pytest

from object_removal.inpainting import (
    reset_backend_probes,
)
from object_removal.inpainting.learned_backend import feather_weights_in_hole

ENV_VAR = "OBJECT_REMOVAL_LAMA_MODEL"


def hole_interior(hole: np.ndarray) -> np.ndarray:
    """The hole less its feathered rim, where a model's fill is pasted unblended."""
    return feather_weights_in_hole(hole) == 1

OBJECT_COLOUR = (255, 0, 255)  # magenta: in none of the backgrounds below
STRIPE_COLOURS = np.array([[200, 60, 40], [40, 120, 200], [230, 220, 90]], np.uint8)


def striped(height: int, width: int, period: int = 18) -> np.ndarray:
    """Diagonal stripes of three colours, crossed by darker horizontal bands every 30 px."""
    y, x = np.mgrid[0:height, 0:width]
    image = STRIPE_COLOURS[((x + y) % period) * 3 // period]
    band = (y % 30) < 8
    image[band] //= 2
    return image


def disc(shape: tuple[int, int], cy: int, cx: int, radius: float) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (y - cy) ** 2 + (x - cx) ** 2 <= radius**2


def psnr(result: np.ndarray, clean: np.ndarray, where: np.ndarray) -> float:
    """PSNR in dB over the pixels `where`, all channels, peak 255."""
    diff = result[where].astype(np.float64) - clean[where].astype(np.float64)
    return float(10 * np.log10(255**2 / max(np.mean(diff**2), 1e-12)))


def with_object(clean: np.ndarray, obj: np.ndarray) -> np.ndarray:
    image = clean.copy()
    image[obj] = OBJECT_COLOUR
    return image


def object_pixels_left(result: np.ndarray) -> int:
    return int((result == OBJECT_COLOUR).all(axis=2).sum())


def assert_outside_untouched(result: np.ndarray, image: np.ndarray, hole: np.ndarray) -> None:
    assert result.shape == image.shape and result.dtype == np.uint8
    assert np.array_equal(result[~hole], image[~hole])


@pytest.fixture(scope="module")
def disc_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """512 x 512 stripes with a solid disc of radius 60; the hole is the disc grown by 4 px."""
    clean = striped(512, 512)
    image = with_object(clean, disc((512, 512), 256, 256, 60))
    return clean, image, disc((512, 512), 256, 256, 64)


@pytest.fixture(autouse=True)
def fresh_probes():
    """Tests that hide packages must not leave a cached answer for the next test."""
    reset_backend_probes()
    yield
    reset_backend_probes()

