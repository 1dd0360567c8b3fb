"""AILabTools Remove Objects (`ailab_basic`): image and mask only, the result on the CDN."""

from __future__ import annotations

import numpy as np
import pytest
import requests
from emulator_helpers import (
    AILAB_BASIC,
    FIVE_MB,
    KEY,
    decoded,
    download,
    error_code,
    good_basic,
    image_bytes,
    mask_variants,
    noisy,
    padded_png,
    png_bytes,
    post_basic,
    scene,
    square_mask,
)

from provider_emulator import AILAB_ERRORS, ProviderEmulator, emulated_basic_removal


def test_basic_success_answers_a_cdn_url_to_the_exact_result(emu: ProviderEmulator) -> None:
    image, mask = noisy(), square_mask()
    response = post_basic(emu, png_bytes(image), png_bytes(mask))
    assert response.status_code == 200
    payload = response.json()
    assert payload["error_code"] == 0 and payload["error_detail"]["code"] == ""
    assert set(payload["data"]) == {"image_url"}  # no base64 at all
    url = payload["data"]["image_url"]
    assert url.startswith(emu.cdn_url + "/outputs/ailab/") and url.endswith(".png")

    result = download(url)  # available at once, without a key
    assert result.status_code == 200
    assert result.headers["Content-Type"] == "image/png"
    out = decoded(result.content)
    assert np.array_equal(out, emulated_basic_removal(image, mask))
    selected = mask >= 128
    assert np.array_equal(out[~selected], image[~selected])  # nothing else changes
    assert len(np.unique(out[selected], axis=0)) == 1

    recorded = emu.requests("ailab_basic")
    assert len(recorded) == 1 and recorded[0].key == KEY
    assert emu.requests("ailab") == []
    assert emu.keys_seen_on_cdn() == set()


def test_basic_results_get_their_own_unguessable_urls(emu: ProviderEmulator) -> None:
    first = good_basic(emu).json()["data"]["image_url"]
    second = good_basic(emu).json()["data"]["image_url"]
    assert first != second
    name = first.rsplit("/", 1)[1]
    assert len(name) == len("0123456789abcdef0123456789abcdef.png")
    assert download(first).content == download(second).content


def test_basic_ignores_other_form_fields(emu: ProviderEmulator) -> None:
    fields = {"dilate_size": "0", "steps": "many", "quality": "X", "seed": "7"}
    response = good_basic(emu, data=fields)
    assert response.status_code == 200, response.text
    out = decoded(download(response.json()["data"]["image_url"]).content)
    assert np.array_equal(out, emulated_basic_removal(scene(), square_mask()))
    assert emu.requests("ailab_basic")[-1].form == fields


@pytest.mark.parametrize(
    ("fmt", "save"),
    [("BMP", {}), ("WEBP", {"lossless": True}), ("PNG", {})],
)
def test_basic_takes_bmp_and_webp_too(emu: ProviderEmulator, fmt: str,
                                      save: dict[str, object]) -> None:
    image = noisy(70, 90)
    mask = square_mask(70, 90, (10, 20, 30, 50))
    response = post_basic(emu, image_bytes(image, fmt, **save), png_bytes(mask))
    assert response.status_code == 200, response.text
    out = decoded(download(response.json()["data"]["image_url"]).content)
    assert np.array_equal(out, emulated_basic_removal(image, mask))


def test_basic_takes_jpeg_and_has_no_minimum_size(emu: ProviderEmulator) -> None:
    assert post_basic(emu, image_bytes(scene(), "JPEG"), png_bytes(square_mask())).ok
    tiny = post_basic(emu, png_bytes(scene(8, 8)), png_bytes(square_mask(8, 8, (2, 2, 4, 4))))
    assert tiny.status_code == 200, tiny.text
    out = decoded(download(tiny.json()["data"]["image_url"]).content)
    assert out.shape == (8, 8, 3)


def test_basic_accepts_images_just_inside_the_limits(emu: ProviderEmulator) -> None:
    assert post_basic(emu, padded_png(FIVE_MB), png_bytes(square_mask())).status_code == 200
    wide = post_basic(emu, png_bytes(scene(80, 4095)), png_bytes(square_mask(80, 4095)))
    assert wide.status_code == 200
    tall = post_basic(emu, png_bytes(scene(4095, 70)), png_bytes(square_mask(4095, 70)))
    assert tall.status_code == 200


@pytest.mark.parametrize(
    ("image", "status", "code"),
    [
        (image_bytes(scene(), "GIF"), 415, "UNSUPPORTED_FILE_TYPES"),
        (b"plain text, not an image at all", 415, "UNSUPPORTED_FILE_TYPES"),
        (padded_png(FIVE_MB + 1), 413, "FILE_SIZE_EXCEEDS_LIMIT"),
        (png_bytes(scene(96, 4096)), 413, "FILE_RESOLUTION_EXCEEDS_LIMITS"),
        (png_bytes(scene(4096, 80)), 413, "FILE_RESOLUTION_EXCEEDS_LIMITS"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, 422, "FILE_DECODING_FAILURE"),
        (png_bytes(scene())[:200], 422, "FILE_DECODING_FAILURE"),
        (b"BM" + b"not a bitmap" * 10, 422, "FILE_DECODING_FAILURE"),
    ],
    ids=["gif", "text", "over-5MB", "4096-wide", "4096-high", "garbage-png", "truncated-png",
         "garbage-bmp"],
)
def test_basic_image_limits(emu: ProviderEmulator, image: bytes, status: int, code: str) -> None:
    response = post_basic(emu, image, png_bytes(square_mask()))
    assert response.status_code == status
    assert error_code(response) == code
    assert AILAB_ERRORS[code][0] == status
    assert response.json()["error_code"] != 0 and "data" not in response.json()
    assert "BMP" in response.json()["error_msg"] or code != "UNSUPPORTED_FILE_TYPES"


MASK_VARIANTS = mask_variants()


@pytest.mark.parametrize(("name", "mask", "code", "says"), MASK_VARIANTS,
                         ids=[v[0] for v in MASK_VARIANTS])
def test_basic_checks_masks_as_advanced_does(emu: ProviderEmulator, name: str, mask: bytes,
                                            code: str, says: str) -> None:
    response = post_basic(emu, png_bytes(scene()), mask)
    assert response.status_code == 400
    assert error_code(response) == code
    assert says in response.json()["error_detail"]["message"].lower()


def test_basic_accepts_rgb_and_opaque_rgba_grey_masks(emu: ProviderEmulator) -> None:
    rgb = np.stack([square_mask()] * 3, axis=-1)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    expected = emulated_basic_removal(scene(), square_mask())
    for mask in (rgb, rgba):
        response = post_basic(emu, png_bytes(scene()), png_bytes(mask))
        assert response.status_code == 200
        assert np.array_equal(decoded(download(response.json()["data"]["image_url"]).content),
                              expected)


@pytest.mark.parametrize("key", [None, "", "sk-live-WRONG-KEY-1234"])
def test_basic_rejects_a_bad_key_without_echoing_it(emu: ProviderEmulator,
                                                    key: str | None) -> None:
    response = good_basic(emu, key=key)
    assert response.status_code == 401
    assert error_code(response) == "ERROR_USER_NOT_EXISTS"
    if key:
        assert key not in response.text
    assert emu.requests("cdn") == []  # nothing was stored or fetched


def test_basic_missing_parts_wrong_encoding_and_method(emu: ProviderEmulator) -> None:
    image, mask = png_bytes(scene()), png_bytes(square_mask())
    headers = {"ailabapi-api-key": KEY}
    missing = [
        post_basic(emu, image, None),
        post_basic(emu, None, mask),
        requests.post(emu.api_url + AILAB_BASIC, headers=headers, json={"image": "x"},
                      timeout=5),
    ]
    for response in missing:
        assert response.status_code == 400
        assert error_code(response) == "MISSING_PARAMETERS"
    assert "mask" in missing[0].json()["error_msg"]
    wrong_method = requests.get(emu.api_url + AILAB_BASIC, headers=headers, timeout=5)
    assert wrong_method.status_code == 405


def test_basic_is_not_reached_by_the_advanced_path_or_a_longer_one(emu: ProviderEmulator) -> None:
    response = requests.post(emu.api_url + AILAB_BASIC + "-premium", timeout=5,
                             headers={"ailabapi-api-key": KEY})
    assert response.status_code == 404 and error_code(response) == "ERROR_AI_NOT_EXISTS"
    assert emu.requests("ailab_basic") == [] and len(emu.requests("unknown")) == 1


def test_pro_answers_like_basic_at_its_own_path(emu: ProviderEmulator) -> None:
    image, mask = noisy(), square_mask()
    response = requests.post(
        emu.api_url + "/api/image/editing/remove-objects-pro",
        headers={"ailabapi-api-key": KEY},
        files={"image": ("i.png", png_bytes(image), "image/png"),
               "mask": ("m.png", png_bytes(mask), "image/png")},
        timeout=30,
    )
    assert response.status_code == 200
    url = response.json()["data"]["image_url"]
    assert np.array_equal(decoded(download(url).content), emulated_basic_removal(image, mask))
    assert len(emu.requests("ailab_pro")) == 1 and emu.requests("ailab_basic") == []
