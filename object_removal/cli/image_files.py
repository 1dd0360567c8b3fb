"""Reading the files users bring, and encoding results in the format a name asks for."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import ObjectRemovalError
from ..imaging.codec import to_rgb8

# What an output's extension asks for, and how Pillow writes it.
OUTPUT_FORMATS: dict[str, tuple[str, dict]] = {
    ".png": ("PNG", {"compress_level": 6}),
    ".jpg": ("JPEG", {"quality": 95, "subsampling": 0}),
    ".jpeg": ("JPEG", {"quality": 95, "subsampling": 0}),
    ".webp": ("WEBP", {"lossless": True}),
    ".bmp": ("BMP", {}),
    ".tif": ("TIFF", {"compression": "tiff_lzw"}),
    ".tiff": ("TIFF", {"compression": "tiff_lzw"}),
}
_FORMATS_WITH_PROFILES = {"PNG", "JPEG", "WEBP", "TIFF"}  # not BMP
_FORMATS_WITH_ALPHA = {"PNG", "WEBP", "TIFF"}
INPUT_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
_ORIENTATION = 0x0112  # the EXIF tag
_QUARTER_TURNS = {5, 6, 7, 8}  # orientations that swap width and height
# Luma weights (ITU-R 601), as Pillow's "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def read_rgb(path: Path) -> np.ndarray:
    """(H, W, 3) uint8: 16-bit, palette, grey with alpha, CMYK and rotated files alike."""
    try:
        with Image.open(path) as opened:
            return to_rgb8(opened)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ObjectRemovalError(f"cannot read image {path}: {exc}") from None


def read_mask(path: Path) -> np.ndarray:
    """(H, W) float32, 1 = remove: white, or transparent where the file has
    transparency (as ComfyUI's Load Image reads it). 16-bit masks by value."""
    try:
        with Image.open(path) as opened:
            alpha = _transparency(opened)
            if alpha is not None:
                return 1.0 - alpha.astype(np.float32) / 255.0
            rgb = to_rgb8(opened)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ObjectRemovalError(f"cannot read mask {path}: {exc}") from None
    return (rgb.astype(np.float32) @ _LUMA) / 255.0


def image_size(path: Path, what: str = "image") -> tuple[int, int]:
    """(width, height) of the picture as read_rgb and read_mask give it (upright after
    EXIF rotation), from the file's header alone."""
    try:
        with Image.open(path) as opened:
            width, height = opened.size
            turned = opened.getexif().get(_ORIENTATION) in _QUARTER_TURNS
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ObjectRemovalError(f"cannot read {what} {path}: {exc}") from None
    return (height, width) if turned else (width, height)


@dataclass(frozen=True)
class KeptDetails:
    """What of an input file goes with its result besides the RGB values."""

    colour_profile: bytes | None = None
    """The ICC profile the RGB values are meant in (Display P3, Adobe RGB...)."""
    alpha: np.ndarray | None = None
    """(H, W) uint8 transparency, upright, where the file has some."""


def kept_details(path: Path) -> KeptDetails:
    """The input's RGB colour profile and transparency, for its result: the values are
    kept as they were, so they mean what they meant, and a cut-out stays cut out. A
    CMYK or grey profile is left behind (reading converted those values)."""
    try:
        with Image.open(path) as opened:
            profile = opened.info.get("icc_profile")
            alpha = _transparency(opened)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return KeptDetails()
    # The profile header's data colour space (bytes 16-19) says what the values are.
    rgb_profile = profile if isinstance(profile, bytes) and profile[16:20] == b"RGB " else None
    return KeptDetails(rgb_profile, alpha)


def _transparency(opened: Image.Image) -> np.ndarray | None:
    """(H, W) uint8 alpha of an opened file, upright; None where it is all opaque."""
    if opened.mode not in ("RGBA", "LA", "PA") and "transparency" not in opened.info:
        return None
    alpha = np.asarray(ImageOps.exif_transpose(opened).convert("RGBA"))[..., 3]
    return np.ascontiguousarray(alpha) if int(alpha.min()) < 255 else None


def keeps_transparency(path: Path) -> bool:
    """Whether the format `path`'s extension asks for holds transparency."""
    return OUTPUT_FORMATS[path.suffix.lower()][0] in _FORMATS_WITH_ALPHA


def output_format(path: Path) -> str:
    """The format an output's name asks for, or an error listing the ones written."""
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        known = ", ".join(sorted(OUTPUT_FORMATS))
        what = f"extension {path.suffix!r}" if path.suffix else "no extension"
        raise ObjectRemovalError(
            f"the output {path} has {what}; give one of {known} (it picks the format), or "
            "end a folder name with / ."
        )
    return OUTPUT_FORMATS[suffix][0]


def encode_for(path: Path, rgb: np.ndarray, details: KeptDetails = KeptDetails()) -> bytes:
    """`rgb` encoded in the format `path`'s extension asks for, with the input's colour
    profile and transparency where the format holds them."""
    fmt, options = OUTPUT_FORMATS[path.suffix.lower()]
    if details.colour_profile is not None and fmt in _FORMATS_WITH_PROFILES:
        options = {**options, "icc_profile": details.colour_profile}
    picture = Image.fromarray(rgb, "RGB")
    if details.alpha is not None and fmt in _FORMATS_WITH_ALPHA:
        picture = Image.fromarray(np.dstack([rgb, details.alpha]), "RGBA")
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()
