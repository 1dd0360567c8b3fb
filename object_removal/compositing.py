"""Growing a mask, feathering it, and blending a result into the original.

Generative providers re-render the whole picture; compositing keeps their
pixels only where they removed something, so the rest of the image keeps its
quality. Beyond the grown mask plus the feather the output is the input,
bit for bit. Pure torch, no I/O.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# Dilations up to this radius are exact octagons; larger ones work on a coarser grid.
EXACT_RADIUS = 32
# The feather is about 1% of the short side, within these bounds (pixels).
MIN_FEATHER = 2
MAX_FEATHER = 16


def default_feather(height: int, width: int) -> int:
    return max(MIN_FEATHER, min(MAX_FEATHER, round(min(height, width) / 100)))


def grow_mask(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Dilate a (H, W) bool mask by `radius` pixels: never less than a Euclidean
    dilation of that radius (what providers do with `dilate_size`).

    Up to EXACT_RADIUS the dilation is an octagon whose inscribed circle has the
    radius asked for, at O(radius) cost. Beyond, the same is done on a grid of cells
    (a cell is set when any of its pixels is), so the cost stays bounded; the result
    is then a little generous (by up to four cells, a few % of the radius), which is
    harmless where it is used (what to fill, where to take the provider's pixels).
    """
    if radius <= EXACT_RADIUS:
        return _grow_exactly(mask, radius)
    height, width = mask.shape
    cell = math.ceil(radius / EXACT_RADIUS)
    coarse = F.max_pool2d(mask.to(torch.float32)[None, None], kernel_size=cell, stride=cell,
                          ceil_mode=True)[0, 0] > 0
    # Any pixel within `radius` of a marked pixel lies in a cell within
    # radius / cell + sqrt(2) cells of a marked cell: two more cells cover it.
    grown = _grow_exactly(coarse, math.ceil(radius / cell) + 2)
    full = grown.repeat_interleave(cell, dim=0).repeat_interleave(cell, dim=1)
    return full[:height, :width].contiguous()


def _grow_exactly(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Alternating 3x3 square and cross steps: an octagon of inscribed radius `radius`."""
    grown = torch.zeros_like(mask, dtype=torch.bool)
    box = _bounding_box(mask, margin=radius + 1)
    if box is None:
        return grown
    y0, y1, x0, x1 = box
    region = mask[y0:y1, x0:x1].to(torch.bool)
    for step in range(max(0, radius)):
        region = _grow_one(region, square=step % 2 == 0)
    grown[y0:y1, x0:x1] = region
    return grown


def feather_weights(mask: torch.Tensor, grow: int, feather: int) -> torch.Tensor:
    """(H, W) float32 weights: 1 on `mask` grown by `grow`, a linear ramp down over
    the next `feather` pixels, and exactly 0 beyond.
    """
    height, width = mask.shape
    weights = torch.zeros((height, width), dtype=torch.float32)
    box = _bounding_box(mask, margin=grow + feather + 1)
    if box is None:
        return weights
    y0, y1, x0, x1 = box
    region = grow_mask(mask[y0:y1, x0:x1], grow)
    # Each further step adds a ring; averaging the f+1 masks gives a linear ramp.
    total = region.to(torch.float32)
    for step in range(feather):
        region = _grow_one(region, square=(grow + step) % 2 == 0)
        total += region.to(torch.float32)
    weights[y0:y1, x0:x1] = total / float(feather + 1)
    return weights


def composite(
    original: torch.Tensor, result: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """Blend (H, W, C) `result` into `original` by (H, W) `weights`.

    Where a weight is 0 the original's value is taken as is (not recomputed),
    so those pixels are bit-identical to the input.
    """
    alpha = weights.unsqueeze(-1)
    blended = original + (result - original) * alpha
    return torch.where(alpha > 0, blended, original)


def _grow_one(mask: torch.Tensor, *, square: bool) -> torch.Tensor:
    as_float = mask.to(torch.float32)[None, None]
    if square:
        grown = F.max_pool2d(as_float, kernel_size=3, stride=1, padding=1)[0, 0]
        return grown > 0
    padded = F.pad(as_float, (1, 1, 1, 1))[0, 0]
    cross = torch.maximum(
        torch.maximum(padded[1:-1, 1:-1], padded[:-2, 1:-1]),
        torch.maximum(torch.maximum(padded[2:, 1:-1], padded[1:-1, :-2]), padded[1:-1, 2:]),
    )
    return cross > 0


def _bounding_box(mask: torch.Tensor, margin: int) -> tuple[int, int, int, int] | None:
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    if rows.numel() == 0:
        return None
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    height, width = mask.shape
    return (
        max(0, int(rows[0]) - margin),
        min(height, int(rows[-1]) + 1 + margin),
        max(0, int(cols[0]) - margin),
        min(width, int(cols[-1]) + 1 + margin),
    )
