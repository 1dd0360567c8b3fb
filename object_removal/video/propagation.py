"""Filling a frame's hole from the other frames of its shot, where they show the
background.

Each hole pixel is followed along the camera's path into the nearest frames in time,
and takes the colour found there wherever that frame shows it (inside the picture,
outside that frame's own hole), brightened or darkened by the exposure difference.
The mean of the middle ones of the first few colours found (a median that also
averages away resampling error) is robust to a bad sample or two (a glint, a passing
thing no mask marks, a touch of misalignment) and, because neighbouring frames take
nearly the same samples, steady from frame to frame. Pixels no frame
shows stay unfilled: they are what keyframes are for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .camera_path import CameraPath, map_points

SAMPLES = 5
# The frames searched, by distance: every one nearby, then sparser (what one frame
# shows its neighbour usually shows too): every one up to NEAR_FRAMES away, then every
# 2nd, then every MAX_STRIDE-th.
NEAR_FRAMES = 8
MAX_STRIDE = 4


@dataclass(frozen=True)
class Propagated:
    """One frame's hole: its pixels, the colours found for them, and which were found."""

    ys: torch.Tensor
    xs: torch.Tensor
    colours: torch.Tensor
    """(N, 3) float 0..1; NaN where nothing was found."""
    seen: torch.Tensor
    """(N,) bool."""


def search_order(frame: int, frames: range) -> list[int]:
    """The other frames of the shot, nearest first: every one up to NEAR_FRAMES away,
    then every 2nd, then every 4th, alternating after and before; and the shot's first
    and last frames, always: as the camera keeps moving, what stays hidden longest is
    shown only near the shot's ends."""
    order: list[int] = []
    distance, stride = 1, 1
    longest = max(frame - frames.start, frames.stop - 1 - frame)
    while distance <= longest:
        for source in (frame + distance, frame - distance):
            if source in frames:
                order.append(source)
        if distance >= NEAR_FRAMES * stride and stride < MAX_STRIDE:
            stride *= 2
        distance += stride
    ends = [f for f in (frames.stop - 1, frames.start) if f != frame and f not in order]
    return order + ends


def propagate_frame(frame: int, frames: torch.Tensor, holes: Sequence[torch.Tensor | None],
                    path: CameraPath, samples: int = SAMPLES) -> Propagated:
    """The colours other frames show for `frame`'s hole. `frames`: (T, H, W, 3) float."""
    hole = holes[frame]
    assert hole is not None
    ys, xs = torch.nonzero(hole, as_tuple=True)
    count = ys.numel()
    found = torch.full((count, samples, 3), float("nan"))
    taken = torch.zeros(count, dtype=torch.long)
    height, width = hole.shape
    px, py = xs.to(torch.float64).numpy(), ys.to(torch.float64).numpy()
    for source in search_order(frame, path.shot_frames(frame)):
        wanting = torch.nonzero(taken < samples).flatten()
        if wanting.numel() == 0:
            break
        chosen = wanting.numpy()
        sx, sy = map_points(path.mapping(frame, source), px[chosen], py[chosen])
        inside = inside_picture(sx, sy, width, height)
        sx, sy = np.clip(sx, 0, width - 1), np.clip(sy, 0, height - 1)
        visible = np.zeros(len(chosen), bool)
        rows = np.rint(sy[inside]).astype(np.int64)
        cols = np.rint(sx[inside]).astype(np.int64)
        source_hole = holes[source]
        visible[inside] = True if source_hole is None else ~source_hole[rows, cols].numpy()
        if not visible.any():
            continue
        colours = sample_colours(frames[source], sx[visible], sy[visible])
        colours *= path.light(frame, source)
        which = wanting[torch.from_numpy(visible)]
        found[which, taken[which]] = colours
        taken[which] += 1
    return Propagated(ys, xs, robust_blend(found, taken), taken > 0)


def inside_picture(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    """Which positions fall on the picture's pixels (a pixel reaches half a pixel out)."""
    return (xs >= -0.5) & (xs <= width - 0.5) & (ys >= -0.5) & (ys <= height - 0.5)


def sample_colours(image: torch.Tensor, xs: np.ndarray, ys: np.ndarray) -> torch.Tensor:
    """(N, 3) colours of (H, W, 3) `image` at pixel positions (bicubic, clamped to 0..1).
    Only the box around the positions is read."""
    height, width = image.shape[:2]
    x0 = max(0, int(np.floor(xs.min())) - 2)
    x1 = min(width, int(np.ceil(xs.max())) + 3)
    y0 = max(0, int(np.floor(ys.min())) - 2)
    y1 = min(height, int(np.ceil(ys.max())) + 3)
    crop = image[y0:y1, x0:x1].permute(2, 0, 1)[None].contiguous()
    gx = (2 * (xs - x0) + 1) / (x1 - x0) - 1
    gy = (2 * (ys - y0) + 1) / (y1 - y0) - 1
    grid = torch.from_numpy(np.stack([gx, gy], -1)).to(torch.float32)[None, None]
    sampled = F.grid_sample(crop, grid, mode="bicubic", padding_mode="border",
                            align_corners=False)
    return sampled[0, :, 0].T.clamp(0, 1)


def robust_blend(found: torch.Tensor, taken: torch.Tensor) -> torch.Tensor:
    """(N, K, 3) colours, the first `taken` of each row filled -> (N, 3): per channel,
    the mean of the middle values (1 or 2: all; 3: the median; 4: the middle two; 5:
    the middle three). NaN where nothing was taken."""
    ordered = torch.sort(found, dim=1).values  # NaN sorts last
    slot = torch.arange(found.shape[1])[None, :]
    trim = (taken >= 5).to(torch.long)
    low = ((taken - 1) // 2 - trim).clamp(min=0)[:, None]
    high = torch.minimum(taken // 2 + 1 + trim, taken)[:, None]
    keep = ((slot >= low) & (slot < high))[:, :, None]
    total = torch.where(keep, ordered, torch.zeros_like(ordered)).sum(dim=1)
    counted = keep.sum(dim=1).to(torch.float32)
    return torch.where(counted > 0, total / counted.clamp(min=1), torch.nan)
