"""Multi-scale PatchMatch completion in numpy, guided by a structure layer.

The hole is filled coarse to fine (Wexler et al., "Space-time completion of video",
2007; Barnes et al., "PatchMatch", 2009): at each scale every hole pixel's patch is
matched to a patch of the allowed sources (`surroundings.allowed_sources`) by a
vectorised PatchMatch, and each hole pixel becomes the average of what the patches
covering it propose. The match cost adds to the patches' difference

- a penalty when the source's colour class differs from the class the structure
  layer gave the target (`CLASS_PENALTY`): texture follows the structure;
- a penalty growing with the distance from target to source (`DISTANCE_PENALTY`):
  what is near the hole is preferred to what is far.

Written here rather than calling a native PatchMatch so that (1) those constraints
are per pixel, (2) the work stops within a fraction of a second on Cancel: every
unit of work (a PatchMatch round or a vote at one scale) checks `cancelled` first
(`work_units.unit_of_work`), and (3) the pack needs no compiled library for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .smoothing import box_blur, dilate, erode, smooth_fill
from .surroundings import hole_radius
from .work_units import unit_of_work

RADIUS = 3  # patch radius: 7 x 7 patches
SAMPLE = (-3, -1, 1, 3)  # descriptor taps along each axis (16 of the 49 pixels)
CLASS_PENALTY = 200.0  # squared grey levels: a 14-level mean difference
DISTANCE_PENALTY = 60.0  # squared grey levels per hole radius of distance, squared
COARSEST_RADIUS = 6.0  # hole radius (px) at the coarsest scale
EM_ROUNDS_COARSEST = 6
EM_ROUNDS = 3
PM_ROUNDS = 2
RANDOM_TRIES = 3
DESCRIPTOR_BLUR = 1  # px, before the taps are read
# How much the vote leans on the best-matching patches: at 1 (a plain weighted mean)
# the fill averages to a smooth wash; 8 kept more texture and scored best on the
# development cases (foreign content and PSNR; pixel copies and a penalty on reusing
# a source gave more grain but more collage).
SHARPNESS = 8.0


@dataclass
class Level:
    image: np.ndarray  # (h, w, 3) float32, padded by RADIUS
    hole: np.ndarray  # (h, w) bool, padded
    classes: np.ndarray  # (h, w) int32, padded; the structure layer inside the hole
    sources: np.ndarray  # (h, w) bool: valid source patch centres


def _pad(values: np.ndarray, mode: str = "edge", fill: object = 0) -> np.ndarray:
    pad = [(RADIUS, RADIUS), (RADIUS, RADIUS)] + [(0, 0)] * (values.ndim - 2)
    if mode == "constant":
        return np.pad(values, pad, mode="constant", constant_values=fill)
    return np.pad(values, pad, mode="edge")


def _resize(values: np.ndarray, size: tuple[int, int], resample: Image.Resampling
            ) -> np.ndarray:
    """(h, w) or (h, w, 3) float32 at size (width, height)."""
    if values.ndim == 2:
        return np.asarray(Image.fromarray(values.astype(np.float32), mode="F").resize(
            size, resample))
    return np.stack([_resize(values[..., c], size, resample) for c in range(values.shape[2])],
                    axis=-1)


def build_levels(rgb: np.ndarray, hole: np.ndarray, classes: np.ndarray, allowed: np.ndarray
                 ) -> list[Level]:
    """The scales to fill at, finest (the input's) first."""
    levels = []
    image, scale = rgb.astype(np.float32), 1.0
    radius = hole_radius(hole)
    height, width = hole.shape
    while True:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if scale == 1.0:
            level_image, level_hole = image, hole
            level_classes, level_allowed = classes, allowed
        else:
            level_image = _resize(image, size, Image.Resampling.BOX)
            level_hole = _resize(hole.astype(np.float32), size, Image.Resampling.BOX) > 0
            level_classes = np.asarray(Image.fromarray(classes.astype(np.int32), mode="I").resize(
                size, Image.Resampling.NEAREST)).astype(np.int32)
            level_allowed = _resize(allowed.astype(np.float32), size,
                                    Image.Resampling.BOX) > 0.999
        padded_hole = _pad(level_hole)
        inside = _pad(np.ones_like(level_hole), "constant", False)
        usable = _pad(level_allowed & ~level_hole, "constant", False) | ~inside
        sources = erode(usable, RADIUS) & inside & ~padded_hole
        if levels and not sources.any():  # too coarse to have whole patches to copy
            return levels
        levels.append(Level(_pad(level_image), padded_hole, _pad(level_classes), sources))
        if radius * scale / 2 < COARSEST_RADIUS or min(size) < 8 * RADIUS:
            return levels
        scale /= 2


def _descriptors(image: np.ndarray) -> np.ndarray:
    """(h, w, 48): 16 taps of each pixel's 7 x 7 patch, of the image blurred by one pixel."""
    blurred = box_blur(image, DESCRIPTOR_BLUR, passes=2)
    height, width = image.shape[:2]
    padded = np.pad(blurred, [(RADIUS, RADIUS), (RADIUS, RADIUS), (0, 0)], mode="edge")
    taps = [padded[RADIUS + dy : RADIUS + dy + height, RADIUS + dx : RADIUS + dx + width]
            for dy in SAMPLE for dx in SAMPLE]
    return np.concatenate(taps, axis=-1)


class _Matcher:
    """The nearest-neighbour field of one level's hole pixels, and its costs."""

    def __init__(self, level: Level, rng: np.random.Generator, radius: float) -> None:
        self.level = level
        self.rng = rng
        self.height, self.width = level.hole.shape
        # The hole's pixels, and the known ones whose patches reach into it: those match
        # what borders the hole and vote its continuation in (anchoring the fill).
        reach = dilate(level.hole, RADIUS)
        reach[:RADIUS] = reach[-RADIUS:] = False
        reach[:, :RADIUS] = reach[:, -RADIUS:] = False
        self.targets = np.flatnonzero(reach | level.hole)
        self.in_hole = level.hole.reshape(-1)[self.targets]
        self.holes = np.flatnonzero(level.hole)
        self.target_class = level.classes.reshape(-1)[self.targets]
        self.source_flat = np.flatnonzero(level.sources)
        self.source_class = level.classes.reshape(-1)[self.source_flat]
        self.radius = max(radius, 1.0)
        self.by_class = {int(k): self.source_flat[self.source_class == k]
                         for k in np.unique(self.target_class)}
        self.nnf = self._random_sources()
        self.cost = np.full(len(self.targets), np.inf, np.float32)

    def _random_sources(self) -> np.ndarray:
        """A random source per target, of its class where that class has sources."""
        chosen = self.source_flat[self.rng.integers(0, len(self.source_flat), len(self.targets))]
        for k, pool in self.by_class.items():
            members = np.flatnonzero(self.target_class == k)
            if len(pool) and len(members):
                chosen[members] = pool[self.rng.integers(0, len(pool), len(members))]
        return chosen

    def _costs(self, descriptors: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        flat = descriptors.reshape(-1, descriptors.shape[-1])
        valid = self.level.sources.reshape(-1)[candidates]
        difference = flat[candidates] - flat[self.targets]
        cost = np.einsum("ij,ij->i", difference, difference) / difference.shape[1]
        classes = self.level.classes.reshape(-1)[candidates]
        cost += CLASS_PENALTY * (classes != self.target_class)
        dy = candidates // self.width - self.targets // self.width
        dx = candidates % self.width - self.targets % self.width
        cost += DISTANCE_PENALTY * (dy * dy + dx * dx) / self.radius**2
        return np.where(valid, cost, np.inf).astype(np.float32)

    def _try(self, descriptors: np.ndarray, candidates: np.ndarray) -> None:
        candidates = np.clip(candidates, 0, self.height * self.width - 1)
        cost = self._costs(descriptors, candidates)
        better = cost < self.cost
        self.nnf[better], self.cost[better] = candidates[better], cost[better]

    def improve(self, descriptors: np.ndarray, cancelled: Callable[[], bool]) -> None:
        """Re-cost the field on the new image, then PatchMatch rounds: propagation from
        neighbours at shrinking steps, and random search around the best match."""
        self.cost = self._costs(descriptors, self.nnf)
        offsets = self.nnf - self.targets
        index = np.full(self.height * self.width, -1, np.int64)
        index[self.targets] = np.arange(len(self.targets))
        for _ in range(PM_ROUNDS):
            unit_of_work(cancelled)
            for step in (8, 4, 2, 1):
                for shift in (step, -step, step * self.width, -step * self.width):
                    neighbour = np.clip(self.targets + shift, 0, len(index) - 1)
                    known = index[neighbour]
                    has = known >= 0
                    candidate = self.nnf.copy()
                    candidate[has] = self.targets[has] + offsets[known[has]]
                    self._try(descriptors, candidate)
                    offsets = self.nnf - self.targets
            reach = max(self.height, self.width) / 2
            while reach >= 1:
                for _ in range(RANDOM_TRIES):
                    ry = self.rng.integers(-int(reach), int(reach) + 1, len(self.targets))
                    rx = self.rng.integers(-int(reach), int(reach) + 1, len(self.targets))
                    y = np.clip(self.nnf // self.width + ry, 0, self.height - 1)
                    x = np.clip(self.nnf % self.width + rx, 0, self.width - 1)
                    self._try(descriptors, y * self.width + x)
                reach /= 2
            self._try(descriptors, self._random_sources())
            offsets = self.nnf - self.targets

    def vote(self) -> np.ndarray:
        """Each hole pixel: the mean of what the patches over it propose, weighted
        towards the best-matching ones (`SHARPNESS`)."""
        image = self.level.image.reshape(-1, 3)
        index = np.full(self.height * self.width, -1, np.int64)
        index[self.holes] = np.arange(len(self.holes))
        finite = np.isfinite(self.cost)
        scale = max(float(np.median(self.cost[finite])) if finite.any() else 1.0, 1.0)
        best = self.cost[finite].min(initial=0)
        weight = np.where(finite, np.exp(-SHARPNESS * (self.cost - best) / (2 * scale)), 0.0)
        total = np.zeros((len(self.holes), 3), np.float64)
        weights = np.zeros(len(self.holes), np.float64)
        for dy in range(-RADIUS, RADIUS + 1):
            for dx in range(-RADIUS, RADIUS + 1):
                shift = dy * self.width + dx
                covered = np.clip(self.targets + shift, 0, len(index) - 1)
                receiver = index[covered]
                ok = receiver >= 0
                source = np.clip(self.nnf[ok] + shift, 0, len(index) - 1)
                for channel in range(3):
                    total[:, channel] += np.bincount(
                        receiver[ok], weights=weight[ok] * image[source, channel],
                        minlength=len(self.holes))
                weights += np.bincount(receiver[ok], weights=weight[ok],
                                       minlength=len(self.holes))
        current = image[self.holes]
        have = weights > 0
        current[have] = (total[have] / weights[have, None]).astype(np.float32)
        return current


def _upsample_field(coarse: _Matcher, fine: _Matcher) -> None:
    """Start the finer level's field from the coarser one's offsets, doubled."""
    cy, cx = coarse.targets // coarse.width, coarse.targets % coarse.width
    offset_map = np.zeros((coarse.height, coarse.width, 2), np.int64)
    offset_map[cy, cx, 0] = coarse.nnf // coarse.width - cy
    offset_map[cy, cx, 1] = coarse.nnf % coarse.width - cx
    fy, fx = fine.targets // fine.width, fine.targets % fine.width
    # both levels are padded by RADIUS: map through the unpadded coordinates
    sy = np.clip((fy - RADIUS) // 2 + RADIUS, 0, coarse.height - 1)
    sx = np.clip((fx - RADIUS) // 2 + RADIUS, 0, coarse.width - 1)
    y = np.clip(fy + 2 * offset_map[sy, sx, 0], 0, fine.height - 1)
    x = np.clip(fx + 2 * offset_map[sy, sx, 1], 0, fine.width - 1)
    candidate = y * fine.width + x
    fine.nnf = np.where(fine.level.sources.reshape(-1)[candidate], candidate, fine.nnf)


def _upsample_fill(coarse_image: np.ndarray, fine: Level) -> None:
    """Put the coarser level's fill, scaled up, into the finer level's hole."""
    inner = coarse_image[RADIUS:-RADIUS, RADIUS:-RADIUS]
    height, width = fine.hole.shape[0] - 2 * RADIUS, fine.hole.shape[1] - 2 * RADIUS
    scaled = _pad(_resize(inner, (width, height), Image.Resampling.BILINEAR))
    fine.image[fine.hole] = scaled[fine.hole]


def _initial_fill(level: Level) -> None:
    """The coarsest hole: each pixel the mean colour of its class's sources, smoothed."""
    guess = smooth_fill(level.image, ~level.hole)
    for k in np.unique(level.classes[level.hole]):
        pool = level.sources & (level.classes == k)
        if pool.any():
            where = level.hole & (level.classes == k)
            guess[where] = 0.5 * guess[where] + 0.5 * level.image[pool].mean(axis=0)
    level.image[level.hole] = guess[level.hole]


def complete(rgb: np.ndarray, hole: np.ndarray, classes: np.ndarray, allowed: np.ndarray,
             seed: int, cancelled: Callable[[], bool]) -> tuple[np.ndarray, np.ndarray]:
    """`rgb` (uint8) with `hole` filled from `allowed` pixels, following `classes` (the
    structure layer, defined inside the hole too), and for each hole pixel the (y, x)
    of the known pixel it copies (-1 elsewhere; all -1 when nothing could be copied).
    Raises Cancelled between units of work."""
    copied_from = np.full(hole.shape + (2,), -1, np.int32)
    levels = build_levels(rgb, hole, classes, allowed)
    if not levels[0].sources.any():  # no whole patch to copy: a smooth fill is all there is
        smooth = smooth_fill(rgb.astype(np.float32), ~hole)
        return np.clip(np.rint(smooth), 0, 255).astype(np.uint8), copied_from
    rng = np.random.default_rng(seed)
    radius = hole_radius(hole)
    previous: _Matcher | None = None
    for depth, level in enumerate(reversed(levels)):
        level_radius = radius / 2 ** (len(levels) - 1 - depth)
        matcher = _Matcher(level, rng, level_radius)
        if previous is None:
            _initial_fill(level)
            rounds = EM_ROUNDS_COARSEST
        else:
            _upsample_fill(previous.level.image, level)
            _upsample_field(previous, matcher)
            rounds = EM_ROUNDS
        for _ in range(rounds):
            matcher.improve(_descriptors(level.image), cancelled)
            unit_of_work(cancelled)
            level.image[level.hole] = matcher.vote()
        previous = matcher
    assert previous is not None
    targets, nnf = previous.targets[previous.in_hole], previous.nnf[previous.in_hole]
    ty, tx = targets // previous.width, targets % previous.width
    inside = (ty >= RADIUS) & (ty < previous.height - RADIUS) & (tx >= RADIUS) & (
        tx < previous.width - RADIUS)
    copied_from[ty[inside] - RADIUS, tx[inside] - RADIUS, 0] = (
        nnf[inside] // previous.width - RADIUS)
    copied_from[ty[inside] - RADIUS, tx[inside] - RADIUS, 1] = (
        nnf[inside] % previous.width - RADIUS)
    np.clip(copied_from[..., 0], -1, hole.shape[0] - 1, out=copied_from[..., 0])
    np.clip(copied_from[..., 1], -1, hole.shape[1] - 1, out=copied_from[..., 1])
    finest = levels[0].image[RADIUS:-RADIUS, RADIUS:-RADIUS]
    return np.clip(np.rint(finest), 0, 255).astype(np.uint8), copied_from
