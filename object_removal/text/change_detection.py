"""Finding what a provider changed when it rendered the whole picture again.

Text removal hands back a new rendering of the whole image at the provider's
size: colours drift a little everywhere, every pixel carries fresh noise and
JPEG's artefacts, and only where the object was is the content really new. To
keep the user's own pixels everywhere else, that area is found here, at the
provider's scale (where both pictures were resampled once, so the comparison is
fair):

1. undo the colour drift: a gain and offset per channel, fitted on the pixels that
   agree best, so the new content cannot pull the fit;
2. blur the per-pixel colour distance, so noise averages out and only changes
   with some extent stay large;
3. call changed what stands clear of the picture's own noise level (median plus a
   multiple of the robust spread of that blurred distance, never less than a floor),
   with more allowed along edges both pictures share, where resampling and JPEG err;
4. drop thin lines and small specks, keep regions of real size, fill their holes,
   and grow them by a margin that covers the blur's rounding and the provider's
   blending at the seam.

Pure numpy and torch, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..imaging.compositing import grow_mask
from .mask_regions import drop_small_regions, fill_holes

# A change covering more than this share of the picture is no local removal.
GLOBAL_SHARE = 0.5
# If the typical (median) distance left after the colour fit exceeds this many levels,
# the provider changed the picture everywhere (restyled, moved, repainted it).
GLOBAL_NOISE_LEVELS = 12.0
# Changed: blurred distance above median + NOISE_SPREADS x robust spread, and at least
# median + MIN_EXCESS_LEVELS (a clean re-render has almost no spread).
NOISE_SPREADS = 6.0
MIN_EXCESS_LEVELS = 4.0
# Per level of edge strength both pictures share, this many more levels are needed.
EDGE_ALLOWANCE = 0.5
# Regions smaller than this share of the picture are noise, not a removed object.
MIN_REGION_SHARE = 0.0005
# Pixels per blur radius and per margin pixel, on the provider picture's short side. The
# margin goes beyond the blur radius (which is what a faint change's edge may lose).
BLUR_DIVISOR = 300
MARGIN_DIVISOR = 500
# How many of the best-agreeing pixels the colour fit keeps in its later rounds.
FIT_KEEP_SHARE = 0.5
FIT_ROUNDS = 3
FIT_SAMPLES = 200_000
GAIN_BOUNDS = (0.5, 2.0)


@dataclass(frozen=True)
class ColourDrift:
    """provider = original * gain + offset, per channel (levels 0..255)."""

    gain: np.ndarray
    offset: np.ndarray

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        return rgb * self.gain + self.offset

    def undo(self, rgb: np.ndarray) -> np.ndarray:
        """`rgb` (the provider's colours) brought back to the original's, as uint8."""
        restored = (rgb.astype(np.float32) - self.offset) / self.gain
        return np.clip(np.floor(restored + 0.5), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class DetectedChange:
    """Where the provider's picture differs from the original, at the provider's size."""

    mask: np.ndarray
    """(h, w) bool, grown by the margin."""
    share: float
    """Of the picture covered by `mask`, 0..1."""
    noise_levels: float
    """The typical blurred distance left after the colour fit."""
    drift: ColourDrift
    is_global: bool
    """Changed almost everywhere: no local area to keep the original around."""


def detect_change(original: np.ndarray, result: np.ndarray) -> DetectedChange:
    """Compare (h, w, 3) uint8 pictures of the same size: the original shrunk to the
    provider's size, and the provider's picture."""
    if original.shape != result.shape:
        raise ValueError(f"sizes differ: {original.shape} and {result.shape}")
    height, width = result.shape[:2]
    short = min(height, width)
    radius = max(1, round(short / BLUR_DIVISOR))
    before = original.astype(np.float32)
    after = result.astype(np.float32)
    smooth_before, smooth_after = box_blur(before, radius), box_blur(after, radius)
    drift = fit_colour_drift(smooth_before, smooth_after)
    # New colour: the residual blurred before its size is taken, so noise and JPEG's
    # colour errors (which average out) vanish and a real change stays.
    colour = np.linalg.norm(smooth_after - drift.apply(smooth_before), axis=-1)
    # New texture of the same colour: the residual's size blurred; noisier, so it
    # only counts where it clearly stands out.
    texture = box_blur(np.linalg.norm(after - drift.apply(before), axis=-1), radius)

    noise = float(np.median(colour))
    if noise > GLOBAL_NOISE_LEVELS:
        return DetectedChange(np.ones((height, width), bool), 1.0, noise, drift, True)
    # Resampling and JPEG err most along edges both pictures share; a removal leaves an
    # edge in one picture only (the object's, or the new content's).
    shared_edges = np.minimum(edge_strength(before, radius), edge_strength(after, radius))
    allowance = EDGE_ALLOWANCE * shared_edges
    changed = _stands_out(colour, allowance) | _stands_out(texture, allowance)
    # Thin lines are what is left of those errors, not a removal.
    changed = open_mask(changed, radius + 1)
    changed = drop_small_regions(changed, max(4, round(MIN_REGION_SHARE * height * width)))
    changed = fill_holes(changed)
    margin = radius + max(1, round(short / MARGIN_DIVISOR))
    grown = grow_mask(torch.from_numpy(changed), margin).numpy()
    share = float(grown.mean())
    return DetectedChange(grown, share, noise, drift, share > GLOBAL_SHARE)


def _stands_out(distance: np.ndarray, allowance: np.ndarray) -> np.ndarray:
    """Where `distance` is clear of its own typical level and spread over the picture,
    plus a local `allowance`."""
    median = float(np.median(distance))
    spread = 1.4826 * float(np.median(np.abs(distance - median)))
    return distance > median + max(NOISE_SPREADS * spread, MIN_EXCESS_LEVELS) + allowance


def edge_strength(rgb: np.ndarray, radius: int) -> np.ndarray:
    """(h, w): the colour step to the next pixel right and down, in levels, averaged
    over the square of `radius` + 1 around each pixel."""
    steps = np.zeros(rgb.shape[:2], dtype=np.float32)
    steps[:, :-1] += np.linalg.norm(np.diff(rgb, axis=1), axis=-1)
    steps[:-1, :] += np.linalg.norm(np.diff(rgb, axis=0), axis=-1)
    return box_blur(steps, radius + 1)


def open_mask(mask: np.ndarray, radius: int) -> np.ndarray:
    """`mask` without the parts narrower than about 2 x `radius`: shrunk, then grown back.

    Worked on the box around the set pixels, with an unset border: shrinking only
    needs to see where the mask ends, and that box is often a small part of the picture.
    """
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return mask.copy()
    # One unset row or column on each side of the set pixels, where the picture has one.
    y0, y1 = max(0, rows[0] - 1), min(mask.shape[0], rows[-1] + 2)
    x0, x1 = max(0, cols[0] - 1), min(mask.shape[1], cols[-1] + 2)
    box = torch.from_numpy(np.ascontiguousarray(mask[y0:y1, x0:x1]))
    shrunk = ~grow_mask(~box, radius)
    opened = np.zeros_like(mask)
    opened[y0:y1, x0:x1] = grow_mask(shrunk, radius).numpy()
    return opened & mask


def fit_colour_drift(before: np.ndarray, after: np.ndarray) -> ColourDrift:
    """Per channel least squares after = before * gain + offset, refitted on the half of
    the pixels that agree best, so up to half the picture may be new content."""
    flat_before = before.reshape(-1, 3)
    flat_after = after.reshape(-1, 3)
    step = max(1, len(flat_before) // FIT_SAMPLES)  # a fixed sample: fast, deterministic
    x, y = flat_before[::step].astype(np.float64), flat_after[::step].astype(np.float64)
    keep = np.ones(len(x), dtype=bool)
    gain, offset = np.ones(3), np.zeros(3)
    for _ in range(FIT_ROUNDS):
        for channel in range(3):
            gain[channel], offset[channel] = _line(x[keep, channel], y[keep, channel])
        residual = np.linalg.norm(y - (x * gain + offset), axis=1)
        keep = residual <= np.quantile(residual, FIT_KEEP_SHARE)
    return ColourDrift(gain.astype(np.float32), offset.astype(np.float32))


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least squares y = gain * x + offset, the gain within GAIN_BOUNDS (a flat channel
    has no gain to speak of: then only the offset moves)."""
    variance = float(np.var(x))
    gain = float(np.cov(x, y, bias=True)[0, 1]) / variance if variance > 1e-6 else 1.0
    gain = min(max(gain, GAIN_BOUNDS[0]), GAIN_BOUNDS[1])
    return gain, float(np.mean(y) - gain * np.mean(x))


def box_blur(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1)^2 square around each pixel, counting only pixels inside the
    picture; (h, w) or (h, w, channels), float32. Done as a column pass then a row pass:
    the mean over a clipped square is the mean of the clipped column means."""
    array = np.asarray(values, dtype=np.float32)
    planes = torch.from_numpy(np.ascontiguousarray(array.reshape(*array.shape[:2], -1)))
    planes = planes.permute(2, 0, 1)[:, None]  # (channels, 1, h, w)
    size = 2 * radius + 1
    planes = F.avg_pool2d(planes, (size, 1), stride=1, padding=(radius, 0),
                          count_include_pad=False)
    planes = F.avg_pool2d(planes, (1, size), stride=1, padding=(0, radius),
                          count_include_pad=False)
    return planes[:, 0].permute(1, 2, 0).contiguous().numpy().reshape(array.shape)
