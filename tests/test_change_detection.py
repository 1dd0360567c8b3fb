"""Finding what a provider changed in a whole re-render: regions, blur, colour drift,
and detection on real pixels (the bundled photo, photo-like pictures) re-rendered by
the emulator's exported functions, whose replaced area is known exactly."""

from collections import deque

import numpy as np
import pytest
from PIL import Image

from object_removal.imaging.codec import resize_rgb
from object_removal.text.change_detection import box_blur, detect_change, fit_colour_drift
from object_removal.text.mask_regions import drop_small_regions, fill_holes
from provider_emulator import ObjectArea, emulated_text_removal, rerendered, text_removal_area
from provider_emulator.text_rerender import GAIN, OFFSET
from support import PACK_DIR, photo_like, photo_with_object


def room() -> np.ndarray:
    with Image.open(PACK_DIR / "samples" / "room.png") as opened:
        return np.array(opened.convert("RGB"))


def regions_the_slow_way(mask: np.ndarray, diagonal: bool) -> list[set[tuple[int, int]]]:
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if diagonal:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    seen, regions = set(), []
    for start in zip(*np.nonzero(mask), strict=True):
        if start in seen:
            continue
        region, todo = {start}, deque([start])
        seen.add(start)
        while todo:
            y, x = todo.popleft()
            for dy, dx in steps:
                p = (y + dy, x + dx)
                if (0 <= p[0] < mask.shape[0] and 0 <= p[1] < mask.shape[1] and mask[p]
                        and p not in seen):
                    seen.add(p)
                    region.add(p)
                    todo.append(p)
        regions.append(region)
    return regions


@pytest.mark.parametrize("seed", range(6))
def test_small_regions_and_holes_match_a_plain_flood_fill(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((41, 57)) < (0.3 + 0.1 * seed)
    for min_area in (1, 3, 8, 30):
        expected = np.zeros_like(mask)
        for region in regions_the_slow_way(mask, diagonal=True):
            if len(region) >= min_area:
                expected[tuple(np.array(sorted(region)).T)] = True
        assert np.array_equal(drop_small_regions(mask, min_area), expected)

    filled = mask.copy()
    for region in regions_the_slow_way(~mask, diagonal=False):
        cells = np.array(sorted(region))
        at_border = ((cells[:, 0] == 0) | (cells[:, 0] == 40) | (cells[:, 1] == 0)
                     | (cells[:, 1] == 56)).any()
        if not at_border:
            filled[tuple(cells.T)] = True
    assert np.array_equal(fill_holes(mask), filled)


def test_regions_touching_at_a_corner_are_one_but_holes_need_a_side():
    mask = np.zeros((7, 7), bool)
    mask[1:3, 1:3] = mask[3:5, 3:5] = True  # two squares meeting at a corner
    assert np.array_equal(drop_small_regions(mask, 8), mask)  # 4 + 4 pixels, one region
    assert not drop_small_regions(mask, 9).any()
    ring = np.zeros((7, 7), bool)
    ring[1:6, 1:6] = True
    ring[3, 3] = False
    ring[1, 1] = False  # the corner gap does not open the hole to the outside
    assert fill_holes(ring)[3, 3] and not fill_holes(ring)[1, 1]
    assert not fill_holes(np.zeros((5, 5), bool)).any()


def test_box_blur_is_the_mean_of_the_clipped_square():
    values = np.random.default_rng(1).random((13, 17, 3)).astype(np.float32)
    blurred = box_blur(values, 2)
    for y, x in ((0, 0), (6, 8), (12, 16), (1, 15)):
        square = values[max(0, y - 2): y + 3, max(0, x - 2): x + 3]
        assert np.allclose(blurred[y, x], square.reshape(-1, 3).mean(axis=0), atol=1e-5)
    assert box_blur(values[..., 0], 3).shape == (13, 17)


def test_the_colour_drift_is_recovered_despite_new_content():
    image = room().astype(np.float32)
    drifted = image * np.array(GAIN, np.float32) + np.array(OFFSET, np.float32)
    drifted[100:400, 200:600] = 30.0  # a big area of new content: 30% of the picture
    drift = fit_colour_drift(image, drifted)
    assert np.allclose(drift.gain, GAIN, atol=0.01)
    assert np.allclose(drift.offset, OFFSET, atol=1.5)
    restored = drift.undo(drifted.astype(np.uint8)[:100])
    assert np.abs(restored.astype(int) - image[:100]).max() <= 1


def coverage_and_extra(found: np.ndarray, replaced: np.ndarray) -> tuple[float, float]:
    return (found & replaced).sum() / replaced.sum(), (found & ~replaced).sum() / replaced.sum()


@pytest.mark.parametrize("picture", ["room", "photo with an object", "photo"])
def test_the_replaced_area_is_found_at_the_providers_size(picture):
    image = {"room": room, "photo with an object": lambda: photo_with_object(480, 640, 4),
             "photo": lambda: photo_like(360, 500, 7)}[picture]()
    result = emulated_text_removal(image, render="realistic")  # resized, re-rendered
    height, width = result.shape[:2]
    change = detect_change(resize_rgb(image, width, height), result)
    replaced = text_removal_area(image).mask(width, height)
    coverage, extra = coverage_and_extra(change.mask, replaced)
    assert coverage >= 0.95
    assert extra <= 0.2 if picture != "photo" else extra <= 0.3  # no object: a smaller area
    assert not change.is_global and change.share == pytest.approx(change.mask.mean())
    assert change.noise_levels < 5  # noise and JPEG averaged out


def test_a_re_render_that_replaced_nothing_shows_no_change():
    image = photo_with_object(300, 400, 2)
    nowhere = ObjectArea(cx=-3.0, cy=-3.0, rx=0.1, ry=0.1)  # drift, noise, JPEG only
    change = detect_change(image, rerendered(image, nowhere))
    assert not change.mask.any() and not change.is_global


def test_small_specks_of_change_are_ignored():
    image = room()
    result = rerendered(image, ObjectArea(cx=-3.0, cy=-3.0, rx=0.1, ry=0.1))
    result[200:203, 100:103] = 255  # 9 pixels: below the smallest region
    assert not detect_change(image, result).mask.any()


def test_a_different_picture_is_a_global_change():
    image = photo_like(240, 320, 1)
    other = np.ascontiguousarray(room()[:240, :320])
    change = detect_change(image, other)
    assert change.is_global and change.mask.all() and change.share == 1.0


def test_a_change_over_most_of_the_picture_is_global():
    image = room()
    most = ObjectArea(cx=0.5, cy=0.5, rx=0.6, ry=0.6)  # covers ~95% of the picture
    change = detect_change(image, rerendered(image, most))
    assert change.is_global


def test_sizes_must_match():
    with pytest.raises(ValueError):
        detect_change(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 11, 3), np.uint8))


def test_opening_on_the_box_equals_opening_the_whole_picture():
    import torch

    from object_removal.imaging.compositing import grow_mask
    from object_removal.text.change_detection import open_mask

    rng = np.random.default_rng(3)
    for case in range(60):
        mask = np.zeros((60, 80), bool)
        y, x = rng.integers(0, 46), rng.integers(0, 61)
        mask[y: y + 15, x: x + 20] = rng.random((15, 20)) < 0.75  # also at the borders
        if case % 3 == 0:
            mask[rng.integers(0, 60), :] = True  # a thin line across: opened away
        whole = torch.from_numpy(mask)
        for radius in (1, 2, 3):
            expected = grow_mask(~grow_mask(~whole, radius), radius).numpy() & mask
            assert np.array_equal(open_mask(mask, radius), expected)
    assert not open_mask(np.zeros((5, 5), bool), 2).any()
