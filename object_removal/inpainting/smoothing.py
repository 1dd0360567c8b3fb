"""Small numpy helpers for the PatchMatch path: blurs, a smooth fill, growing masks.

Pure numpy (no OpenCV or SciPy, which the pack does not require), and fast enough for
crops of a megapixel: every operation is a few vectorised passes.
"""

from __future__ import annotations

import numpy as np


def _box_along(values: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Mean over a window of 2 * radius + 1 along `axis`; the window shrinks at the edges."""
    n = values.shape[axis]
    summed = np.cumsum(values, axis=axis, dtype=np.float64)
    zero = np.zeros_like(np.take(summed, [0], axis=axis))
    summed = np.concatenate([zero, summed], axis=axis)
    index = np.arange(n)
    high, low = np.minimum(index + radius + 1, n), np.maximum(index - radius, 0)
    total = np.take(summed, high, axis=axis) - np.take(summed, low, axis=axis)
    shape = [1] * values.ndim
    shape[axis] = n
    return (total / (high - low).reshape(shape)).astype(np.float32)


def box_blur(values: np.ndarray, radius: int, passes: int = 3) -> np.ndarray:
    """A blur close to a Gaussian of sigma ~ radius * 0.8 (three box passes) on H x W [x C]."""
    out = values.astype(np.float32)
    if radius < 1:
        return out
    for _ in range(passes):
        out = _box_along(_box_along(out, radius, 0), radius, 1)
    return out


def dilate(mask: np.ndarray, steps: int = 1) -> np.ndarray:
    """`mask` grown by `steps` pixels (3 x 3 square steps)."""
    out = mask.copy()
    for _ in range(steps):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        grown[1:, 1:] |= out[:-1, :-1]
        grown[1:, :-1] |= out[:-1, 1:]
        grown[:-1, 1:] |= out[1:, :-1]
        grown[:-1, :-1] |= out[1:, 1:]
        out = grown
    return out


def erode(mask: np.ndarray, steps: int = 1) -> np.ndarray:
    """`mask` shrunk by `steps` pixels."""
    return ~dilate(~mask, steps)


def _half(values: np.ndarray) -> np.ndarray:
    """Sum over 2 x 2 blocks (an odd last row or column is kept as it is)."""
    height, width = values.shape[:2]
    pad = [(0, height % 2), (0, width % 2)] + [(0, 0)] * (values.ndim - 2)
    values = np.pad(values, pad)
    return values[0::2, 0::2] + values[1::2, 0::2] + values[0::2, 1::2] + values[1::2, 1::2]


def smooth_fill(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """H x W x C floats: `values` where `known`, elsewhere a smooth interpolation of the
    known values (pull-push: averaged down a pyramid until every cell has some, then
    brought back up, each level keeping what it knows)."""
    weight = known.astype(np.float32)
    weighted = values.astype(np.float32) * weight[..., None]
    levels = [(weighted, weight)]
    while min(weight.shape) > 1 and not (weight > 0).all():
        weighted, weight = _half(weighted), _half(weight)
        levels.append((weighted, weight))
    coarse_w = np.maximum(weight, 1e-6)[..., None]
    estimate = weighted / coarse_w
    if not (weight > 0).all():  # a 1-pixel-wide top level that knows nothing somewhere
        estimate[:] = weighted.sum(axis=(0, 1)) / max(float(weight.sum()), 1e-6)
    for level_values, level_weight in reversed(levels[:-1]):
        height, width = level_weight.shape
        up = np.repeat(np.repeat(estimate, 2, axis=0), 2, axis=1)[:height, :width]
        up = box_blur(up, 1, passes=1)
        trust = np.minimum(level_weight, 1.0)[..., None]
        mean = level_values / np.maximum(level_weight, 1e-6)[..., None]
        estimate = trust * mean + (1 - trust) * up
    return np.where(known[..., None], values.astype(np.float32), estimate)
