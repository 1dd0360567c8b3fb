"""Growing a mask, feathering it, and blending a result into the original.

Generative providers re-render the whole picture; compositing keeps their
pixels only where they removed something, so the rest of the image keeps its
quality. Beyond the grown mask plus the feather the output is the input,
bit for bit. No I/O. Masks are grown with numpy on bool arrays (a few shifted ORs
per step): far cheaper than float tensor operations for these many small steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
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
    grown = np.zeros(tuple(mask.shape), dtype=bool)
    box = _bounding_box(mask, margin=radius + 1)
    if box is None:
        return torch.from_numpy(grown)
    y0, y1, x0, x1 = box
    region = mask[y0:y1, x0:x1].to(torch.bool).numpy()
    for step in range(max(0, radius)):
        region = _grow_one(region, square=step % 2 == 0)
    grown[y0:y1, x0:x1] = region
    return torch.from_numpy(grown)


@dataclass(frozen=True)
class Feather:
    """Blending weights where they are not 0: `weights` covers `box` (y0, y1, x0, x1) of
    the image; everywhere else the weight is 0 and the original stays as it is."""

    box: tuple[int, int, int, int]
    weights: torch.Tensor


def feather(mask: torch.Tensor, grow: int, width: int) -> Feather | None:
    """Weights 1 on `mask` grown by `grow`, a linear ramp down over the next `width`
    pixels, and exactly 0 beyond; None for an empty mask. Only the box around the
    mask is worked on, however large the image."""
    box = _bounding_box(mask, margin=grow + width + 1)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    region = grow_mask(mask[y0:y1, x0:x1], grow).numpy()
    # Each further step adds a ring; averaging the width+1 masks gives a linear ramp.
    total = region.astype(np.float32)
    for step in range(width):
        region = _grow_one(region, square=(grow + step) % 2 == 0)
        total += region
    return Feather(box, torch.from_numpy(total / np.float32(width + 1)))


def feather_weights(mask: torch.Tensor, grow: int, width: int) -> torch.Tensor:
    """`feather` as (H, W) float32 weights over the whole image."""
    weights = torch.zeros(mask.shape, dtype=torch.float32)
    found = feather(mask, grow, width)
    if found is not None:
        y0, y1, x0, x1 = found.box
        weights[y0:y1, x0:x1] = found.weights
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


def blend_into(target: torch.Tensor, result_in_box: torch.Tensor, weights: Feather) -> None:
    """`composite` done in place on (H, W, C) `target`, touching only the feather's box:
    `result_in_box` is the result's pixels of that box."""
    y0, y1, x0, x1 = weights.box
    region = target[y0:y1, x0:x1]
    region.copy_(composite(region, result_in_box, weights.weights))


def _grow_one(mask: np.ndarray, *, square: bool) -> np.ndarray:
    """One step of dilation of a bool array: by the 3x3 square, or by the 4-neighbour cross."""
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    if square:
        rows = grown.copy()  # the square is the vertical step, then the horizontal one
        grown[:, 1:] |= rows[:, :-1]
        grown[:, :-1] |= rows[:, 1:]
    else:
        grown[:, 1:] |= mask[:, :-1]
        grown[:, :-1] |= mask[:, 1:]
    return grown


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
