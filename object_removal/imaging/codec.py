"""numpy arrays to image bytes and back, and resizing. Pillow only, no torch.

Images here are (H, W, 3) uint8 RGB; masks are (H, W) bool.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageCms, ImageOps

from ..errors import ObjectRemovalError

# Results come from the network: refuse absurd sizes before decoding them. No
# provider answers more than about 16 megapixels (AILabTools' inputs are under
# 4096x4096); this leaves room and still bounds memory.
MAX_RESULT_PIXELS = 40_000_000


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
    # Level 1: masks are mostly runs of one value, which every level packs well.
    Image.fromarray(grey, "L").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def decode_image(
    data: bytes, what: str = "the provider's image", max_pixels: int = MAX_RESULT_PIXELS
) -> np.ndarray:
    """Image bytes -> (H, W, 3) uint8 RGB, converted by value (see `to_rgb8`).

    The size is read from the header first, so a file claiming more than
    `max_pixels` (a decompression bomb, or a result far larger than anything sent)
    is refused before its pixels are decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if width * height > max_pixels:
                    raise ObjectRemovalError(
                        f"{what} is {width}x{height} pixels, more than the "
                        f"{max_pixels / 1e6:.0f} megapixels accepted; it was not decoded."
                    )
                return to_rgb8(opened)
    except ObjectRemovalError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise ObjectRemovalError(
            f"{what} could not be decoded as an image ({type(exc).__name__}); "
            f"{len(data)} bytes received."
        ) from None


def to_rgb8(image: Image.Image) -> np.ndarray:
    """Any Pillow image -> (H, W, 3) uint8 RGB, by value, not by truncation.

    EXIF rotation is applied; alpha is dropped (as ComfyUI's Load Image does);
    16-bit and 32-bit grey are scaled to 8 bits; float images in 0..1 are scaled;
    CMYK with an ICC profile is converted through it; palettes are looked up.
    """
    image = ImageOps.exif_transpose(image)
    image.load()
    mode = image.mode
    if mode == "RGB":
        return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
    if mode.startswith("I;16") or mode == "I":
        # 16-bit grey (PNG, TIFF): the full range maps onto 0..255.
        wide = np.asarray(image).astype(np.float64)
        grey = np.round(np.clip(wide, 0, 65535) / 257.0).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    if mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float64))
        scale = 255.0 if values.size and values.max() <= 1.0 else 1.0
        grey = np.round(np.clip(values * scale, 0, 255)).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    if mode == "CMYK" and image.info.get("icc_profile"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                return np.ascontiguousarray(np.asarray(converted, dtype=np.uint8))
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: Pillow's plain conversion below
    if mode in ("P", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


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
