"""The fake "AI": deterministic edits that tests can predict exactly.

Pure numpy/Pillow functions, exported so the pack's tests can compute what
the emulator will answer.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from .text_rerender import rerendered, text_removal_area

# Width of the band outside the removed area whose mean colour fills it.
RING_WIDTH = 4
# Colour used when the removed area leaves no band to sample (it covers all).
EMPTY_RING_GREY = 128
# Threshold of a "white" mask pixel (the documented masks are 0/255).
MASK_THRESHOLD = 128


def mask_to_bool(mask: np.ndarray) -> np.ndarray:
    """True where the mask marks something to remove (bool kept, else >= 128)."""
    mask = np.asarray(mask)
    if mask.ndim == 3:
        mask = mask[..., 0]
    return mask.copy() if mask.dtype == bool else mask >= MASK_THRESHOLD


def dilated_region(mask: np.ndarray, radius: int) -> np.ndarray:
    """Pixels within Euclidean distance `radius` of a True pixel (dx²+dy² <= r²).

    Exact disk dilation in O(r·area): for each row offset dy the disk is a
    horizontal run of half-width isqrt(r²-dy²), and a horizontal run dilation is
    one subtraction of prefix sums. Only the mask's bounding box grown by r is
    computed, so small masks on large images are cheap.
    """
    mask = np.asarray(mask, dtype=bool)
    if radius <= 0 or not mask.any():
        return mask.copy()
    height, width = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1 = max(rows[0] - radius, 0), min(rows[-1] + radius + 1, height)
    x0, x1 = max(cols[0] - radius, 0), min(cols[-1] + radius + 1, width)
    box = mask[y0:y1, x0:x1]
    box_h, box_w = box.shape

    # Pad by `pad` zeros on both sides so every window is a plain slice.
    pad = min(radius, box_w)
    sums = np.zeros((box_h, box_w + 2 * pad + 1), dtype=np.int32)
    np.cumsum(box, axis=1, out=sums[:, pad + 1 : pad + 1 + box_w])
    sums[:, pad + 1 + box_w :] = sums[:, pad + box_w : pad + 1 + box_w]

    grown = np.zeros_like(box)
    for dy in range(min(radius, box_h - 1) + 1):
        half = min(math.isqrt(radius * radius - dy * dy), pad)
        right = sums[:, pad + half + 1 : pad + half + 1 + box_w]
        run = right > sums[:, pad - half : pad - half + box_w]  # any True within ±half
        grown[dy:] |= run[: box_h - dy]
        if dy:
            grown[: box_h - dy] |= run[dy:]
    region = np.zeros_like(mask)
    region[y0:y1, x0:x1] = grown
    return region


def round_half_up(values: np.ndarray) -> np.ndarray:
    """Round .5 up (numpy's rint rounds half to even, which is harder to state)."""
    return np.floor(np.asarray(values, dtype=np.float64) + 0.5)


def fill_colour(rgb: np.ndarray, mask: np.ndarray, radius: int) -> np.ndarray:
    """Rounded mean RGB of the ring (r, r+4] around the mask, or mid grey if it is empty."""
    inner = dilated_region(mask, radius)
    ring = dilated_region(mask, radius + RING_WIDTH) & ~inner
    if not ring.any():
        return np.full(3, EMPTY_RING_GREY, dtype=np.uint8)
    return round_half_up(rgb[ring].mean(axis=0)).astype(np.uint8)


def emulated_basic_removal(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """What the emulated AILabTools Remove Objects returns.

    The mask pixels (>= 128 or True) are filled with `fill_colour(rgb, mask, 0)`,
    the rounded mean of the ring (0, 4] around them; nothing else changes (the
    endpoint takes no dilate_size, and this fake adds no noise).
    """
    rgb = _checked_rgb(rgb)
    selected = mask_to_bool(mask)
    if selected.shape != rgb.shape[:2]:
        raise ValueError(f"mask shape {selected.shape} differs from image {rgb.shape[:2]}")
    out = rgb.copy()
    out[selected] = fill_colour(rgb, selected, 0)
    return out


def emulated_removal(
    rgb: np.ndarray, mask: np.ndarray, dilate_size: int, seed: int, noise: int
) -> np.ndarray:
    """What the emulated AILabTools returns, before any rescaling.

    The mask (>= 128 or True) dilated by a Euclidean disk of radius
    `dilate_size` is filled with `fill_colour`; every other pixel gets
    `rng.integers(-noise, noise + 1, size=(h, w, 3))` added (one draw for the
    whole image from `numpy.random.default_rng(seed)`, a random seed when
    seed is -1) and is clipped to 0..255, like a generative model that
    re-renders the whole picture.
    """
    rgb = _checked_rgb(rgb)
    selected = mask_to_bool(mask)
    if selected.shape != rgb.shape[:2]:
        raise ValueError(f"mask shape {selected.shape} differs from image {rgb.shape[:2]}")
    region = dilated_region(selected, dilate_size)
    out = rgb.astype(np.int16)
    if noise > 0:
        rng = np.random.default_rng(None if seed < 0 else seed)
        perturbation = rng.integers(-noise, noise + 1, size=rgb.shape, dtype=np.int16)
        out += np.where(region[..., None], np.int16(0), perturbation)
    out[region] = fill_colour(rgb, selected, dilate_size)
    return np.clip(out, 0, 255).astype(np.uint8)


def modelslab_output_size(width: int, height: int, mode: str = "multiple_of_64") -> tuple[int, int]:
    """(width, height) the emulated ModelsLab answers at for an input of that size.

    "same" keeps it; "multiple_of_64" rounds each side down to a multiple of 64
    (at least 64), as diffusion back ends do.
    """
    if mode == "same":
        return width, height
    if mode == "multiple_of_64":
        return max(64, width // 64 * 64), max(64, height // 64 * 64)
    raise ValueError(f"unknown output size mode {mode!r}")


def emulated_text_removal(
    rgb: np.ndarray, output_size: str = "multiple_of_64", render: str = "realistic"
) -> np.ndarray:
    """What the emulated ModelsLab returns for an image, whatever object was named.

    The image is resized per `modelslab_output_size` (Pillow LANCZOS, skipped
    when the size is unchanged). "realistic" then renders it again as a generative
    back end would (`text_rerender.rerendered`): colour drift, noise and JPEG
    everywhere, new content in `text_removal_area(rgb)`. "flat" instead fills the
    centre box x in [w//4, 3w//4), y in [h//4, 3h//4) with the rounded mean RGB of
    the whole resized image and changes nothing else.
    """
    rgb = _checked_rgb(rgb)
    if render == "realistic":
        return rerendered(_modelslab_resized(rgb, output_size), text_removal_area(rgb))
    if render != "flat":
        raise ValueError(f"unknown text render {render!r}")
    out = _modelslab_resized(rgb, output_size)
    out_h, out_w = out.shape[:2]
    mean = round_half_up(out.reshape(-1, 3).mean(axis=0)).astype(np.uint8)
    out[out_h // 4 : 3 * out_h // 4, out_w // 4 : 3 * out_w // 4] = mean
    return out


def emulated_mask_job_removal(
    rgb: np.ndarray, mask: np.ndarray, output_size: str = "multiple_of_64"
) -> np.ndarray:
    """What the emulated ModelsLab mask removal (image_editing) returns.

    The image is resized per `modelslab_output_size` (Pillow LANCZOS, skipped
    when unchanged). The mask (grey, or bool as 0/255) is resized with Pillow
    NEAREST to the image's size if it differs, then to the output size; its
    pixels >= 128, not dilated, are filled with `fill_colour(resized, mask, 0)`.
    """
    out = _modelslab_resized(_checked_rgb(rgb), output_size)
    height, width = np.asarray(rgb).shape[:2]
    grey = np.asarray(mask)
    if grey.ndim == 3:
        grey = grey[..., 0]
    grey = np.where(grey, 255, 0).astype(np.uint8) if grey.dtype == bool else grey
    image = Image.fromarray(np.ascontiguousarray(grey, dtype=np.uint8))
    for size in ((width, height), (out.shape[1], out.shape[0])):
        if image.size != size:
            image = image.resize(size, Image.Resampling.NEAREST)
    selected = np.array(image) >= MASK_THRESHOLD
    out[selected] = fill_colour(out, selected, 0)
    return out


def _modelslab_resized(rgb: np.ndarray, output_size: str) -> np.ndarray:
    height, width = rgb.shape[:2]
    out_w, out_h = modelslab_output_size(width, height, output_size)
    if (out_w, out_h) == (width, height):
        return rgb.copy()
    image = Image.fromarray(np.ascontiguousarray(rgb))
    return np.array(image.resize((out_w, out_h), Image.Resampling.LANCZOS))


def _checked_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb must be HxWx3, got shape {rgb.shape}")
    return rgb
