"""numpy arrays to image bytes and back, and resizing. Pillow only, no torch.

Images here are (H, W, 3) uint8 RGB; masks are (H, W) bool.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

from .errors import ObjectRemovalError

# Results come from the network: refuse absurd sizes before decoding them.
MAX_DECODED_PIXELS = 16384 * 16384


def encode_png(rgb: np.ndarray, compress_level: int = 6) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def encode_jpeg(rgb: np.ndarray, quality: int = 95) -> bytes:
    buffer = io.BytesIO()
    # 4:4:4 keeps colour edges sharp; the cost in bytes is small at this quality.
    Image.fromarray(rgb, "RGB").save(
        buffer, format="JPEG", quality=quality, subsampling=0, optimize=False
    )
    return buffer.getvalue()


def encode_mask_png(mask: np.ndarray) -> bytes:
    """8-bit single-channel PNG, white (255) = remove, no ICC profile (AILabTools' rule)."""
    grey = np.where(mask, np.uint8(255), np.uint8(0))
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def decode_image(data: bytes, what: str = "the provider's image") -> np.ndarray:
    """Image bytes -> (H, W, 3) uint8 RGB. Alpha is dropped, EXIF rotation applied."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if width * height > MAX_DECODED_PIXELS:
                    raise ObjectRemovalError(
                        f"{what} is {width}x{height} pixels, too large to decode safely."
                    )
                image = ImageOps.exif_transpose(opened)
                image.load()
    except ObjectRemovalError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise ObjectRemovalError(
            f"{what} could not be decoded as an image ({type(exc).__name__}); "
            f"{len(data)} bytes received."
        ) from None
    if image.mode != "RGB":
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit greyscale: scale to 8 bits instead of clipping.
            wide = np.asarray(image, dtype=np.float64)
            peak = 65535.0 if wide.max() > 255 else 255.0
            image = Image.fromarray(np.round(wide * 255.0 / peak).astype(np.uint8), "L")
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of encoded image bytes, without decoding the pixels."""
    with Image.open(io.BytesIO(data)) as opened:
        return opened.size


def resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    resized = Image.fromarray(rgb, "RGB").resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)


def resize_rgb_region(
    rgb: np.ndarray, width: int, height: int, box: tuple[int, int, int, int]
) -> np.ndarray:
    """The part `box` (x0, y0, x1, y1) of `resize_rgb(rgb, width, height)`, computed
    alone: enlarging a small changed area of a big picture costs only that area."""
    x0, y0, x1, y1 = box
    scale_x, scale_y = rgb.shape[1] / width, rgb.shape[0] / height
    source = (x0 * scale_x, y0 * scale_y, x1 * scale_x, y1 * scale_y)
    resized = Image.fromarray(rgb, "RGB").resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS,
                                                 box=source)
    return np.asarray(resized, dtype=np.uint8)


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a bool mask without losing what it marks.

    Shrinking keeps a pixel if any part of what it covers was set, so a thin
    stroke never vanishes from what is sent; enlarging keeps a pixel when at
    least half of it is covered, so edges stay where they were.
    """
    if mask.shape[1] == width and mask.shape[0] == height:
        return mask
    grey = Image.fromarray(np.where(mask, np.uint8(255), np.uint8(0)), "L")
    if width <= mask.shape[1] and height <= mask.shape[0]:
        return np.asarray(grey.resize((width, height), Image.Resampling.BOX)) > 0
    resized = np.asarray(grey.resize((width, height), Image.Resampling.BILINEAR))
    return resized >= 128
