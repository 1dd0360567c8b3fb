"""IMAGE/MASK tensors <-> numpy: exact round trips, polarity, sizes, batches."""

import numpy as np
import pytest
import torch

from object_removal.errors import ObjectRemovalError
from object_removal.imaging.tensors import (
    binary_mask,
    from_uint8,
    image_batch,
    mask_batch,
    pair_batches,
    to_uint8,
)


def every_8bit_value_image() -> np.ndarray:
    values = np.arange(256, dtype=np.uint8)
    return np.stack([np.tile(values, (4, 1)), np.tile(values[::-1], (4, 1)),
                     np.full((4, 256), 7, np.uint8)], axis=-1)


def test_every_8bit_value_survives_the_round_trip_exactly():
    rgb = every_8bit_value_image()
    assert np.array_equal(to_uint8(from_uint8(rgb)), rgb)


def test_from_uint8_matches_comfyui_load_image_exactly():
    rgb = every_8bit_value_image()
    # ComfyUI's LoadImage: np.array(i).astype(np.float32) / 255.0
    comfy = torch.from_numpy(rgb.astype(np.float32) / 255.0)
    assert torch.equal(from_uint8(rgb), comfy)


def test_to_uint8_rounds_and_clamps():
    image = torch.tensor([[[-0.5, 0.6 / 255, 1.7]]])
    assert to_uint8(image).tolist() == [[[0, 1, 255]]]


def test_grey_images_are_expanded_and_alpha_dropped():
    grey = torch.rand(2, 5, 6, 1)
    rgba = torch.rand(1, 5, 6, 4)
    assert torch.equal(image_batch(grey), grey.expand(-1, -1, -1, 3))
    assert torch.equal(image_batch(rgba), rgba[..., :3])
    assert image_batch(torch.rand(5, 6, 3)).shape == (1, 5, 6, 3)


@pytest.mark.parametrize("shape", [(2, 5, 6, 2), (5, 6), (1, 0, 6, 3)])
def test_bad_image_shapes_are_refused_with_the_shape(shape):
    with pytest.raises(ObjectRemovalError, match="shape|empty"):
        image_batch(torch.rand(shape))


def test_mask_polarity_one_means_remove():
    mask = torch.zeros(1, 4, 4)
    mask[0, 1, 2] = 1.0
    mask[0, 2, 2] = 0.49
    mask[0, 3, 3] = 0.5
    hole = binary_mask(mask_batch(mask)[0], 4, 4)
    assert hole.dtype == bool
    assert {tuple(p) for p in np.argwhere(hole)} == {(1, 2), (3, 3)}


def test_masks_accept_2d_and_4d_shapes():
    assert mask_batch(torch.zeros(4, 5)).shape == (1, 4, 5)
    assert mask_batch(torch.zeros(3, 1, 4, 5)).shape == (3, 4, 5)
    with pytest.raises(ObjectRemovalError, match="mask"):
        mask_batch(torch.zeros(2, 3, 4, 5))


def test_mask_of_another_size_is_resized_to_the_image():
    mask = torch.zeros(50, 100)
    mask[10:40, 40:60] = 1.0  # rows 10..40 of 50, cols 40..60 of 100
    hole = binary_mask(mask, 100, 200)
    assert hole.shape == (100, 200)
    rows, cols = np.nonzero(hole)
    assert abs(rows.min() - 20) <= 1 and abs(rows.max() - 79) <= 1
    assert abs(cols.min() - 80) <= 2 and abs(cols.max() - 119) <= 2


@pytest.mark.parametrize("mask_size,image_size,fits", [
    ((375, 501), (750, 1001), True),   # half size, rounded
    ((7, 10), (750, 1000), True),      # 7.5 rows rounded down at the mask's scale
    ((400, 500), (400, 600), False),   # another shape: would be stretched
    ((100, 100), (100, 130), False),
])
def test_only_masks_of_the_images_shape_are_resized(mask_size, image_size, fits):
    mask = torch.ones(*mask_size)
    if fits:
        assert binary_mask(mask, *image_size).shape == image_size
    else:
        with pytest.raises(ObjectRemovalError, match="another shape"):
            binary_mask(mask, *image_size)
        assert binary_mask(mask, *image_size, stretch=True).all()


def test_nan_and_inf_are_refused_with_where_they_are():
    images = torch.rand(3, 8, 8, 3)
    images[2, 1, 1, 0] = float("nan")
    with pytest.raises(ObjectRemovalError, match="holds 1 NaN or infinite values .batch item 3"):
        image_batch(images)
    masks = torch.zeros(2, 8, 8)
    masks[0, 0, 0] = float("-inf")
    with pytest.raises(ObjectRemovalError, match="`mask` holds 1 NaN"):
        mask_batch(masks)


@pytest.mark.parametrize(
    "images,masks,expected",
    [
        (3, 1, [(0, 0), (1, 0), (2, 0)]),
        (1, 3, [(0, 0), (0, 1), (0, 2)]),
        (2, 2, [(0, 0), (1, 1)]),
        (1, 1, [(0, 0)]),
    ],
)
def test_batch_pairing(images, masks, expected):
    assert pair_batches(images, masks) == expected


def test_incompatible_batches_are_a_clear_error():
    with pytest.raises(ObjectRemovalError, match="3 images and 2 masks"):
        pair_batches(3, 2)
