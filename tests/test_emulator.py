"""The provider emulator, exercised over real HTTP on 127.0.0.1 (no mocking)."""

from __future__ import annotations

import base64
import io
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from PIL import Image

from nodes.emulator import (
    AILAB_ERRORS,
    Behaviour,
    ProviderEmulator,
    dilated_region,
    emulated_removal,
    emulated_text_removal,
    modelslab_output_size,
)
from nodes.emulator.blobs import BlobStore
from nodes.emulator.multipart import MultipartError, parse_header_value, parse_multipart

REPO_ROOT = Path(__file__).resolve().parents[1]
KEY = "test-key"
OTHER_KEY = "other-key"
AILAB = "/api/image/editing/remove-objects-advanced"
UPLOAD = "/api/v6/base64_to_url"
SUBMIT = "/api/v6/interior/object_removal"
FETCH = "/api/v6/interior/fetch/"
FIVE_MB = 5 * 1024 * 1024


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def running() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(keys=(KEY, OTHER_KEY)) as emulator:
        yield emulator


@pytest.fixture
def emu(running: ProviderEmulator) -> ProviderEmulator:
    running.reset()
    return running


def scene(height: int = 96, width: int = 128) -> np.ndarray:
    """A picture whose colours change non-linearly, so a ring's mean depends on its width."""
    yy, xx = np.mgrid[:height, :width]
    channels = [xx * xx // 64 % 256, yy * 3 % 256, xx * yy // 32 % 256]
    return np.stack(channels, axis=-1).astype(np.uint8)


def noisy(height: int = 96, width: int = 128, seed: int = 1) -> np.ndarray:
    """Seeded random pixels: any change in which pixels are averaged changes the mean."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def square_mask(
    height: int = 96, width: int = 128, box: tuple[int, int, int, int] = (40, 50, 50, 60)
) -> np.ndarray:
    y0, x0, y1, x1 = box
    mask = np.zeros((height, width), np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def png_bytes(pixels: np.ndarray | Image.Image, **save: Any) -> bytes:
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **save)
    return buffer.getvalue()


def image_bytes(pixels: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


def post_ailab(
    emu: ProviderEmulator,
    image: bytes | None = None,
    mask: bytes | None = None,
    *,
    key: str | None = KEY,
    data: dict[str, str] | None = None,
) -> requests.Response:
    files = {}
    if image is not None:
        files["image"] = ("image.png", image, "image/png")
    if mask is not None:
        files["mask"] = ("mask.png", mask, "image/png")
    headers = {"ailabapi-api-key": key} if key is not None else {}
    return requests.post(emu.api_url + AILAB, headers=headers, files=files, data=data or {},
                         timeout=10)


def good_ailab(emu: ProviderEmulator, **kwargs: Any) -> requests.Response:
    return post_ailab(emu, png_bytes(scene()), png_bytes(square_mask()), **kwargs)


def result_pixels(response: requests.Response) -> np.ndarray:
    encoded = response.json()["data"]["binary_data_base64"][0]
    if encoded.startswith("data:"):
        encoded = encoded.split(",", 1)[1]
    return np.array(Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB"))


def error_code(response: requests.Response) -> str:
    return response.json()["error_detail"]["code"]


def brute_force_region(mask: np.ndarray, radius: int) -> np.ndarray:
    """Every pixel within Euclidean `radius` of a True pixel, the slow obvious way."""
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]]
    region = np.zeros(mask.shape, bool)
    for y, x in np.argwhere(mask):
        region |= (yy - y) ** 2 + (xx - x) ** 2 <= radius * radius
    return region


def upload(emu: ProviderEmulator, data: bytes, key: str = KEY) -> requests.Response:
    text = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return requests.post(emu.api_url + UPLOAD, json={"key": key, "base64_string": text},
                         timeout=10)


def submit(emu: ProviderEmulator, init_image: str, key: str = KEY, object_name: str = "cup",
           ) -> requests.Response:
    body = {"key": key, "init_image": init_image, "object_name": object_name, "base64": False,
            "webhook": None, "track_id": None}
    return requests.post(emu.api_url + SUBMIT, json=body, timeout=10)


def fetch(emu: ProviderEmulator, job_id: int | str, key: str = KEY) -> requests.Response:
    return requests.post(f"{emu.api_url}{FETCH}{job_id}", json={"key": key}, timeout=10)


def uploaded_url(emu: ProviderEmulator, pixels: np.ndarray | None = None) -> str:
    response = upload(emu, png_bytes(scene() if pixels is None else pixels))
    assert response.json()["status"] == "success"
    return response.json()["output"][0]


# -- life cycle ------------------------------------------------------------------------------


def test_starts_two_loopback_origins_on_ephemeral_ports_and_stops() -> None:
    emu = ProviderEmulator(keys=(KEY,), port=0, cdn_port=0)
    with pytest.raises(RuntimeError):
        _ = emu.api_url
    assert emu.start() is emu
    try:
        assert emu.api_url.startswith("http://127.0.0.1:")
        assert emu.cdn_url.startswith("http://127.0.0.1:")
        assert emu.api_url != emu.cdn_url
        assert not emu.api_url.endswith(":0") and not emu.cdn_url.endswith(":0")
        assert requests.get(emu.cdn_url + "/uploads/none.png", timeout=5).status_code == 404
        assert requests.post(emu.api_url + AILAB, timeout=5).status_code == 401
    finally:
        emu.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(emu.cdn_url + "/uploads/none.png", timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.post(emu.api_url + AILAB, timeout=5)


def test_context_manager_and_kept_alive_connections_are_cut_on_stop() -> None:
    session = requests.Session()
    with ProviderEmulator() as emu:
        assert emu.keys == frozenset({"test-key"})
        assert session.post(emu.api_url + UPLOAD, json={}, timeout=5).status_code == 401
        url = emu.api_url
    with pytest.raises(requests.ConnectionError):
        session.post(url + UPLOAD, json={}, timeout=5)


# -- the pure functions the pack's tests use ---------------------------------------------------


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
    out = emulated_text_removal(image)
    assert out.shape == (64, 128, 3)
    resized = np.array(Image.fromarray(image).resize((128, 64), Image.Resampling.LANCZOS))
    mean = np.floor(resized.reshape(-1, 3).mean(axis=0) + 0.5)
    assert (out[16:48, 32:96] == mean).all()
    assert np.array_equal(out[:16], resized[:16])
    assert np.array_equal(emulated_text_removal(image, "same")[:25], image[:25])


# -- AILabTools: success ---------------------------------------------------------------------


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


# -- AILabTools: validation -------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "sk-live-WRONG-KEY-1234"])
def test_ailab_rejects_a_bad_key_without_echoing_it(emu: ProviderEmulator, key: str | None) -> None:
    response = good_ailab(emu, key=key)
    assert response.status_code == 401
    assert error_code(response) == "ERROR_USER_NOT_EXISTS"
    assert "invalid" in response.json()["error_detail"]["message"].lower()
    if key:
        assert key not in response.text


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


def padded_png(total: int) -> bytes:
    data = png_bytes(scene())
    return data + b"\0" * (total - len(data))  # bytes after IEND: still a readable PNG


@pytest.mark.parametrize(
    ("image", "status", "code"),
    [
        (image_bytes(scene(), "GIF"), 415, "UNSUPPORTED_FILE_TYPES"),
        (image_bytes(scene(), "BMP"), 415, "UNSUPPORTED_FILE_TYPES"),
        (b"plain text, not an image at all", 415, "UNSUPPORTED_FILE_TYPES"),
        (padded_png(FIVE_MB + 1), 413, "FILE_SIZE_EXCEEDS_LIMIT"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, 422, "FILE_DECODING_FAILURE"),
        (png_bytes(scene())[:200], 422, "FILE_DECODING_FAILURE"),
        (png_bytes(scene(64, 128)), 422, "ERROR_LOW_RESOLUTION"),
        (png_bytes(scene(100, 40)), 422, "ERROR_LOW_RESOLUTION"),
        (png_bytes(scene(96, 4096)), 413, "FILE_RESOLUTION_EXCEEDS_LIMITS"),
    ],
    ids=["gif", "bmp", "text", "over-5MB", "garbage-png", "truncated-png", "64-high",
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


def mask_variants() -> list[tuple[str, bytes, str, str]]:
    grey = square_mask()
    rgb = np.stack([grey] * 3, axis=-1)
    unequal = rgb.copy()
    unequal[0, 0, 1] = 7
    rgba = np.dstack([rgb, np.full(grey.shape, 255, np.uint8)])
    translucent = rgba.copy()
    translucent[5, 5, 3] = 128
    return [
        ("icc", png_bytes(grey, icc_profile=b"fake icc profile bytes"), "ERROR_INVALID_PARAMETER",
         "icc"),
        ("rgb-unequal", png_bytes(unequal), "ERROR_INVALID_PARAMETER", "channels"),
        ("rgba-alpha", png_bytes(translucent), "ERROR_INVALID_PARAMETER", "alpha"),
        ("jpeg", image_bytes(grey, "JPEG"), "ERROR_INVALID_PARAMETER", "png"),
        ("16-bit", png_bytes(Image.fromarray(grey.astype(np.uint16) * 257)),
         "ERROR_INVALID_PARAMETER", "8-bit"),
        ("1-bit", png_bytes(Image.fromarray(grey).convert("1")), "ERROR_INVALID_PARAMETER",
         "8-bit"),
        ("palette", png_bytes(Image.fromarray(rgb).convert("P")), "ERROR_INVALID_PARAMETER",
         "grey"),
        ("wrong-size", png_bytes(square_mask(96, 127)), "ERROR_MASK_IMAGE_RESOLUTION_MISMATCH",
         "127x96"),
        ("huge", png_bytes(np.zeros((4100, 4100), np.uint8)),
         "ERROR_MASK_IMAGE_RESOLUTION_MISMATCH", "4100x4100"),
    ]


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


# -- scripted answers ------------------------------------------------------------------------


def test_scripted_code_uses_its_status_and_retry_after_then_normal_again(
    emu: ProviderEmulator,
) -> None:
    emu.script("ailab", http_status=429, code="EXCEEDING_LIMITS", retry_after=1)
    response = good_ailab(emu)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert error_code(response) == "EXCEEDING_LIMITS"
    assert response.json()["error_detail"]["status_code"] == 429
    assert good_ailab(emu).status_code == 200


@pytest.mark.parametrize(
    ("script", "status", "code"),
    [
        ({"code": "AI_SERVICE_FLOW_RESTRICTION"}, 503, "AI_SERVICE_FLOW_RESTRICTION"),
        ({"code": "ERROR_NOT_ENOUGH_CREDITS"}, 429, "ERROR_NOT_ENOUGH_CREDITS"),
        ({"code": "AI_SERVICE_TIMEOUT"}, 504, "AI_SERVICE_TIMEOUT"),
        ({"code": "ERROR_USER_LOCKED"}, 403, "ERROR_USER_LOCKED"),
        ({"code": "ERROR_CONTENT_NON_COMPLIANCE"}, 422, "ERROR_CONTENT_NON_COMPLIANCE"),
        ({"code": "PROCESSING_FAILURE", "http_status": 502}, 502, "PROCESSING_FAILURE"),
        ({"http_status": 502}, 502, "AI_SERVICE_ERROR"),
        ({"retry_after": 2}, 429, "EXCEEDING_LIMITS"),
    ],
)
def test_scripted_ailab_errors(emu: ProviderEmulator, script: dict[str, Any], status: int,
                               code: str) -> None:
    emu.script("ailab", **script)
    response = good_ailab(emu)
    assert response.status_code == status
    assert error_code(response) == code
    assert ("Retry-After" in response.headers) == ("retry_after" in script)


def test_scripts_are_consumed_first_in_order_before_key_checks(emu: ProviderEmulator) -> None:
    emu.script("ailab", json={"first": True})
    emu.script("ailab", raw="<html>502 Bad Gateway</html>", http_status=502,
               headers={"X-Upstream": "nginx"})
    first = good_ailab(emu, key="not-a-key")
    assert first.status_code == 200 and first.json() == {"first": True}
    second = good_ailab(emu, key=None)
    assert second.status_code == 502
    assert second.text == "<html>502 Bad Gateway</html>"
    assert second.headers["Content-Type"].startswith("text/html")
    assert second.headers["X-Upstream"] == "nginx"
    assert good_ailab(emu, key=None).status_code == 401


def test_scripted_drop_and_delay(emu: ProviderEmulator) -> None:
    emu.script("ailab", drop=True)
    with pytest.raises(requests.ConnectionError):
        good_ailab(emu)
    emu.script("ailab", delay=0.3)
    started = time.perf_counter()
    assert good_ailab(emu).status_code == 200
    assert time.perf_counter() - started >= 0.3
    emu.script("ml_upload", delay=0.2, http_status=500)
    started = time.perf_counter()
    assert upload(emu, b"x").status_code == 500
    assert time.perf_counter() - started >= 0.2


@pytest.mark.parametrize(
    "kind", ["not_json", "truncated_json", "no_data", "empty_list", "bad_base64", "not_an_image"]
)
def test_scripted_malformed_ailab_answers(emu: ProviderEmulator, kind: str) -> None:
    emu.script("ailab", malformed=kind)
    response = good_ailab(emu)
    assert response.status_code == 200
    if kind in ("not_json", "truncated_json"):
        with pytest.raises(ValueError):
            json.loads(response.text)
        return
    payload = response.json()
    assert payload["error_code"] == 0
    if kind == "no_data":
        assert "data" not in payload
        return
    images = payload["data"]["binary_data_base64"]
    if kind == "empty_list":
        assert images == []
    elif kind == "bad_base64":
        with pytest.raises(ValueError):
            base64.b64decode(images[0])
    else:
        with pytest.raises(OSError):
            Image.open(io.BytesIO(base64.b64decode(images[0], validate=True)))


@pytest.mark.parametrize(
    ("endpoint", "kind"),
    [("ml_submit", "not_json"), ("ml_submit", "truncated_json"), ("ml_submit", "no_status"),
     ("ml_submit", "success_without_output"), ("ml_upload", "success_without_output"),
     ("ml_fetch", "no_status")],
)
def test_scripted_malformed_modelslab_answers(emu: ProviderEmulator, endpoint: str,
                                              kind: str) -> None:
    emu.script(endpoint, malformed=kind)
    call = {"ml_submit": lambda: submit(emu, "https://nowhere.invalid/x.png"),
            "ml_upload": lambda: upload(emu, b"abc"),
            "ml_fetch": lambda: fetch(emu, 123)}[endpoint]
    response = call()
    assert response.status_code == 200
    if kind in ("not_json", "truncated_json"):
        with pytest.raises(ValueError):
            json.loads(response.text)
    elif kind == "no_status":
        assert "status" not in response.json()
    else:
        assert response.json()["status"] == "success" and response.json()["output"] == []


def test_scripted_modelslab_rate_limit_and_cdn_answers(emu: ProviderEmulator) -> None:
    emu.script("ml_submit", http_status=429, retry_after=3)
    response = submit(emu, "https://nowhere.invalid/x.png")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json()["retry_after"] == 3 and response.json()["status"] == "error"
    emu.script("ml_fetch", json={"status": "error", "message": "busy"}, retry_after=2)
    assert fetch(emu, 1).json() == {"status": "error", "message": "busy", "retry_after": 2}
    emu.script("cdn", http_status=503)
    assert requests.get(emu.cdn_url + "/uploads/a.png", timeout=5).status_code == 503
    assert requests.get(emu.cdn_url + "/uploads/a.png", timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "fields"),
    [("nowhere", {"http_status": 500}), ("control", {"http_status": 500}),
     ("ml_submit", {"code": "EXCEEDING_LIMITS"}), ("ailab", {"code": "NO_SUCH_CODE"}),
     ("ailab", {"malformed": "no_status"}), ("cdn", {"malformed": "not_json"}),
     ("ailab", {"drop": True, "json": {}}), ("ailab", {"http_status": 99}),
     ("ailab", {"colour": "red"}), ("ailab", {"delay": -1})],
)
def test_script_mistakes_are_refused(emu: ProviderEmulator, endpoint: str,
                                     fields: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        emu.script(endpoint, **fields)


# -- ModelsLab -------------------------------------------------------------------------------


def test_modelslab_upload_stores_on_the_cdn_origin(emu: ProviderEmulator) -> None:
    data = png_bytes(scene())
    response = upload(emu, data)
    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "success" and isinstance(payload["id"], int)
    url = payload["output"][0]
    assert url.startswith(emu.cdn_url + "/uploads/") and url.endswith(".png")
    download = requests.get(url, timeout=5)
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-Type"] == "image/png"
    assert emu.requests("ml_upload")[-1].key == KEY


def test_modelslab_upload_refusals(emu: ProviderEmulator) -> None:
    too_large = upload(emu, padded_png(FIVE_MB + 1))
    assert too_large.status_code == 200
    assert too_large.json()["status"] == "error"
    assert "exceeds 5 MB" in too_large.json()["message"]
    assert upload(emu, padded_png(FIVE_MB)).json()["status"] == "success"

    bad_key = upload(emu, png_bytes(scene()), key="sk-WRONG-9876")
    assert bad_key.status_code == 401
    assert bad_key.json()["status"] == "error" and "sk-WRONG-9876" not in bad_key.text
    no_key = requests.post(emu.api_url + UPLOAD, json={"base64_string": "aGk="}, timeout=5)
    assert no_key.status_code == 401

    for text in ("data:image/png;base64,@@@not base64@@@", "", "data:image/png,abc"):
        response = requests.post(emu.api_url + UPLOAD, timeout=5,
                                 json={"key": KEY, "base64_string": text})
        assert response.status_code == 200 and response.json()["status"] == "error"


def test_modelslab_job_processes_then_succeeds(emu: ProviderEmulator) -> None:
    emu.behaviour.job_seconds = 0.3
    image = scene(100, 130)
    response = submit(emu, uploaded_url(emu, image))
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "processing"
    assert job["eta"] == 1 and job["tip"] and job["message"]
    assert job["fetch_result"] == f"{emu.api_url}{FETCH}{job['id']}"
    assert job["future_links"] == [f"{emu.cdn_url}/outputs/{job['id']}.png"]
    assert job["meta"]["object_name"] == "cup"
    assert requests.get(job["future_links"][0], timeout=5).status_code == 404
    assert fetch(emu, job["id"]).json()["status"] == "processing"

    time.sleep(0.35)
    done = requests.post(job["fetch_result"], json={"key": KEY}, timeout=5).json()
    assert done["status"] == "success" and done["id"] == job["id"]
    assert isinstance(done["generationTime"], float)
    assert done["output"] == done["proxy_links"] == job["future_links"]
    result = requests.get(done["output"][0], timeout=5)
    assert result.headers["Content-Type"] == "image/png"
    pixels = np.array(Image.open(io.BytesIO(result.content)).convert("RGB"))
    assert pixels.shape == (64, 128, 3)
    assert np.array_equal(pixels, emulated_text_removal(image))


def test_modelslab_instant_success_and_same_size(emu: ProviderEmulator) -> None:
    emu.behaviour.update({"job_seconds": 0, "modelslab_output_size": "same"})
    response = submit(emu, uploaded_url(emu, scene(100, 130))).json()
    assert response["status"] == "success"
    result = requests.get(response["output"][0], timeout=5)
    assert Image.open(io.BytesIO(result.content)).size == (130, 100)


def test_modelslab_failed_outcome(emu: ProviderEmulator) -> None:
    emu.behaviour.update({"job_seconds": 0.2, "job_outcome": "failed"})
    job = submit(emu, uploaded_url(emu)).json()
    assert job["status"] == "processing"
    time.sleep(0.25)
    failed = fetch(emu, job["id"]).json()
    assert failed == {"status": "failed", "id": job["id"], "message": "Failed, Try Again",
                      "output": ""}
    assert requests.get(job["future_links"][0], timeout=5).status_code == 404


def test_modelslab_submit_refusals(emu: ProviderEmulator) -> None:
    url = uploaded_url(emu)
    for name in ("", "   "):
        response = submit(emu, url, object_name=name)
        assert response.status_code == 200
        required = {"object_name": ["The object name field is required."]}
        assert response.json() == {"status": "error", "message": required}
    foreign = submit(emu, "https://example.com/photo.png").json()
    assert foreign == {"status": "error", "message": "init_image could not be downloaded"}
    assert submit(emu, emu.cdn_url + "/uploads/unknown.png").json()["status"] == "error"
    bad_key = submit(emu, url, key="sk-NOPE-5555")
    assert bad_key.status_code == 401 and "sk-NOPE-5555" not in bad_key.text
    not_json = requests.post(emu.api_url + SUBMIT, data=b"key=test-key", timeout=5)
    assert not_json.status_code == 400 and not_json.json()["status"] == "error"


def test_modelslab_legacy_error_spelling(emu: ProviderEmulator) -> None:
    emu.behaviour.legacy_error_spelling = True
    for response in (fetch(emu, 1), upload(emu, b"x", key="wrong")):
        assert "messege" in response.json() and "message" not in response.json()
    assert fetch(emu, 1).json()["messege"] == "Request not found"


def test_modelslab_queue_limit(emu: ProviderEmulator) -> None:
    emu.behaviour.update({"queue_limit": 2, "job_seconds": 0.5})
    url = uploaded_url(emu)
    assert submit(emu, url).json()["status"] == "processing"
    assert submit(emu, url).json()["status"] == "processing"
    refused = submit(emu, url)
    assert refused.status_code == 429
    body = refused.json()
    assert body["status"] == "error" and "queue limit" in body["message"]
    assert body["retry_after"] == 1 and refused.headers["Retry-After"] == "1"
    assert submit(emu, url, key=OTHER_KEY).json()["status"] == "processing"  # per key
    time.sleep(0.55)
    assert submit(emu, url).json()["status"] == "processing"


@pytest.mark.parametrize(
    ("shape", "expected"),
    [("list", [[], [], []]), ("string", ["", "", ""]), ("alternate", [[], "", []])],
)
def test_modelslab_processing_output_shapes(emu: ProviderEmulator, shape: str,
                                            expected: list[Any]) -> None:
    emu.behaviour.update({"processing_output": shape, "job_seconds": 30})
    job = submit(emu, uploaded_url(emu)).json()
    outputs = [job["output"], fetch(emu, job["id"]).json()["output"],
               fetch(emu, job["id"]).json()["output"]]
    assert outputs == expected


def test_modelslab_eta(emu: ProviderEmulator) -> None:
    emu.behaviour.job_seconds = 7.2
    assert submit(emu, uploaded_url(emu)).json()["eta"] == 8  # rounded up
    emu.behaviour.eta = 42
    assert submit(emu, uploaded_url(emu)).json()["eta"] == 42


def test_modelslab_fetch_unknown_or_foreign_jobs(emu: ProviderEmulator) -> None:
    emu.behaviour.job_seconds = 0
    job = submit(emu, uploaded_url(emu)).json()
    not_found = {"status": "error", "message": "Request not found"}
    assert fetch(emu, job["id"] + 1000).json() == not_found
    assert fetch(emu, job["id"], key=OTHER_KEY).json() == not_found
    assert fetch(emu, "abc").json() == not_found
    assert fetch(emu, job["id"]).json()["status"] == "success"
    assert fetch(emu, job["id"], key="wrong").status_code == 401


# -- CDN origin ------------------------------------------------------------------------------


def test_cdn_serves_only_stored_files_and_records_key_leaks(emu: ProviderEmulator) -> None:
    url = uploaded_url(emu)
    assert requests.get(url, timeout=5).status_code == 200
    head = requests.head(url, timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert requests.get(emu.cdn_url + "/uploads/missing.png", timeout=5).status_code == 404
    assert requests.get(emu.cdn_url + "/etc/passwd", timeout=5).status_code == 404
    assert requests.post(url, timeout=5).status_code == 405
    assert len(emu.requests("cdn")) == 5
    assert emu.keys_seen_on_cdn() == set()

    requests.get(url, headers={"ailabapi-api-key": KEY}, timeout=5)
    assert emu.keys_seen_on_cdn() == {KEY}
    requests.get(url, params={"key": "leaked-elsewhere"}, timeout=5)
    requests.get(url, headers={"Authorization": f"Bearer {OTHER_KEY}"}, timeout=5)
    requests.get(url, headers={"ailabapi-api-key": "never-presented"}, timeout=5)
    assert emu.keys_seen_on_cdn() == {KEY, "leaked-elsewhere", OTHER_KEY, "never-presented"}


# -- control over HTTP -----------------------------------------------------------------------


def test_http_control_endpoints(emu: ProviderEmulator) -> None:
    control = emu.api_url + "/_emulator"
    scripted = requests.post(control + "/script", timeout=5,
                             json={"endpoint": "ailab", "code": "AI_SERVICE_ERROR"})
    assert scripted.json() == {"ok": True}
    assert good_ailab(emu).status_code == 502

    refused = requests.post(control + "/script", json={"endpoint": "x"}, timeout=5)
    assert refused.status_code == 400 and refused.json()["ok"] is False

    changed = requests.post(control + "/behaviour", json={"job_seconds": 0}, timeout=5)
    assert changed.json()["behaviour"]["job_seconds"] == 0
    done = submit(emu, uploaded_url(emu)).json()
    assert done["status"] == "success"
    assert requests.get(done["output"][0], timeout=5).status_code == 200
    requests.get(f"{emu.cdn_url}/uploads/x.png?key={KEY}", timeout=5)  # a leak to redact
    invalid = requests.post(control + "/behaviour", json={"job_seconds": 1, "queue_limit": -1},
                            timeout=5)
    assert invalid.status_code == 400 and emu.behaviour.job_seconds == 0

    listed = requests.get(control + "/requests", timeout=5)
    summaries = listed.json()
    assert KEY not in listed.text
    by_endpoint = {s["endpoint"]: s for s in summaries}
    assert by_endpoint["ailab"] == {**by_endpoint["ailab"], "method": "POST", "path": AILAB,
                                    "key_present": True}
    assert by_endpoint["cdn"]["key_present"] is False
    assert by_endpoint["cdn"]["path"] == "/uploads/x.png?key=***"
    assert {"ailab", "ml_upload", "ml_submit", "control"} <= set(by_endpoint)

    assert requests.post(control + "/reset", timeout=5).json() == {"ok": True}
    assert emu.behaviour == Behaviour()
    assert emu.requests() == []  # the reset request itself is forgotten too
    assert requests.get(control + "/nothing", timeout=5).status_code == 404


# -- behaviour ---------------------------------------------------------------------------------


def test_behaviour_is_validated_and_reset_in_place(emu: ProviderEmulator) -> None:
    behaviour = emu.behaviour
    for name, value in [("ailab_output_format", "gif"), ("job_seconds", -1), ("eta", 1.5),
                        ("ailab_data_prefix", "yes"), ("queue_limit", True), ("nope", 1)]:
        with pytest.raises(ValueError):
            behaviour.update({name: value})
    behaviour.ailab_output_format = "jpg"
    assert behaviour.ailab_output_format == "jpeg"
    behaviour.latency = 0.25
    started = time.perf_counter()
    assert fetch(emu, 1).status_code == 200
    assert time.perf_counter() - started >= 0.25
    emu.reset()
    assert emu.behaviour is behaviour and behaviour == Behaviour()


def test_long_running_bounds_keep_only_the_latest(emu: ProviderEmulator) -> None:
    with ProviderEmulator(max_recorded=2) as bounded:
        for job_id in (1, 2, 3):
            fetch(bounded, job_id)
        assert [r.path for r in bounded.requests()] == [f"{FETCH}2", f"{FETCH}3"]
    store = BlobStore(max_blobs=2)
    paths = [store.store_upload(bytes([n]), "bin", "application/octet-stream")[1]
             for n in range(3)]
    assert store.get(paths[0]) is None
    assert store.get(paths[1]).data == b"\x01" and store.get(paths[2]).data == b"\x02"


# -- multipart parser --------------------------------------------------------------------------


def test_multipart_parser_details() -> None:
    assert parse_header_value('form-data; name="a\\"b"; filename*=UTF-8\'\'na%C3%AFve.png') == (
        "form-data", {"name": 'a"b', "filename*": "UTF-8''na%C3%AFve.png", "filename": "naïve.png"})
    body = (b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\none\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ntwo\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"up\"; filename=\"\"\r\n\r\n"
            b"\r\n--B--")
    form = parse_multipart(body, "B")
    assert form.fields == {"f": "one"}
    assert form.files["up"].data == b"" and form.files["up"].content_type == (
        "application/octet-stream")
    with pytest.raises(MultipartError):
        parse_multipart(b"--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx", "B")
    with pytest.raises(MultipartError):
        parse_multipart(b"no boundary here", "B")


# -- command line ------------------------------------------------------------------------------


def test_command_line_prints_urls_and_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "nodes.emulator", "--port", "0", "--cdn-port", "0",
         "--key", "cli-key", "--job-seconds", "0"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],  # type: ignore[union-attr]
                     daemon=True).start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while not any(line.startswith("export ") for line in seen):
            assert time.monotonic() < deadline, f"no export line in {seen!r}"
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
        export = next(line for line in seen if line.startswith("export ")).split()[1:]
        env = dict(item.split("=", 1) for item in export)
        assert set(env) == {"AILAB_BASE_URL", "MODELSLAB_BASE_URL", "AILAB_API_KEY",
                            "MODELSLAB_API_KEY"}
        assert env["AILAB_API_KEY"] == env["MODELSLAB_API_KEY"] == "cli-key"
        api = env["AILAB_BASE_URL"]
        assert api == env["MODELSLAB_BASE_URL"] and api.startswith("http://127.0.0.1:")
        assert any(api in line for line in seen[:-1])
        cdn_line = next(line for line in seen if "CDN" in line)
        cdn = cdn_line.split()[-1]
        assert cdn.startswith("http://127.0.0.1:") and cdn != api

        response = requests.post(api + UPLOAD, json={"key": "cli-key", "base64_string": "aGk="},
                                 timeout=5)
        assert response.json()["status"] == "success"
        assert requests.get(response.json()["output"][0], timeout=5).content == b"hi"
        assert requests.post(api + AILAB, timeout=5).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(api, timeout=2)


def test_uploads_keep_their_content_type_and_reply_ids_grow(emu: ProviderEmulator) -> None:
    first = upload(emu, image_bytes(scene(), "JPEG")).json()
    second = upload(emu, png_bytes(scene())).json()
    assert second["id"] == first["id"] + 1
    assert first["output"][0].endswith(".jpg")
    jpeg = requests.get(first["output"][0], timeout=5)
    assert jpeg.headers["Content-Type"] == "image/jpeg"
    assert jpeg.content == image_bytes(scene(), "JPEG")
