"""Image bytes: recognising formats by their magic bytes, decoding, encoding."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"

CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
}
EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif", "bmp": "bmp"}


def sniff_image_type(data: bytes) -> str | None:
    """"png", "jpeg", "webp", "gif" or "bmp" from the first bytes; None if none of them."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    return None


def png_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, bit depth, colour type) from a PNG's IHDR chunk, or None.

    Read directly because Pillow silently reduces 16-bit RGB to 8 bits, which
    would hide a mask that the real service rejects.
    """
    if not data.startswith(PNG_MAGIC) or len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


def open_image(data: bytes) -> Image.Image:
    """A lazily decoded Pillow image; ValueError if the header is unreadable."""
    try:
        return Image.open(io.BytesIO(data))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable image ({type(exc).__name__})") from None


def load_pixels(image: Image.Image) -> Image.Image:
    """The image fully decoded; ValueError if its data is corrupt or truncated."""
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"the image data is corrupt ({type(exc).__name__})") from None
    return image


def decode_rgb(data: bytes, max_pixels: int | None = None) -> np.ndarray:
    """HxWx3 uint8 pixels of any image Pillow reads; ValueError if it can't,
    or if its header claims more than `max_pixels` pixels."""
    return np.array(_decoded(data, max_pixels).convert("RGB"))


def decode_grey(data: bytes, max_pixels: int | None = None) -> np.ndarray:
    """HxW uint8 grey pixels (Pillow's "L" conversion) of any image Pillow reads;
    ValueError as for decode_rgb."""
    return np.array(_decoded(data, max_pixels).convert("L"))


def _decoded(data: bytes, max_pixels: int | None) -> Image.Image:
    image = open_image(data)
    if max_pixels is not None and image.size[0] * image.size[1] > max_pixels:
        raise ValueError(f"{image.size[0]}x{image.size[1]} is too large")
    return load_pixels(image)


def encode_image(rgb: np.ndarray, fmt: str = "png") -> bytes:
    """PNG, or JPEG at quality 90, bytes of HxWx3 uint8 pixels."""
    # PNG at compression level 1: level 6 takes half a second on a noisy 1024² result.
    buffer = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if fmt == "jpeg":
        image.save(buffer, format="JPEG", quality=90)
    else:
        image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def resize_rgb(rgb: np.ndarray, scale: float) -> np.ndarray:
    """Pixels resized by a factor (each side rounded, at least 1 px), Pillow LANCZOS."""
    height, width = rgb.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == (width, height):
        return rgb
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    return np.array(image.resize(size, Image.Resampling.LANCZOS))
