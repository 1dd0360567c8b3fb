"""What no frame shows: filled once, on as few keyframes as cover it, and carried to the
other frames along the camera's path.

A pixel no other frame shows is still the same spot of the scene in the neighbouring
frames (the camera moves, the spot stays): a keyframe's generated fill of that spot
serves every frame that also misses it, as far as `reach` frames away, so a fixed logo
on a still or panning shot costs one generated fill, not one per frame. Keyframes are
chosen greedily (the frame whose fill would serve the most still-unserved pixels,
again and again), which is within a small factor of the fewest and is exact in the
usual cases: one keyframe per shot, or per stretch where motion uncovers new ground.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..imaging.compositing import grow_mask
from .camera_path import CameraPath, map_points
from .propagation import inside_picture, sample_colours

# Points per frame weighed when choosing (a grid over each frame's unseen pixels).
CHOICE_GRID = 4
# A keyframe's fill serves a point that lands this close to what it filled (pixels):
# the path is accurate to a fraction of a pixel, the rest is margin.
SERVE_MARGIN = 3


@dataclass(frozen=True)
class Unseen:
    """A frame's hole pixels that no other frame shows."""

    ys: np.ndarray
    xs: np.ndarray

    def __len__(self) -> int:
        return len(self.ys)


def choose_keyframes(unseen: dict[int, Unseen], path: CameraPath, size: tuple[int, int],
                     reach: int) -> list[int]:
    """The frames whose generated fills together serve every unseen pixel, in order."""
    frames = sorted(f for f, u in unseen.items() if len(u))
    if not frames:
        return []
    height, width = size
    targets = {f: _choice_points(unseen[f]) for f in frames}
    served_zone = {k: _zone(unseen[k], size) for k in frames}
    # serves[k][f]: which of f's points a fill made on keyframe k would serve
    serves: dict[int, dict[int, np.ndarray]] = {}
    for k in frames:
        serves[k] = {}
        for f in frames:
            if abs(f - k) > reach or not path.same_shot(f, k):
                continue
            ys, xs = targets[f]
            kx, ky = map_points(path.mapping(f, k), xs.astype(np.float64), ys.astype(np.float64))
            inside = inside_picture(kx, ky, width, height)
            col = np.rint(np.clip(kx, 0, width - 1)).astype(np.int64)
            row = np.rint(np.clip(ky, 0, height - 1)).astype(np.int64)
            hit = np.zeros(len(ys), bool)
            hit[inside] = served_zone[k][row[inside], col[inside]]
            if hit.any():
                serves[k][f] = hit
    waiting = {f: np.ones(len(targets[f][0]), bool) for f in frames}
    chosen: list[int] = []
    while any(w.any() for w in waiting.values()):
        def gain(k: int) -> int:
            return sum(int((hit & waiting[f]).sum()) for f, hit in serves[k].items())

        # among equals the one nearest the middle: its fill travels least far
        middle = (frames[0] + frames[-1]) / 2
        best = max((k for k in frames if k not in chosen),
                   key=lambda k: (gain(k), -abs(k - middle)))
        if gain(best) == 0:  # cannot happen (each frame serves itself); never loop forever
            break
        chosen.append(best)
        for f, hit in serves[best].items():
            waiting[f] &= ~hit
    return sorted(chosen)


def _choice_points(unseen: Unseen) -> tuple[np.ndarray, np.ndarray]:
    """A thinned grid of the unseen pixels (keeping at least one)."""
    keep = (unseen.ys % CHOICE_GRID == 0) & (unseen.xs % CHOICE_GRID == 0)
    if not keep.any():
        keep[0] = True
    return unseen.ys[keep], unseen.xs[keep]


def _zone(unseen: Unseen, size: tuple[int, int]) -> np.ndarray:
    """Where a keyframe's generated fill is, with a margin."""
    zone = torch.zeros(size, dtype=torch.bool)
    zone[torch.from_numpy(unseen.ys), torch.from_numpy(unseen.xs)] = True
    return grow_mask(zone, SERVE_MARGIN).numpy()


def carry_fills(frame: int, unseen: Unseen, keyframes: Sequence[tuple[int, torch.Tensor]],
                path: CameraPath, reach: int) -> torch.Tensor:
    """(N, 3) colours for `frame`'s unseen pixels from the completed keyframes
    ((index, (H, W, 3) float picture) each), along the camera's path.

    Between the keyframe before and the one after, the colours cross-fade with the
    distance in time, so a switch from one fill to the next never pops. Where a pixel
    falls outside one of them, the other serves alone; outside both (only at a shot's
    border) the nearest place of the nearest keyframe serves.
    """
    same_shot = [(k, p) for k, p in keyframes if path.same_shot(frame, k)]
    within = [(k, p) for k, p in same_shot if abs(frame - k) <= reach] or [
        min(same_shot, key=lambda kp: abs(kp[0] - frame))]
    before = [kp for kp in within if kp[0] <= frame]
    after = [kp for kp in within if kp[0] >= frame]
    sides = []
    if before:
        sides.append(max(before, key=lambda kp: kp[0]))
    if after and (not sides or after[0][0] != sides[0][0]):
        sides.append(min(after, key=lambda kp: kp[0]))
    ys, xs = unseen.ys.astype(np.float64), unseen.xs.astype(np.float64)
    total = torch.zeros((len(ys), 3))
    weights = torch.zeros(len(ys))
    span = max(1, sides[-1][0] - sides[0][0])
    for k, picture in sides:
        height, width = picture.shape[:2]
        kx, ky = map_points(path.mapping(frame, k), xs, ys)
        inside = torch.from_numpy(inside_picture(kx, ky, width, height))
        closeness = 1.0 if len(sides) == 1 else 1.0 - abs(frame - k) / span
        weight = torch.where(inside, torch.tensor(max(closeness, 1e-3)), torch.tensor(1e-6))
        colours = sample_colours(picture, np.clip(kx, 0, width - 1), np.clip(ky, 0, height - 1))
        total += colours * weight[:, None]
        weights += weight
    return total / weights[:, None]
