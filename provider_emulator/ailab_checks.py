"""AILabTools' documented limits on the image, the mask and the parameters."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .image_files import load_pixels, open_image, png_header, sniff_image_type

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Both endpoints: each side smaller than 4096 px.
MAX_SIDE_EXCLUSIVE = 4096
# PNG colour types of the documented mask layouts.
_MASK_COLOUR_TYPES = frozenset({0, 2, 6})  # grey, RGB, RGBA


@dataclass(frozen=True)
class ImageRules:
    """One endpoint's documented image limits (formats as sniff_image_type names them)."""

    formats: tuple[str, ...]
    formats_text: str
    # Both sides must be larger than this (0: no documented minimum).
    min_side_exclusive: int = 0
    max_side_exclusive: int = MAX_SIDE_EXCLUSIVE
    max_bytes: int = MAX_IMAGE_BYTES


# Remove Objects Advanced: JPEG/PNG, larger than 64x64, smaller than 4096x4096.
ADVANCED_IMAGES = ImageRules(("png", "jpeg"), "a JPEG or PNG file", min_side_exclusive=64)
# Remove Objects: also BMP and WEBP; no minimum size is documented.
BASIC_IMAGES = ImageRules(("png", "jpeg", "bmp", "webp"), "a JPEG, PNG, BMP or WEBP file")


class Rejection(Exception):
    """A request the real service would refuse: an AILab code and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RemovalParameters:
    """The optional form fields, validated, with the documented defaults."""

    steps: int = 30
    strength: float = 0.8
    scale: float = 7.0
    seed: int = 0
    dilate_size: int = 15
    quality: str = "M"


def check_image(data: bytes, rules: ImageRules = ADVANCED_IMAGES) -> np.ndarray:
    """The image's RGB pixels, or Rejection in the documented order of checks."""
    if sniff_image_type(data) not in rules.formats:
        raise Rejection("UNSUPPORTED_FILE_TYPES", f"The image must be {rules.formats_text}.")
    if len(data) > rules.max_bytes:
        raise Rejection("FILE_SIZE_EXCEEDS_LIMIT", "The image must not be larger than 5 MB.")
    try:
        image = open_image(data)
    except ValueError:
        raise Rejection("FILE_DECODING_FAILURE", "The image cannot be decoded.") from None
    # Sizes come from the header, so a tiny file claiming a huge size is
    # refused before it is decoded.
    width, height = image.size
    if min(width, height) <= rules.min_side_exclusive:
        raise Rejection(
            "ERROR_LOW_RESOLUTION",
            f"The image is {width}x{height}; both sides must be larger than "
            f"{rules.min_side_exclusive} px.",
        )
    if max(width, height) >= rules.max_side_exclusive:
        raise Rejection(
            "FILE_RESOLUTION_EXCEEDS_LIMITS",
            f"The image is {width}x{height}; both sides must be smaller than "
            f"{rules.max_side_exclusive} px.",
        )
    try:
        return np.array(load_pixels(image).convert("RGB"))
    except ValueError:
        raise Rejection("FILE_DECODING_FAILURE", "The image cannot be decoded.") from None


def check_mask(data: bytes, image_size: tuple[int, int]) -> np.ndarray:
    """The mask as HxW uint8 grey, or Rejection saying what is wrong with it."""
    header = png_header(data)
    if header is None:
        raise _bad_mask("it must be a PNG file")
    width, height, depth, colour_type = header
    if width * height > MAX_SIDE_EXCLUSIVE**2:
        # Can match no valid image; refused before decoding a possibly huge bitmap.
        raise _mismatch((width, height), image_size)
    if depth != 8:
        raise _bad_mask(f"it must be an 8-bit PNG, this one has {depth} bits per channel")
    if colour_type not in _MASK_COLOUR_TYPES:
        raise _bad_mask(
            "it must be single-channel grey, RGB or RGBA (palette and grey+alpha "
            "PNGs are not accepted)"
        )
    try:
        image = load_pixels(open_image(data))
    except ValueError:
        raise _bad_mask("it cannot be decoded") from None
    if "icc_profile" in image.info:
        raise _bad_mask("it embeds an ICC profile; save it without one")
    pixels = np.array(image)
    if pixels.ndim == 3:
        if not (np.array_equal(pixels[..., 0], pixels[..., 1])
                and np.array_equal(pixels[..., 0], pixels[..., 2])):
            raise _bad_mask("its R, G and B channels must be equal")
        if pixels.shape[2] == 4 and not (pixels[..., 3] == 255).all():
            raise _bad_mask("its alpha channel must be 255 everywhere")
        pixels = pixels[..., 0]
    if image.size != image_size:
        raise _mismatch(image.size, image_size)
    return pixels.astype(np.uint8)


def parse_parameters(form: Mapping[str, str]) -> RemovalParameters:
    """The optional fields checked against their documented ranges."""
    defaults = RemovalParameters()
    values: dict[str, Any] = {}
    for name, parse, valid, rule in _PARAMETER_RULES:
        if name not in form:
            continue
        raw = form[name].strip()
        try:
            value = parse(raw)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise Rejection(
                "ERROR_INVALID_PARAMETER",
                f"Parameter '{name}' is invalid: {rule}, got {form[name]!r}.",
            )
        values[name] = value
    return RemovalParameters(**{**defaults.__dict__, **values})


def _mismatch(mask_size: tuple[int, int], image_size: tuple[int, int]) -> Rejection:
    return Rejection(
        "ERROR_MASK_IMAGE_RESOLUTION_MISMATCH",
        f"The mask is {mask_size[0]}x{mask_size[1]} but the image is "
        f"{image_size[0]}x{image_size[1]}.",
    )


def _bad_mask(reason: str) -> Rejection:
    return Rejection("ERROR_INVALID_PARAMETER", f"The mask is invalid: {reason}.")


def _integer(raw: str) -> int | None:
    # Plain decimal only: Python's int() would also take "1_000".
    return int(raw) if re.fullmatch(r"[+-]?[0-9]+", raw) else None


def _finite_float(raw: str) -> float | None:
    value = float(raw)
    return value if math.isfinite(value) else None


_PARAMETER_RULES: tuple[tuple[str, Callable[[str], Any], Callable[[Any], bool], str], ...] = (
    ("steps", _integer, lambda v: v >= 1, "an integer >= 1"),
    ("strength", _finite_float, lambda v: 0.1 <= v <= 1.0, "a number in [0.1, 1.0]"),
    ("scale", _finite_float, lambda v: 1 <= v <= 20, "a number in [1, 20]"),
    ("seed", _integer, lambda v: v >= -1, "an integer >= -1 (-1 means random)"),
    ("dilate_size", _integer, lambda v: v >= 1, "an integer >= 1"),
    ("quality", str, lambda v: v in ("H", "M", "L"), "one of H, M, L"),
)
