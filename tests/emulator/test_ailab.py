"""AILabTools Remove Objects Advanced: the emulated removal and every documented check."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import numpy as np
import pytest
import requests
from emulator_helpers import (
    AILAB,
    FIVE_MB,
    KEY,
    brute_force_region,
    error_code,
    good_ailab,
    image_bytes,
    mask_variants,
    noisy,
    padded_png,
    png_bytes,
    post_ailab,
    result_pixels,
    scene,
    square_mask,
)
from PIL import Image

from provider_emulator import AILAB_ERRORS, ProviderEmulator, emulated_removal

# -- success ----------------------------------------------------------------------------------


def test_ailab_success_removes_the_euclidean_dilated_region(emu: ProviderEmulator) -> None:
    image = noisy()
    mask = np.zeros((96, 128), np.uint8)
    mask[48, 64] = 255
    response = post_ailab(emu, png_bytes(image), png_bytes(mask), data={"seed": "3"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["error_code"] == 0 and payload["error_detail"]["code"] == ""
    assert len(payload["data"]["binary_data_base64"]) == 1
    out = result_pixels(response)
    assert out.shape == image.shape

    region = brute_force_region(mask >= 128, 15)
    ring = brute_force_region(mask >= 128, 19) & ~region
    fill = np.floor(image[ring].mean(axis=0) + 0.5).astype(np.uint8)
    assert (out[region] == fill).all()
    corner = (48 + 11, 64 + 11)  # in the bounding square, outside the disk
    assert np.abs(out[corner].astype(int) - image[corner]).max() <= 2
    assert np.abs(image[corner].astype(int) - fill).max() > 4
    outside = np.abs(out[~region].astype(int) - image[~region].astype(int))
    assert outside.max() <= 2 and outside.any()
    assert np.array_equal(out, emulated_removal(image, mask, 15, 3, 2))

    recorded = emu.requests("ailab")[-1]
    assert recorded.key == KEY and recorded.headers["AILABAPI-API-KEY"] == KEY
    assert recorded.files["image"].filename == "image.png"
    assert recorded.files["mask"].content_type == "image/png"
    assert recorded.form == {"seed": "3"}
    assert emu.requests("ailab_basic") == []


@pytest.mark.parametrize(
    ("changes", "prefix", "magic", "size"),
    [
        ({"ailab_data_prefix": True}, "data:image/png;base64,", b"\x89PNG", (128, 96)),
        ({"ailab_output_format": "jpeg"}, "/9j/", b"\xff\xd8\xff", (128, 96)),
        ({"ailab_output_format": "jpeg", "ailab_data_prefix": True}, "data:image/jpeg;base64,",
         b"\xff\xd8\xff", (128, 96)),
        ({"ailab_output_scale": 0.5}, "iVBORw0KGgo", b"\x89PNG", (64, 48)),
    ],
)
def test_ailab_output_options(emu: ProviderEmulator, changes: dict[str, Any], prefix: str,
                              magic: bytes, size: tuple[int, int]) -> None:
    emu.behaviour.update(changes)
    response = good_ailab(emu)
    encoded = response.json()["data"]["binary_data_base64"][0]
    assert encoded.startswith(prefix)
    data = base64.b64decode(encoded.split(",", 1)[-1])
    assert data.startswith(magic)
    assert Image.open(io.BytesIO(data)).size == size


def test_ailab_without_noise_keeps_outside_pixels_and_parameters_at_their_bounds(
    emu: ProviderEmulator,
) -> None:
    emu.behaviour.ailab_noise = 0
    bounds = {"steps": "1", "strength": "0.1", "scale": "20", "seed": "-1", "dilate_size": "1",
              "quality": "H"}
    response = good_ailab(emu, data=bounds)
    assert response.status_code == 200
    region = brute_force_region(square_mask() >= 128, 1)
    assert np.array_equal(result_pixels(response)[~region], scene()[~region])
    upper = {"strength": "1.0", "scale": "1", "quality": "L"}
    assert good_ailab(emu, data=upper).status_code == 200


def test_ailab_answers_a_1024_image_quickly(emu: ProviderEmulator) -> None:
    image = png_bytes(scene(1024, 1024))
    mask = png_bytes(square_mask(1024, 1024, (300, 300, 600, 700)))
    started = time.perf_counter()
    response = post_ailab(emu, image, mask)
    assert response.status_code == 200
    assert time.perf_counter() - started < 1.0


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "sk-live-WRONG-KEY-1234"])
def test_ailab_rejects_a_bad_key_without_echoing_it(emu: ProviderEmulator, key: str | None) -> None:
    response = good_ailab(emu, key=key)
    assert response.status_code == 401
    assert error_code(response) == "ERROR_USER_NOT_EXISTS"
    assert "invalid" in response.json()["error_detail"]["message"].lower()
    if key:
        assert key not in response.text


def test_ailab_refuses_other_methods(emu: ProviderEmulator) -> None:
    response = requests.get(emu.api_url + AILAB, headers={"ailabapi-api-key": KEY}, timeout=5)
    assert response.status_code == 405
    assert error_code(response) == "ERROR_AI_NOT_EXISTS"


def test_ailab_missing_parts_and_wrong_encodings(emu: ProviderEmulator) -> None:
    image, mask = png_bytes(scene()), png_bytes(square_mask())
    headers = {"ailabapi-api-key": KEY}
    cases = [
        post_ailab(emu, image, None),
        post_ailab(emu, None, mask),
        requests.post(emu.api_url + AILAB, headers=headers, json={"image": "x"}, timeout=5),
        # image as a plain field, not a file part
        requests.post(emu.api_url + AILAB, headers=headers, timeout=5,
                      files={"image": (None, b"abc"), "mask": ("m.png", mask)}),
        # multipart whose closing boundary never comes
        requests.post(emu.api_url + AILAB, timeout=5,
                      headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
                      data=b'--xyz\r\nContent-Disposition: form-data; name="image"; '
                           b'filename="a.png"\r\n\r\n' + image),
    ]
    for response in cases:
        assert response.status_code == 400
        assert error_code(response) == "MISSING_PARAMETERS"
    assert "mask" in cases[0].json()["error_msg"]


def test_ailab_parses_a_hand_written_multipart_body(emu: ProviderEmulator) -> None:
    image, mask = png_bytes(scene()), png_bytes(square_mask())
    body = (b"preamble\r\n--b;b\r\n"
            b'Content-Disposition: form-data; name="image"; filename="x;y.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + image + b"\r\n--b;b\r\n"
            b'Content-Disposition: form-data; name="mask"; filename="m.png"\r\n\r\n'
            + mask + b"\r\n--b;b\r\n"
            b'Content-Disposition: form-data; name="quality"\r\n\r\nL\r\n--b;b--\r\n')
    response = requests.post(emu.api_url + AILAB, data=body, timeout=5, headers={
        "ailabapi-api-key": KEY, "Content-Type": 'multipart/form-data; boundary="b;b"'})
    assert response.status_code == 200, response.text
    recorded = emu.requests("ailab")[-1]
    assert recorded.files["image"].filename == "x;y.png"
    assert recorded.files["image"].data == image
    assert recorded.form == {"quality": "L"}


@pytest.mark.parametrize(
    ("image", "status", "code"),
    [
        (image_bytes(scene(), "GIF"), 415, "UNSUPPORTED_FILE_TYPES"),
        (image_bytes(scene(), "BMP"), 415, "UNSUPPORTED_FILE_TYPES"),
        (image_bytes(scene(), "WEBP"), 415, "UNSUPPORTED_FILE_TYPES"),
        (b"plain text, not an image at all", 415, "UNSUPPORTED_FILE_TYPES"),
        (padded_png(FIVE_MB + 1), 413, "FILE_SIZE_EXCEEDS_LIMIT"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, 422, "FILE_DECODING_FAILURE"),
        (png_bytes(scene())[:200], 422, "FILE_DECODING_FAILURE"),
        (png_bytes(scene(64, 128)), 422, "ERROR_LOW_RESOLUTION"),
        (png_bytes(scene(100, 40)), 422, "ERROR_LOW_RESOLUTION"),
        (png_bytes(scene(96, 4096)), 413, "FILE_RESOLUTION_EXCEEDS_LIMITS"),
    ],
    ids=["gif", "bmp", "webp", "text", "over-5MB", "garbage-png", "truncated-png", "64-high",
         "40-wide", "4096-wide"],
)
def test_ailab_image_limits(emu: ProviderEmulator, image: bytes, status: int, code: str) -> None:
    response = post_ailab(emu, image, png_bytes(square_mask()))
    assert response.status_code == status
    assert error_code(response) == code
    assert AILAB_ERRORS[code][0] == status
    assert response.json()["error_code"] != 0 and "data" not in response.json()


def test_ailab_accepts_images_just_inside_the_limits(emu: ProviderEmulator) -> None:
    assert post_ailab(emu, padded_png(FIVE_MB), png_bytes(square_mask())).status_code == 200
    small = post_ailab(emu, png_bytes(scene(65, 65)), png_bytes(square_mask(65, 65)))
    assert small.status_code == 200
    jpeg = post_ailab(emu, image_bytes(scene(), "JPEG"), png_bytes(square_mask()))
    assert jpeg.status_code == 200
    wide = post_ailab(emu, png_bytes(scene(80, 4095)), png_bytes(square_mask(80, 4095)))
    assert wide.status_code == 200


MASK_VARIANTS = mask_variants()


@pytest.mark.parametrize(("name", "mask", "code", "says"), MASK_VARIANTS,
                         ids=[v[0] for v in MASK_VARIANTS])
def test_ailab_rejects_bad_masks(emu: ProviderEmulator, name: str, mask: bytes, code: str,
                                 says: str) -> None:
    response = post_ailab(emu, png_bytes(scene()), mask)
    assert response.status_code == 400
    assert error_code(response) == code
    assert says in response.json()["error_detail"]["message"].lower()


def test_ailab_accepts_rgb_and_opaque_rgba_grey_masks(emu: ProviderEmulator) -> None:
    rgb = np.stack([square_mask()] * 3, axis=-1)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    expected = emulated_removal(scene(), square_mask(), 15, 0, 2)
    for mask in (rgb, rgba):
        response = post_ailab(emu, png_bytes(scene()), png_bytes(mask))
        assert response.status_code == 200
        assert np.array_equal(result_pixels(response), expected)


@pytest.mark.parametrize(
    ("field", "value"),
    [("steps", "0"), ("steps", "2.5"), ("steps", "many"), ("strength", "0.05"),
     ("strength", "1.5"), ("strength", "nan"), ("scale", "0.5"), ("scale", "21"),
     ("seed", "-2"), ("seed", "1e3"), ("dilate_size", "0"), ("dilate_size", ""),
     ("quality", "X"), ("quality", "m")],
)
def test_ailab_rejects_each_bad_parameter(emu: ProviderEmulator, field: str, value: str) -> None:
    response = good_ailab(emu, data={field: value})
    assert response.status_code == 400
    assert error_code(response) == "ERROR_INVALID_PARAMETER"
    assert field in response.json()["error_detail"]["message"]
