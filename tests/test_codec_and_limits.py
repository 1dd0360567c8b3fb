"""Image bytes: the mask format AILabTools demands, decoding, and meeting limits."""

import io

import numpy as np
import pytest
from PIL import Image

from object_removal.errors import ObjectRemovalError
from object_removal.imaging.codec import decode_image, encode_jpeg, encode_mask_png, encode_png
from object_removal.imaging.provider_limits import FIVE_MB, encode_within_bytes, fit_dimensions
from object_removal.mask.parameters import MaskInputs
from object_removal.providers.ailab import ADVANCED_SIDES as AILAB_SIDES
from object_removal.providers.ailab import AdvancedParams


def noise(height, width, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_mask_png_is_8bit_grey_without_icc_white_means_remove():
    mask = np.zeros((30, 40), bool)
    mask[5:10, 7:9] = True
    data = encode_mask_png(mask)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.mode == "L"
        assert "icc_profile" not in image.info
        pixels = np.asarray(image)
    assert set(np.unique(pixels)) == {0, 255}
    assert np.array_equal(pixels == 255, mask)


def test_png_round_trip_is_exact():
    rgb = noise(33, 47)
    assert np.array_equal(decode_image(encode_png(rgb)), rgb)


def test_decode_handles_rgba_grey_and_16bit():
    rgba = np.dstack([noise(8, 9), np.full((8, 9), 100, np.uint8)])
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    assert np.array_equal(decode_image(buffer.getvalue()), rgba[..., :3])

    wide = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000)
    buffer = io.BytesIO()
    Image.fromarray(wide).save(buffer, "PNG")
    decoded = decode_image(buffer.getvalue())
    assert decoded.shape == (3, 4, 3)
    assert decoded[0, 0, 0] == 0 and decoded[-1, -1, 0] == round(55000 * 255 / 65535)


def test_decode_refuses_garbage_with_a_clear_message():
    with pytest.raises(ObjectRemovalError, match="could not be decoded"):
        decode_image(b"definitely not an image")


@pytest.mark.parametrize(
    "size,expected",
    [
        ((1000, 800), (1000, 800)),
        ((8000, 4000), (4095, 2047)),
        ((4096, 4096), (4095, 4095)),
        ((40, 30), (87, 65)),
        ((65, 65), (65, 65)),
        ((64, 200), (65, 203)),
    ],
)
def test_fit_dimensions_meets_the_side_limits(size, expected):
    assert fit_dimensions(*size, AILAB_SIDES) == expected


def test_fit_dimensions_refuses_impossible_aspect_ratios():
    with pytest.raises(ObjectRemovalError, match="aspect ratio"):
        fit_dimensions(10000, 100, AILAB_SIDES)


def test_encode_within_bytes_prefers_png_when_lossless_and_it_fits():
    rgb = noise(64, 64)
    encoded = encode_within_bytes(rgb, FIVE_MB, lossless=True)
    assert encoded.mime == "image/png"
    assert np.array_equal(decode_image(encoded.data), rgb)


def test_encode_within_bytes_uses_jpeg_when_lossy_is_fine():
    rgb = noise(64, 64)
    encoded = encode_within_bytes(rgb, FIVE_MB, lossless=False)
    assert encoded.mime == "image/jpeg"
    assert encoded.data == encode_jpeg(rgb, 95)


def test_encode_within_bytes_reencodes_then_downscales():
    rgb = noise(400, 300)
    png_size = len(encode_png(rgb))
    limit = png_size // 3
    encoded = encode_within_bytes(rgb, limit, lossless=True, limits=AILAB_SIDES)
    assert len(encoded.data) <= limit
    assert encoded.mime == "image/jpeg"
    tiny_limit = 20_000
    smaller = encode_within_bytes(rgb, tiny_limit, lossless=True, limits=AILAB_SIDES)
    assert len(smaller.data) <= tiny_limit
    assert (smaller.width, smaller.height) < (300, 400)
    assert abs(smaller.width / smaller.height - 0.75) < 0.02
    assert decode_image(smaller.data).shape == (smaller.height, smaller.width, 3)


def test_encode_within_bytes_gives_up_clearly_when_impossible():
    with pytest.raises(ObjectRemovalError, match="cannot be made smaller"):
        encode_within_bytes(noise(200, 200), 500, lossless=False, limits=AILAB_SIDES)


def test_shrinking_a_mask_never_loses_a_thin_stroke():
    from object_removal.imaging.codec import resize_mask

    mask = np.zeros((400, 400), bool)
    mask[:, 201] = True  # one pixel wide
    small = resize_mask(mask, 100, 100)
    assert small[:, 50].all() and small.sum() == 100
    big = resize_mask(small, 400, 400)
    assert big[:, 200:204].all() and not big[:, 190].any()


def test_form_numbers_are_plain():
    fields = AdvancedParams.from_inputs(
        MaskInputs(strength=0.30000000000000004, scale=12.5)).form_fields()
    assert fields["strength"] == "0.3" and fields["scale"] == "12.5"
    assert AdvancedParams.from_inputs(MaskInputs()).form_fields()["scale"] == "7"
