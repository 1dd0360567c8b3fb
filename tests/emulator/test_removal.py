"""The pure functions behind the fake "AI", which the pack's tests use to predict results."""

from __future__ import annotations

import time

import numpy as np
import pytest
from emulator_helpers import REPO_ROOT, brute_force_region, noisy, scene, square_mask
from PIL import Image

from provider_emulator import (
    ObjectArea,
    dilated_region,
    emulated_basic_removal,
    emulated_mask_job_removal,
    emulated_removal,
    emulated_text_removal,
    fill_colour,
    modelslab_output_size,
    rerendered,
    text_removal_area,
)
from provider_emulator.text_rerender import GAIN, OFFSET


def room_sample() -> np.ndarray:
    with Image.open(REPO_ROOT / "samples" / "room.png") as opened:
        return np.array(opened.convert("RGB"))


def ring_mean(image: np.ndarray, mask: np.ndarray, inner: int, outer: int) -> np.ndarray:
    """Rounded-half-up mean of the pixels in the ring (inner, outer], the slow way."""
    ring = brute_force_region(mask, outer) & ~brute_force_region(mask, inner)
    return np.floor(image[ring].mean(axis=0) + 0.5).astype(np.uint8)


def test_dilated_region_is_an_exact_euclidean_disk() -> None:
    mask = np.zeros((61, 61), bool)
    mask[30, 30] = True
    region = dilated_region(mask, 15)
    assert region[30 + 10, 30 + 10]  # distance 14.1: inside the disk
    assert not region[30 + 11, 30 + 11]  # distance 15.6: inside a square, not the disk
    assert region[30, 45] and not region[30, 46]
    span = range(-15, 16)
    lattice_points = sum(1 for dy in span for dx in span if dx * dx + dy * dy <= 225)
    assert region.sum() == lattice_points

    rng = np.random.default_rng(7)
    for radius in (1, 2, 5, 15, 40):
        random_mask = rng.random((37, 53)) < 0.01
        random_mask[0, 0] = random_mask[36, 52] = True  # touching the borders
        assert np.array_equal(dilated_region(random_mask, radius),
                              brute_force_region(random_mask, radius))
    assert not dilated_region(np.zeros((5, 5), bool), 3).any()


def test_emulated_removal_fills_with_the_ring_mean_and_perturbs_only_outside() -> None:
    image, mask = noisy(), square_mask()
    out = emulated_removal(image, mask, dilate_size=6, seed=4, noise=2)
    region = brute_force_region(mask >= 128, 6)
    ring = brute_force_region(mask >= 128, 10) & ~region
    expected_fill = np.floor(image[ring].mean(axis=0) + 0.5).astype(np.uint8)
    assert (out[region] == expected_fill).all()
    wider_ring = brute_force_region(mask >= 128, 11) & ~region
    assert not np.array_equal(np.floor(image[wider_ring].mean(axis=0) + 0.5), expected_fill)
    difference = out[~region].astype(int) - image[~region].astype(int)
    assert np.abs(difference).max() == 2  # bounded, and present
    assert np.array_equal(out, emulated_removal(image, mask, 6, 4, 2))  # deterministic
    assert np.array_equal(emulated_removal(image, mask, 6, 4, 0)[~region], image[~region])

    everything = np.full(mask.shape, 255, np.uint8)
    assert (emulated_removal(image, everything, 3, 0, 2) == 128).all()  # no ring: mid grey


def test_emulated_removal_rounds_half_up() -> None:
    image = np.full((21, 21, 3), 10, np.uint8)
    mask = np.zeros((21, 21), bool)
    mask[10, 10] = True
    ring = brute_force_region(mask, 5) & ~brute_force_region(mask, 1)
    ring_pixels = np.argwhere(ring)
    assert len(ring_pixels) % 2 == 0
    for y, x in ring_pixels[::2]:
        image[y, x] = 11  # ring mean exactly 10.5
    out = emulated_removal(image, mask, dilate_size=1, seed=0, noise=0)
    assert (out[10, 10] == 11).all()


def test_mask_pixels_from_128_up_are_removed() -> None:
    image = noisy(40, 40)
    mask = np.zeros((40, 40), np.uint8)
    mask[10, 10], mask[30, 30] = 128, 127
    out = emulated_removal(image, mask, dilate_size=1, seed=0, noise=0)
    removed = dilated_region(mask >= 128, 1)
    assert removed.sum() == 5 and removed[10, 10] and not removed[30, 30]
    assert np.array_equal(out[~removed], image[~removed])
    assert (out[removed] == out[10, 10]).all()


def test_emulated_removal_of_a_1024_image_is_fast() -> None:
    image = np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    mask = square_mask(1024, 1024, (300, 200, 700, 800))
    started = time.perf_counter()
    emulated_removal(image, mask, 15, 0, 2)
    assert time.perf_counter() - started < 0.5


def test_modelslab_size_rule_and_text_removal() -> None:
    assert modelslab_output_size(130, 70) == (128, 64)
    assert modelslab_output_size(50, 200, "multiple_of_64") == (64, 192)
    assert modelslab_output_size(130, 70, "same") == (130, 70)
    image = scene(100, 130)
    out = emulated_text_removal(image, render="flat")
    assert out.shape == (64, 128, 3)
    resized = np.array(Image.fromarray(image).resize((128, 64), Image.Resampling.LANCZOS))
    mean = np.floor(resized.reshape(-1, 3).mean(axis=0) + 0.5)
    assert (out[16:48, 32:96] == mean).all()
    assert np.array_equal(out[:16], resized[:16])
    assert np.array_equal(emulated_text_removal(image, "same", "flat")[:25], image[:25])
    with pytest.raises(ValueError):
        emulated_text_removal(image, render="sketchy")


def drifted(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(float) * np.array(GAIN) + np.array(OFFSET)


def test_realistic_text_removal_re_renders_everything_and_replaces_the_object_area() -> None:
    image = room_sample()
    out = emulated_text_removal(image, render="realistic")
    assert out.shape == (512, 768, 3)  # 768x512 is already a multiple of 64
    area = text_removal_area(image)
    inside = area.mask(768, 512)
    assert np.array_equal(out, emulated_text_removal(image, render="realistic"))  # the same
    assert np.array_equal(out, rerendered(image, area))
    # Outside the area: the colour drift, plus noise and JPEG's, and nothing else.
    residual = out.astype(float) - drifted(image)
    outside = ~area.scaled(1.1).mask(768, 512)
    assert np.abs(residual[outside].mean(axis=0)).max() < 1.0
    assert 1.0 < residual[outside].std() < 8.0
    assert (out != image).any(axis=-1)[outside].mean() > 0.9  # every pixel is re-rendered
    # Inside: new content, far from what was there (the ball).
    assert np.abs(residual[inside]).mean() > 20


def test_the_object_area_is_found_where_the_picture_stands_out() -> None:
    image = room_sample()
    area = text_removal_area(image)
    yy, xx = np.mgrid[0:512, 0:768]
    ball = (yy - 300) ** 2 + (xx - 400) ** 2 <= 65**2  # the red ball of samples/room.png
    assert area.mask(768, 512)[ball].all()
    assert area.mask(768, 512).mean() < 0.25
    # The same area whatever the size it is drawn at: relative coordinates.
    assert area.mask(1536, 1024)[::2, ::2].sum() == pytest.approx(area.mask(768, 512).sum(),
                                                                   rel=0.02)
    moved = np.ascontiguousarray(image[:, ::-1])
    assert text_removal_area(moved).cx == pytest.approx(1 - area.cx, abs=1 / 16)
    flat = np.full((64, 96, 3), 90, np.uint8)
    assert text_removal_area(flat) == ObjectArea(0.5, 0.5, 0.2, 0.2)
    assert np.array_equal(emulated_text_removal(flat, "same", "realistic").shape, (64, 96, 3))


def test_basic_removal_fills_only_the_mask_with_its_inner_ring_mean() -> None:
    image, mask = noisy(), square_mask()
    selected = mask >= 128
    out = emulated_basic_removal(image, mask)
    fill = ring_mean(image, selected, 0, 4)
    assert (out[selected] == fill).all()
    assert np.array_equal(out[~selected], image[~selected])  # no dilation, no noise
    assert not np.array_equal(fill, ring_mean(image, selected, 0, 5))  # the ring is (0, 4]
    assert np.array_equal(fill, fill_colour(image, selected, 0))
    assert np.array_equal(emulated_basic_removal(image, selected), out)  # bool masks too
    assert np.array_equal(image, noisy())  # the input is not modified
    with pytest.raises(ValueError):
        emulated_basic_removal(image, square_mask(96, 127))


def test_mask_job_removal_resizes_then_fills_the_nearest_resized_mask() -> None:
    image = noisy(100, 130)
    mask = square_mask(100, 130, (30, 40, 70, 90))
    out = emulated_mask_job_removal(image, mask, "multiple_of_64")
    assert out.shape == (64, 128, 3)
    resized = np.array(Image.fromarray(image).resize((128, 64), Image.Resampling.LANCZOS))
    small = np.array(Image.fromarray(mask).resize((128, 64), Image.Resampling.NEAREST)) >= 128
    assert np.array_equal(out[~small], resized[~small])
    assert (out[small] == ring_mean(resized, small, 0, 4)).all()

    same = emulated_mask_job_removal(image, mask, "same")
    selected = mask >= 128
    assert np.array_equal(same, emulated_basic_removal(image, mask))
    assert (same[selected] == ring_mean(image, selected, 0, 4)).all()


def test_mask_job_removal_takes_a_mask_of_another_size_resized_nearest() -> None:
    image = noisy(64, 128)
    half = square_mask(32, 64, (10, 10, 20, 30))
    full = np.array(Image.fromarray(half).resize((128, 64), Image.Resampling.NEAREST))
    out = emulated_mask_job_removal(image, half, "same")
    assert np.array_equal(out, emulated_mask_job_removal(image, full, "same"))
    assert (out[full >= 128] == ring_mean(image, full >= 128, 0, 4)).all()
    assert np.array_equal(out, emulated_mask_job_removal(image, half >= 128, "same"))
    with pytest.raises(ValueError):
        emulated_mask_job_removal(image, half, "bigger")
