"""Growing, feathering and compositing: the far pixels stay bit-identical."""

import math

import numpy as np
import pytest
import torch

from object_removal.imaging.compositing import (
    EXACT_RADIUS,
    composite,
    default_feather,
    feather_weights,
    grow_mask,
)


def disc(height, width, cy, cx, r):
    yy, xx = np.mgrid[0:height, 0:width]
    return torch.from_numpy((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r)


def euclidean_dilation(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Reference: every pixel within `radius` (Euclidean) of a mask pixel."""
    points = np.argwhere(mask.numpy())
    yy, xx = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    out = np.zeros(mask.shape, bool)
    for y, x in points:
        out |= (yy - y) ** 2 + (xx - x) ** 2 <= radius * radius
    return torch.from_numpy(out)


def test_grow_covers_the_euclidean_dilation_and_not_much_more():
    mask = torch.zeros(80, 90, dtype=torch.bool)
    mask[30:34, 40:45] = True
    mask[60, 10] = True
    for radius in (1, 2, 5, 8, 15):
        grown = grow_mask(mask, radius)
        reference = euclidean_dilation(mask, radius)
        assert bool((grown | ~reference).all()), f"radius {radius} misses pixels"
        # An octagon, not a huge square: at most ~ (3/2)^2/pi extra area.
        assert grown.sum() <= reference.sum() * 1.35


def test_grow_with_radius_zero_and_empty_mask():
    mask = disc(20, 20, 10, 10, 3)
    assert torch.equal(grow_mask(mask, 0), mask)
    empty = torch.zeros(20, 20, dtype=torch.bool)
    assert not grow_mask(empty, 5).any()


def test_feather_weights_ramp_and_are_exactly_zero_beyond():
    mask = disc(120, 120, 60, 60, 10)
    grow, feather = 6, 4
    weights = feather_weights(mask, grow, feather)
    assert torch.all(weights[grow_mask(mask, grow)] == 1.0)
    outside = ~grow_mask(mask, grow + feather)
    assert torch.all(weights[outside] == 0.0)
    ring = grow_mask(mask, grow + feather) & ~grow_mask(mask, grow)
    assert torch.all((weights[ring] > 0) & (weights[ring] < 1))
    # Monotonic along a ray from the centre.
    row = weights[60, 60:]
    assert torch.all(row[1:] <= row[:-1])


def test_composite_keeps_far_pixels_bit_identical():
    torch.manual_seed(0)
    original = torch.rand(100, 120, 3)
    result = torch.rand(100, 120, 3)
    mask = disc(100, 120, 50, 60, 12)
    weights = feather_weights(mask, 5, 3)
    out = composite(original, result, weights)
    far = weights == 0
    assert torch.equal(out[far], original[far])
    inside = weights == 1
    assert torch.allclose(out[inside], result[inside], atol=1e-6)
    between = (weights > 0) & (weights < 1)
    lo = torch.minimum(original, result)[between]
    hi = torch.maximum(original, result)[between]
    assert torch.all((out[between] >= lo - 1e-6) & (out[between] <= hi + 1e-6))


def test_default_feather_is_small_and_bounded():
    assert default_feather(64, 64) == 2
    assert default_feather(1000, 1500) == 10
    assert default_feather(8000, 8000) == 16


@pytest.mark.parametrize("radius", [1, 7, 32, 33, 100, 700])
def test_grown_masks_cover_the_euclidean_dilation_and_not_much_more(radius):
    from provider_emulator import dilated_region

    mask = torch.zeros(900, 1200, dtype=torch.bool)
    mask[400:460, 500:530] = True
    mask[100, 1100] = True  # a far speck: the work spans most of the image
    grown = grow_mask(mask, radius).numpy()
    exact = dilated_region(mask.numpy(), radius)
    assert not (exact & ~grown).any()  # never less than the provider's dilation
    # The octagon reaches 8% past its inscribed circle; the coarse grid adds cells.
    cell = 1 if radius <= EXACT_RADIUS else math.ceil(radius / EXACT_RADIUS)
    beyond = dilated_region(mask.numpy(), math.ceil(1.1 * (radius + 4 * cell)) + 2)
    assert not (grown & ~beyond).any()


def test_a_huge_dilation_costs_little():
    mask = torch.zeros(3000, 4000, dtype=torch.bool)
    mask[10, 10] = mask[2990, 3990] = True
    assert grow_mask(mask, 4096).all()
