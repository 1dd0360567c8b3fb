"""Filling holes with a learned model, on crops at the model's own size.

Why crops: other packs squash the whole picture into the model's 256 or 512 px and
scale the result back up, which blurs everything they paste. Here each group of nearby
holes gets a window with context around it, and the model sees that window:

- MI-GAN runs at exactly 512 x 512: the window is a 512 px square around the hole
  (more context for free), taken 1:1 from the picture (a picture smaller than that is
  padded); only a hole too big for it (with context, over 512 px) makes the window
  larger and scaled down to 512;
- LaMa runs on the window at its own resolution (padded to multiples of 8), scaled
  down only when its long side exceeds `LAMA_MAX_SIDE` (memory and LaMa's trained
  range).

Only hole pixels are pasted back, blended with the original over the hole's outer
`FEATHER` pixels (which the caller's grown mask puts on background), so no seam shows
and every pixel outside the hole is the input's, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .crop_stitch import Box, hole_clusters
from .learned_models import InpaintNet, ModelLoadError, first_line
from .work_units import unit_of_work

if TYPE_CHECKING:
    import torch

LAMA_MAX_SIDE = 1024
PAD_MULTIPLE = 8
MIN_MARGIN = 64
MARGIN_FRACTION = 0.5
FEATHER = 3


def margin_for(box: Box) -> int:
    """Context around a hole: a model needs to see the surroundings it continues."""
    y0, y1, x0, x1 = box
    return max(MIN_MARGIN, round(MARGIN_FRACTION * max(y1 - y0, x1 - x0)))


def _span(lo: int, hi: int, length: int, limit: int) -> tuple[int, int]:
    """A run of `length` (at most `limit`) in 0..limit that contains lo..hi, centred on it."""
    length = min(length, limit)
    start = (lo + hi) // 2 - length // 2
    start = min(max(start, hi - length, 0), lo, limit - length)
    return start, start + length


def model_window(box: Box, native_side: int | None, shape: tuple[int, ...]) -> Box:
    """The crop a model sees for the hole group in `box` (which holds its context).

    For a model of fixed `native_side`: a square of that side around `box` (larger when
    `box` is), clipped to the image. For any-size models: `box` itself.
    """
    if native_side is None:
        return box
    y0, y1, x0, x1 = box
    side = max(native_side, y1 - y0, x1 - x0)
    top, bottom = _span(y0, y1, side, shape[0])
    left, right = _span(x0, x1, side, shape[1])
    return top, bottom, left, right


def feather_weights_in_hole(hole: np.ndarray, feather: int = FEATHER) -> np.ndarray:
    """(H, W) float32: 0 outside the hole, rising from 1/(feather+1) on its edge to 1
    at `feather` pixels in."""
    import torch
    import torch.nn.functional as F

    known = torch.from_numpy(~hole)[None, None].to(torch.float32)
    total = torch.zeros_like(known)
    for _ in range(feather):
        total += 1 - known
        known = F.max_pool2d(known, kernel_size=3, stride=1, padding=1)
    total += 1 - known
    return (total[0, 0] / (feather + 1)).numpy() * hole


def _resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    import torch.nn.functional as F

    if tuple(image.shape[-2:]) == size:
        return image
    shrinking = size[0] < image.shape[-2]
    return F.interpolate(image, size=size, mode="bicubic", antialias=shrinking,
                         align_corners=False).clamp(0, 1)


def _resize_hole(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A pixel that touches the hole at the new size is hole."""
    import torch.nn.functional as F

    if tuple(mask.shape[-2:]) == size:
        return mask
    if size[0] < mask.shape[-2]:
        return (F.adaptive_max_pool2d(mask, size) > 0).to(mask.dtype)
    return (F.interpolate(mask, size=size, mode="bilinear", align_corners=False) > 0).to(
        mask.dtype)


def _run(net: InpaintNet, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """One forward pass, with errors that name the model file."""
    import torch

    try:
        with torch.inference_mode():
            result = net.run(image.to(net.device), mask.to(net.device))
    except Exception as exc:  # a TorchScript model can raise anything
        raise ModelLoadError(
            f"{net.label} model {net.path} failed to inpaint ({first_line(exc)})") from exc
    if not isinstance(result, torch.Tensor) or result.shape != image.shape:
        got = tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__
        raise ModelLoadError(
            f"{net.label} model {net.path} returned {got}, expected an image of "
            f"{tuple(image.shape)}: is it a {net.label} inpainting model?")
    return result.float().cpu().clamp(0, 1)


def _fill_fixed(net: InpaintNet, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Run at the model's side: a smaller window (the picture is smaller than that side)
    is padded by repeating its edge, as known pixels, and keeps its pixels 1:1; a larger
    one (a hole too big for the side) is scaled down, and its fill back up."""
    import torch.nn.functional as F

    assert net.native_side is not None
    height, width = image.shape[-2:]
    square = max(height, width, net.native_side)
    pad = (0, square - width, 0, square - height)
    if any(pad):
        image = F.pad(image, pad, mode="replicate")
        mask = F.pad(mask, pad, mode="constant", value=0.0)
    side = (net.native_side, net.native_side)
    result = _run(net, _resize(image, side), _resize_hole(mask, side))
    return _resize(result, (square, square))[..., :height, :width]


def _fill_any_size(net: InpaintNet, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Scale down past `LAMA_MAX_SIDE` only, pad to multiples of 8 by edge repetition, run."""
    import torch.nn.functional as F

    height, width = image.shape[-2:]
    scale = min(1.0, LAMA_MAX_SIDE / max(height, width))
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    small, small_mask = _resize(image, size), _resize_hole(mask, size)
    pad = (0, -size[1] % PAD_MULTIPLE, 0, -size[0] % PAD_MULTIPLE)
    if any(pad):
        small, small_mask = F.pad(small, pad, mode="replicate"), F.pad(small_mask, pad,
                                                                       mode="replicate")
    result = _run(net, small, small_mask)[..., : size[0], : size[1]]
    return _resize(result, (height, width))


def fill_window(net: InpaintNet, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The model's fill of one window: uint8 (h, w, 3) in, uint8 (h, w, 3) out."""
    import torch

    image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float() / 255
    mask = torch.from_numpy(np.ascontiguousarray(hole))[None, None].float()
    filler = _fill_any_size if net.native_side is None else _fill_fixed
    result = filler(net, image, mask)
    return (result[0] * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


def inpaint_learned(rgb: np.ndarray, hole: np.ndarray, net: InpaintNet,
                    cancelled: Callable[[], bool] = lambda: False) -> np.ndarray:
    """`rgb` with the `hole` pixels filled by `net`, window by window; others kept exactly.
    `cancelled` is asked before each window."""
    result = rgb.copy()
    weights = feather_weights_in_hole(hole)
    for box in hole_clusters(hole, MIN_MARGIN, margin_for):
        unit_of_work(cancelled)
        top, bottom, left, right = model_window(box, net.native_side, hole.shape)
        filled = fill_window(net, rgb[top:bottom, left:right], hole[top:bottom, left:right])
        # Paste only this group's holes (those in `box`); the window may reach others,
        # which their own windows fill.
        y0, y1, x0, x1 = box
        own = filled[y0 - top : y1 - top, x0 - left : x1 - left].astype(np.float32)
        region = hole[y0:y1, x0:x1]
        alpha = weights[y0:y1, x0:x1, None]
        original = rgb[y0:y1, x0:x1].astype(np.float32)
        blended = np.rint(original + (own - original) * alpha).astype(np.uint8)
        result[y0:y1, x0:x1][region] = blended[region]
    return result
