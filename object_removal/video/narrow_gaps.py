"""Slivers no frame shows, too narrow to be worth a generated fill: filled from the
pixels around them.

Where the object touches the picture's edge as the camera pans, or where its mask
is a pixel wider in one frame than in all others, a few pixels wide of background
is never seen. Sending a keyframe for that would cost a call for nothing anyone sees:
a gap at most NARROW pixels from known pixels is filled by growing the known colours
into it, ring by ring (each pixel the mean of its known neighbours).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..imaging.compositing import grow_mask

NARROW = 4


def split_narrow(unseen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(narrow, wide): the wide part is every disc of radius NARROW that fits in
    `unseen` (its opening); the rest is narrow. Beyond the picture counts as seen, so
    a strip along the edge is narrow."""
    mask = torch.from_numpy(unseen)
    eroded = ~grow_mask(~mask, NARROW)
    wide = grow_mask(eroded, NARROW) & mask
    wide_array = wide.numpy()
    return unseen & ~wide_array, wide_array


def fill_from_around(picture: torch.Tensor, gaps: np.ndarray,
                     unknown: np.ndarray | None = None) -> np.ndarray:
    """Fill `gaps` of (H, W, 3) `picture` in place from the known pixels around them
    (all but `unknown`, which holds the gaps and may hold more: pixels still to be
    filled otherwise, whose colours are the object's). Returns the part of the gaps no
    known pixel reached."""
    unknown = gaps if unknown is None else unknown
    ys, xs = np.nonzero(gaps)
    if len(ys) == 0:
        return gaps
    height, width = gaps.shape
    y0, y1 = max(0, ys.min() - 1), min(height, ys.max() + 2)
    x0, x1 = max(0, xs.min() - 1), min(width, xs.max() + 2)
    region = picture[y0:y1, x0:x1].permute(2, 0, 1)[None]  # a view: writes go through
    known = torch.from_numpy(~unknown[y0:y1, x0:x1]).to(torch.float32)[None, None]
    to_fill = torch.from_numpy(gaps[y0:y1, x0:x1])
    kernel = torch.tensor([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=torch.float32)
    for _ in range(4 * NARROW):
        todo = (known[0, 0] == 0) & to_fill
        if not bool(todo.any()):
            break
        weight = F.conv2d(F.pad(known, (1, 1, 1, 1)), kernel[None, None])
        total = F.conv2d(F.pad(region * known, (1, 1, 1, 1)),
                         kernel[None, None].repeat(3, 1, 1, 1), groups=3)
        reached = todo & (weight[0, 0] > 0)
        if not bool(reached.any()):
            break
        mean = total / weight.clamp(min=1)
        region[0, :, reached] = mean[0, :, reached]
        known[0, 0, reached] = 1
    left = gaps.copy()
    left[y0:y1, x0:x1] = ((known[0, 0] == 0) & to_fill).numpy()
    return left
