"""A text removal's re-render composited into the input: bit-identical outside the
returned mask, the mask covering what the provider replaced, the fallbacks."""

import numpy as np
import pytest
import torch
from PIL import Image

from object_removal.imaging.codec import resize_rgb, resize_rgb_region
from object_removal.imaging.tensors import from_uint8, to_uint8
from object_removal.text.compositing import (
    COMPOSITED,
    NO_ORIGINAL,
    NOT_COMPOSITED,
    UNCHANGED,
    WHOLE,
    describe,
    keep_unchanged_pixels,
    without_original,
)
from provider_emulator import ObjectArea, emulated_text_removal, rerendered, text_removal_area
from support import PACK_DIR, photo_like, photo_with_object


def room() -> np.ndarray:
    with Image.open(PACK_DIR / "samples" / "room.png") as opened:
        return np.array(opened.convert("RGB"))


PICTURES = {
    "room": room,
    "room, enlarged to 1200x800": lambda: resize_rgb(room(), 1200, 800),
    "photo with an object, 900x700": lambda: photo_with_object(700, 900, 5),
    "photo with an object, 333x517": lambda: photo_with_object(517, 333, 6),
}


@pytest.mark.parametrize("name", PICTURES)
def test_outside_the_mask_the_output_is_the_input_and_the_mask_covers_the_removal(name):
    rgb = PICTURES[name]()
    height, width = rgb.shape[:2]
    original = from_uint8(rgb)
    provider = emulated_text_removal(rgb)  # another size, drifted, noisy, JPEG'd
    assert provider.shape != rgb.shape or name == "room"
    done = keep_unchanged_pixels(original, provider, composite=True)

    assert done.outcome == COMPOSITED
    assert done.image.shape == original.shape and done.mask.shape == (height, width)
    outside = done.mask == 0
    assert torch.equal(done.image[outside], original[outside])  # bit for bit
    replaced = torch.from_numpy(text_removal_area(rgb).mask(width, height))
    masked = done.mask > 0
    coverage = (masked & replaced).sum() / replaced.sum()
    extra = (masked & ~replaced).sum() / replaced.sum()
    assert coverage >= 0.95 and extra <= 0.2, (float(coverage), float(extra))
    assert done.share == pytest.approx(float(masked.float().mean()))
    # Inside, the provider's new content, in the input's colours.
    assert (done.image[replaced] - original[replaced]).abs().mean() > 0.05


def test_the_pasted_area_keeps_the_inputs_colours():
    rgb = photo_with_object(480, 640, 1)
    done = keep_unchanged_pixels(from_uint8(rgb), emulated_text_removal(rgb), composite=True)
    # Inside the mask but beyond the replaced area the provider showed the same content,
    # only drifted: with the drift undone it matches the input up to noise.
    area = text_removal_area(rgb)
    margin = (done.mask > 0) & ~torch.from_numpy(area.scaled(1.02).mask(640, 480))
    assert margin.sum() > 500
    difference = (to_uint8(done.image).astype(int) - rgb.astype(int))[margin.numpy()]
    assert np.abs(difference.mean(axis=0)).max() < 1.5


def test_composite_off_returns_the_whole_re_render_resized_as_before():
    rgb = photo_with_object(300, 420, 2)
    provider = emulated_text_removal(rgb)
    off = keep_unchanged_pixels(from_uint8(rgb), provider, composite=False)
    on = keep_unchanged_pixels(from_uint8(rgb), provider, composite=True)
    assert off.outcome == NOT_COMPOSITED
    assert torch.equal(off.image, from_uint8(resize_rgb(provider, 420, 300)))
    assert torch.equal(off.mask, on.mask) and off.mask.any()  # still useful for chaining


def test_a_global_change_returns_the_providers_whole_picture():
    rgb = room()
    everywhere = rerendered(rgb[::-1].copy(), ObjectArea(-3, -3, 0.1, 0.1))  # upside down
    done = keep_unchanged_pixels(from_uint8(rgb), everywhere, composite=True)
    assert done.outcome == WHOLE and done.share == 1.0 and bool(done.mask.all())
    assert torch.equal(done.image, from_uint8(everywhere))
    assert describe([done]) == "changed almost everywhere: returned the provider's whole image"


def test_nothing_changed_returns_the_input_and_an_empty_mask():
    rgb = photo_with_object(200, 300, 3)
    untouched = rerendered(resize_rgb(rgb, 256, 192), ObjectArea(-3, -3, 0.1, 0.1))
    done = keep_unchanged_pixels(from_uint8(rgb), untouched, composite=True)
    assert done.outcome == UNCHANGED and not done.mask.any()
    assert torch.equal(done.image, from_uint8(rgb))


def test_without_an_original_the_providers_picture_and_an_empty_mask():
    provider = photo_like(64, 128)
    kept = without_original(provider, None)
    assert kept.outcome == NO_ORIGINAL and kept.image.shape == (64, 128, 3)
    assert not kept.mask.any()
    assert without_original(provider, (130, 100)).image.shape == (100, 130, 3)


def test_the_status_line_names_the_share_and_each_image_of_a_mixed_batch():
    rgb = photo_with_object(200, 300, 3)
    done = keep_unchanged_pixels(from_uint8(rgb), emulated_text_removal(rgb), composite=True)
    assert describe([done]) == f"composited the changed {done.share:.1%}; the rest is your input"
    assert describe([done, done]).endswith("(all 2 images)")
    mixed = describe([done, without_original(rgb, None)])
    assert mixed.startswith("image 1: composited") and "image 2: no original" in mixed


def test_enlarging_a_region_alone_matches_enlarging_everything():
    rgb = photo_like(96, 128, 4)
    whole = resize_rgb(rgb, 301, 227)
    part = resize_rgb_region(rgb, 301, 227, (40, 30, 250, 200))
    difference = np.abs(part.astype(int) - whole[30:200, 40:250].astype(int))
    assert part.shape == (170, 210, 3) and difference.max() <= 2 and difference.mean() < 0.05
