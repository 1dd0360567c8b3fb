"""Reading the files users bring, and encoding results in the format a name asks for."""

from __future__ import annotations

import io
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
            if opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info:
                alpha = np.asarray(ImageOps.exif_transpose(opened).convert("RGBA"))[..., 3]
                if alpha.min() < 255:
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


def rgb_colour_profile(path: Path) -> bytes | None:
    """The ICC profile an RGB picture's values are meant in (Display P3, Adobe RGB...),
    to go with the result whose values are kept as they were; None where there is
    none, or where reading converted the values (a CMYK or grey profile)."""
    try:
        with Image.open(path) as opened:
            profile = opened.info.get("icc_profile")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    # The profile header's data colour space (bytes 16-19) says what the values are.
    return profile if isinstance(profile, bytes) and profile[16:20] == b"RGB " else None


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


def encode_for(path: Path, rgb: np.ndarray, colour_profile: bytes | None = None) -> bytes:
    """`rgb` encoded in the format `path`'s extension asks for, with `colour_profile`
    embedded where the format holds one."""
    fmt, options = OUTPUT_FORMATS[path.suffix.lower()]
    if colour_profile is not None and fmt in _FORMATS_WITH_PROFILES:
        options = {**options, "icc_profile": colour_profile}
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format=fmt, **options)
    return buffer.getvalue()
