"""Pictures, masks and HTTP calls shared by the emulator's tests (plain functions,
importable by name; fixtures are in conftest.py)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import requests
from PIL import Image

from provider_emulator import ProviderEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "test-key"
OTHER_KEY = "other-key"
AILAB = "/api/image/editing/remove-objects-advanced"
AILAB_BASIC = "/api/image/editing/remove-objects"
UPLOAD = "/api/v6/base64_to_url"
SUBMIT = "/api/v6/interior/object_removal"
FETCH = "/api/v6/interior/fetch/"
MASK_SUBMIT = "/api/v6/image_editing/object_removal"
MASK_FETCH = "/api/v6/image_editing/fetch/"
FIVE_MB = 5 * 1024 * 1024


# -- pictures ---------------------------------------------------------------------------------


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


def image_bytes(pixels: np.ndarray, fmt: str, **save: Any) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def padded_png(total: int) -> bytes:
    data = png_bytes(scene())
    return data + b"\0" * (total - len(data))  # bytes after IEND: still a readable PNG


def decoded(data: bytes) -> np.ndarray:
    return np.array(Image.open(io.BytesIO(data)).convert("RGB"))


def brute_force_region(mask: np.ndarray, radius: int) -> np.ndarray:
    """Every pixel within Euclidean `radius` of a True pixel, the slow obvious way."""
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]]
    region = np.zeros(mask.shape, bool)
    for y, x in np.argwhere(mask):
        region |= (yy - y) ** 2 + (xx - x) ** 2 <= radius * radius
    return region


def mask_variants() -> list[tuple[str, bytes, str, str]]:
    """Masks AILabTools refuses: (id, PNG bytes, code, what the message says)."""
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


# -- AILabTools -------------------------------------------------------------------------------


def post_ailab(
    emu: ProviderEmulator,
    image: bytes | None = None,
    mask: bytes | None = None,
    *,
    key: str | None = KEY,
    data: dict[str, str] | None = None,
    path: str = AILAB,
) -> requests.Response:
    files = {}
    if image is not None:
        files["image"] = ("image.png", image, "image/png")
    if mask is not None:
        files["mask"] = ("mask.png", mask, "image/png")
    headers = {"ailabapi-api-key": key} if key is not None else {}
    return requests.post(emu.api_url + path, headers=headers, files=files, data=data or {},
                         timeout=10)


def post_basic(emu: ProviderEmulator, image: bytes | None = None, mask: bytes | None = None,
               **kwargs: Any) -> requests.Response:
    return post_ailab(emu, image, mask, path=AILAB_BASIC, **kwargs)


def good_ailab(emu: ProviderEmulator, **kwargs: Any) -> requests.Response:
    return post_ailab(emu, png_bytes(scene()), png_bytes(square_mask()), **kwargs)


def good_basic(emu: ProviderEmulator, **kwargs: Any) -> requests.Response:
    return post_basic(emu, png_bytes(scene()), png_bytes(square_mask()), **kwargs)


def result_pixels(response: requests.Response) -> np.ndarray:
    encoded = response.json()["data"]["binary_data_base64"][0]
    if encoded.startswith("data:"):
        encoded = encoded.split(",", 1)[1]
    return decoded(base64.b64decode(encoded))


def error_code(response: requests.Response) -> str:
    return response.json()["error_detail"]["code"]


# -- ModelsLab --------------------------------------------------------------------------------


def upload(emu: ProviderEmulator, data: bytes, key: str = KEY) -> requests.Response:
    text = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return requests.post(emu.api_url + UPLOAD, json={"key": key, "base64_string": text},
                         timeout=10)


def uploaded_url(emu: ProviderEmulator, pixels: np.ndarray | None = None) -> str:
    response = upload(emu, png_bytes(scene() if pixels is None else pixels))
    assert response.json()["status"] == "success"
    return response.json()["output"][0]


def submit(emu: ProviderEmulator, init_image: str, key: str = KEY, object_name: str = "cup",
           timeout: float = 10) -> requests.Response:
    body = {"key": key, "init_image": init_image, "object_name": object_name, "base64": False,
            "webhook": None, "track_id": None}
    return requests.post(emu.api_url + SUBMIT, json=body, timeout=timeout)


def fetch(emu: ProviderEmulator, job_id: int | str, key: str = KEY) -> requests.Response:
    return requests.post(f"{emu.api_url}{FETCH}{job_id}", json={"key": key}, timeout=10)


def mask_submit(emu: ProviderEmulator, init_image: Any, mask_image: Any, key: str = KEY,
                **extra: Any) -> requests.Response:
    body = {"key": key, "init_image": init_image, "mask_image": mask_image, "track_id": None,
            "webhook": None, **extra}
    return requests.post(emu.api_url + MASK_SUBMIT, json=body, timeout=10)


def mask_fetch(emu: ProviderEmulator, job_id: int | str, key: str = KEY) -> requests.Response:
    return requests.post(f"{emu.api_url}{MASK_FETCH}{job_id}", json={"key": key}, timeout=10)


def download(url: str) -> requests.Response:
    return requests.get(url, timeout=10)
