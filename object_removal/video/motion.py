"""How each frame of a clip relates to the next: the camera's global motion, as a
homography, and the exposure change, robust to the object being removed.

Direct alignment (Lucas-Kanade / Gauss-Newton on the pixels themselves, coarse to
fine, as in Baker & Matthews' "Lucas-Kanade 20 Years On"): every pixel of the
picture votes, the masked object's pixels are left out, and whatever else moves
(other objects, parallax) is weighed down by a robust loss (iteratively reweighted,
Tukey's biweight). It runs on torch, which ComfyUI ships, so the pack needs no OpenCV
(see the README on why not). Accurate to a small fraction of a pixel between
neighbouring frames, which is what propagation needs; a jump it cannot follow (a
scene cut) shows as pixels that no longer agree after alignment, and is reported as
a cut, never bridged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

# Motion is estimated on a copy of the frames at most this wide or high: precise enough
# (a tenth of a pixel there) and cheap at any clip size.
WORK_SIDE = 480
# The coarsest level of the pyramid is about this small on its short side.
COARSEST_SIDE = 24
# A translation search at the coarsest level catches fast pans the guess missed (up to
# this many coarsest-level pixels, about a tenth of the picture).
SEARCH_RADIUS = 6
SEARCH_MARGIN = 1.25
ITERATIONS = (12, 8, 8, 8, 8, 8)  # at most, per level, coarsest first
# Stop a level once no corner moves more than this (in its pixels): the finest level
# precisely, the coarser ones only as far as the next level needs.
STOP_SHIFT = 0.005
STOP_SHIFT_COARSE = 0.05
# Each level aligns on at most this many of its most textured pixels.
MAX_PIXELS = 12_000
SCALE_SAMPLE = 2_000
# A pixel whose grey changes by less than this to its neighbours is flat.
FLAT = 1.5 / 255  # stop a level once no corner moves more than this (its pixels)
TUKEY = 4.685
PRIOR = 1.0
SCALE_QUANTILE = 0.3
SCALE_OF_QUANTILE = 1 / 0.385  # |x| of a normal's 30th percentile is 0.385 sigma
# After alignment, at most this share of the compared pixels may disagree (a quarter
# of the picture is easily covered by an object, by parallax or motion blur) ...
CUT_DISAGREEING = 0.6
# ... or the two frames share too little of the picture to say they are one shot.
CUT_OVERLAP = 0.25
LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class Alignment:
    """How a frame lies on a reference frame of the same shot."""

    homography: np.ndarray
    """3x3: pixel coordinates (x, y) of the reference to the frame's (pixel centres at
    integers)."""
    gain: float
    """The frame's brightness over the reference's."""
    fits: bool
    """False when the two do not show one scene (a cut, or a jump too large to follow)."""


def grey_for_motion(rgb: torch.Tensor, hole: torch.Tensor | None) -> tuple[torch.Tensor,
                                                                         torch.Tensor]:
    """(H, W, 3) float 0..1 and (H, W) bool -> the small grey picture motion is estimated
    on, and where it may be used (not the object, not beside it)."""
    height, width = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    size = (max(8, round(height * scale)), max(8, round(width * scale)))
    weights = torch.tensor(LUMA, dtype=torch.float32)
    grey = (rgb.to(torch.float32) @ weights)[None, None]
    if size != (height, width):
        # antialiased bilinear keeps the geometry exact ("area" bins unevenly)
        grey = F.interpolate(grey, size=size, mode="bilinear", antialias=True,
                             align_corners=False)
    if hole is None or not bool(hole.any()):
        usable = torch.ones(size, dtype=torch.bool)
    else:
        covered = F.adaptive_max_pool2d(hole.to(torch.float32)[None, None], size)
        # a pixel beside the object is blurred with it at the working size
        usable = F.max_pool2d(covered, 3, stride=1, padding=1)[0, 0] == 0
    return grey[0, 0].contiguous(), usable


def align(reference: tuple[torch.Tensor, torch.Tensor], frame: tuple[torch.Tensor, torch.Tensor],
          full_size: tuple[int, int], guess: np.ndarray | None = None) -> Alignment:
    """How `frame` lies on `reference` (each from `grey_for_motion`). `guess`: a
    homography in full-size pixels to start from (cameras move smoothly)."""
    grey_a, usable_a = reference
    grey_b, usable_b = frame
    pyramid = _pyramid(grey_a, usable_a, grey_b, usable_b)
    homography = _identity() if guess is None else _to_normalised(guess, full_size)
    light = torch.tensor([0.0, 0.0], dtype=torch.float64)
    for level, (a, ua, b, ub) in enumerate(pyramid):
        if level == 0:
            homography = _search_translation(a, ua, b, ub, homography)
        finest = level == len(pyramid) - 1
        homography, light = _refine(a, ua, b, ub, homography, light,
                                    ITERATIONS[min(level, len(ITERATIONS) - 1)],
                                    STOP_SHIFT if finest else STOP_SHIFT_COARSE)
    disagreeing, overlap = _agreement(grey_a, usable_a, grey_b, usable_b, homography, light)
    fits = disagreeing <= CUT_DISAGREEING and overlap >= CUT_OVERLAP
    return Alignment(_to_pixels(homography, full_size), 1 / float(1 + light[0]), fits)


# --- coordinates --------------------------------------------------------------------------
# Homographies are worked on in normalised coordinates (grid_sample's, align_corners
# False: -1..1 across each side), which are the same at every pyramid level.


def _identity() -> torch.Tensor:
    return torch.eye(3, dtype=torch.float64)


def _pixels_to_normalised(size: tuple[int, int]) -> torch.Tensor:
    height, width = size
    return torch.tensor([[2 / width, 0, 1 / width - 1], [0, 2 / height, 1 / height - 1],
                         [0, 0, 1]], dtype=torch.float64)


def _to_normalised(homography: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    to = _pixels_to_normalised(size)
    return to @ torch.from_numpy(np.asarray(homography, dtype=np.float64)) @ torch.linalg.inv(to)


def _to_pixels(homography: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    to = _pixels_to_normalised(size)
    result = torch.linalg.inv(to) @ homography @ to
    return (result / result[2, 2]).numpy()


def _grid(height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    ys = (torch.arange(height, dtype=torch.float32) * 2 + 1) / height - 1
    xs = (torch.arange(width, dtype=torch.float32) * 2 + 1) / width - 1
    return torch.meshgrid(ys, xs, indexing="ij")


def _warp(image: torch.Tensor, homography: torch.Tensor, grid: tuple[torch.Tensor, torch.Tensor]
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """`image` sampled where `homography` sends each pixel of the grid; and which of
    those places lie inside the image."""
    ys, xs = grid
    h = homography.to(torch.float32)
    denominator = h[2, 0] * xs + h[2, 1] * ys + h[2, 2]
    wx = (h[0, 0] * xs + h[0, 1] * ys + h[0, 2]) / denominator
    wy = (h[1, 0] * xs + h[1, 1] * ys + h[1, 2]) / denominator
    sampled = F.grid_sample(image[None, None], torch.stack([wx, wy], -1)[None],
                            mode="bilinear", padding_mode="border", align_corners=False)[0, 0]
    height, width = image.shape
    inside = (wx.abs() <= 1 - 1 / width) & (wy.abs() <= 1 - 1 / height)
    return sampled, inside


# --- pyramid and search ---------------------------------------------------------------------


def _pyramid(grey_a: torch.Tensor, usable_a: torch.Tensor, grey_b: torch.Tensor,
             usable_b: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
    """Levels, coarsest first: (a, usable a, b, usable b)."""
    levels = [(grey_a, usable_a, grey_b, usable_b)]
    while min(levels[-1][0].shape) >= 2 * COARSEST_SIDE:
        a, ua, b, ub = levels[-1]
        levels.append((_half(a), _half_usable(ua), _half(b), _half_usable(ub)))
    return levels[::-1]


def _half(image: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(image[None, None], 2, ceil_mode=True)[0, 0]


def _half_usable(usable: torch.Tensor) -> torch.Tensor:
    return -F.max_pool2d(-usable.to(torch.float32)[None, None], 2, ceil_mode=True)[0, 0] > 0


def _search_translation(a: torch.Tensor, ua: torch.Tensor, b: torch.Tensor, ub: torch.Tensor,
                        homography: torch.Tensor) -> torch.Tensor:
    """The best of whole-pixel shifts around `homography`, by the mean absolute
    difference after removing each side's mean (so exposure changes do not matter);
    no shift unless one is clearly better."""
    height, width = a.shape
    grid = _grid(height, width)
    warped, inside = _warp(b, homography, grid)
    warped_usable, _ = _warp(ub.to(torch.float32), homography, grid)
    usable_b = inside & (warped_usable > 0.99)
    r = SEARCH_RADIUS
    best, best_cost = (0, 0), math.inf
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            # a's pixel (y, x) against the warped b's pixel (y + dy, x + dx)
            ya, yb = slice(max(0, -dy), height - max(0, dy)), slice(max(0, dy), height + min(0, dy))
            xa, xb = slice(max(0, -dx), width - max(0, dx)), slice(max(0, dx), width + min(0, dx))
            valid = ua[ya, xa] & usable_b[yb, xb]
            if int(valid.sum()) < 0.2 * height * width:
                continue
            difference = (warped[yb, xb] - a[ya, xa])[valid]
            cost = float((difference - difference.mean()).abs().mean())
            if (dx, dy) != (0, 0):
                # The guess stands unless a shift is clearly better: a second motion in
                # the picture (parallax) can make another shift look a little better.
                cost *= SEARCH_MARGIN + 0.02 * math.hypot(dx, dy)
            if cost < best_cost:
                best, best_cost = (dx, dy), cost
    dx, dy = best
    shift = torch.tensor([[1, 0, 2 * dx / width], [0, 1, 2 * dy / height], [0, 0, 1]],
                         dtype=torch.float64)
    # a's pixel x meets b where the warp sends x + shift
    return homography @ shift


# --- refinement -----------------------------------------------------------------------------


def _refine(a: torch.Tensor, ua: torch.Tensor, b: torch.Tensor, ub: torch.Tensor,
            homography: torch.Tensor, light: torch.Tensor, iterations: int, stop: float
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Gauss-Newton on 8 homography + 2 light (gain, offset) parameters, inverse
    compositional (the geometric part of the Jacobian is `a`'s, fixed for the level),
    reweighted by Tukey's biweight at every step, on `a`'s most textured usable pixels."""
    height, width = a.shape
    ys, xs = _grid(height, width)
    # Where `b` is unusable (its object), judged once for the level: the motion
    # refined here moves it by a pixel or so, which the usable margin absorbs.
    warped_usable, inside = _warp(ub.to(torch.float32), homography, (ys, xs))
    pick = _textured(a, ua & inside & (warped_usable > 0.99))
    if pick.numel() < 64:
        return homography, light
    gy, gx = _gradients(a)
    x, y = xs.flatten()[pick], ys.flatten()[pick]
    jx = gx.flatten()[pick] * (width / 2)  # per normalised unit
    jy = gy.flatten()[pick] * (height / 2)
    geometric = -torch.stack([jx * x, jx * y, jx, jy * x, jy * y, jy,
                              -(jx * x + jy * y) * x, -(jx * x + jy * y) * y], dim=1)
    template = a.flatten()[pick]
    grid = (ys.flatten()[pick][:, None], xs.flatten()[pick][:, None])
    corners = torch.tensor([[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]],
                           dtype=torch.float64).T
    shapes = _shape_directions(width / height)
    for _ in range(iterations):
        warped, inside = _warp(b, homography, grid)
        warped, inside = warped[:, 0], inside[:, 0]
        gain, offset = float(1 + light[0]), float(light[1])
        residual = gain * warped + offset - template
        weights = _tukey_weights(residual, inside)
        jacobian = torch.cat([geometric, warped[:, None], torch.ones_like(warped)[:, None]],
                             dim=1)
        weighted = jacobian * weights[:, None]
        hessian = (weighted.T @ jacobian).to(torch.float64)
        hessian += torch.eye(10, dtype=torch.float64) * (1e-6 * hessian.diagonal().mean())
        gradient = (weighted.T @ residual).to(torch.float64)
        _add_shape_prior(hessian, gradient, homography, shapes)
        step = torch.linalg.solve(hessian, -gradient)
        # inverse compositional: the template's increment, undone on the warp
        increment = torch.tensor([[1 + step[0], step[1], step[2]],
                                  [step[3], 1 + step[4], step[5]],
                                  [step[6], step[7], 1]], dtype=torch.float64)
        before = homography @ corners
        homography = homography @ torch.linalg.inv(increment)
        homography = homography / homography[2, 2]
        light = light + step[8:]
        after = homography @ corners
        moved = (after[:2] / after[2] - before[:2] / before[2]).abs()
        if float(moved[0].max()) * width / 2 < stop and float(moved[1].max()) * height / 2 < stop:
            break
    return homography, light


def _shape_directions(aspect: float) -> torch.Tensor:
    """(4, 10): how a step moves stretch, shear and the two perspective terms (see
    `_add_shape_prior`)."""
    directions = torch.zeros(4, 10, dtype=torch.float64)
    directions[0, 0], directions[0, 4] = 1.0, -1.0          # stretch: h00 - h11
    directions[1, 1], directions[1, 3] = aspect, 1 / aspect  # shear: h01 a + h10 / a
    directions[2, 6] = directions[3, 7] = 1.0                # perspective: h20, h21
    return directions


def _add_shape_prior(hessian: torch.Tensor, gradient: torch.Tensor, homography: torch.Tensor,
                     directions: torch.Tensor) -> None:
    """A prior towards a similarity (zoom, turn, move): a camera's motion between frames
    of one shot has little stretch, shear or perspective, and with them a second plane
    moving otherwise (parallax: a near layer) would pull the fit to a compromise between
    the two that matches neither. Each is held to 0 with a weight of PRIOR times the
    data's own; what the pixels really show still wins.

    In the normalised coordinates (x over the width, y over the height) a similarity
    has h00 = h11 and h01 * aspect + h10 / aspect = 0. The inverse compositional step
    moves H by about -step along each of `directions`.
    """
    h = homography / homography[2, 2]
    aspect = float(directions[1, 1])
    values = torch.stack([h[0, 0] - h[1, 1], h[0, 1] * aspect + h[1, 0] / aspect,
                          h[2, 0], h[2, 1]])
    data = hessian.diagonal()
    used = directions != 0
    weights = torch.stack([PRIOR * data[u].mean() / (d[u] ** 2).mean()
                           for d, u in zip(directions, used, strict=True)])
    hessian += directions.T @ (weights[:, None] * directions)
    gradient -= directions.T @ (weights * values)


def _textured(image: torch.Tensor, usable: torch.Tensor) -> torch.Tensor:
    """Flat indexes of the usable pixels to align on: those with some texture (flat
    areas add cost and nothing else), evenly thinned to at most MAX_PIXELS. (Taking only
    the strongest edges instead biases the result by a tenth of a pixel.)"""
    gy, gx = _gradients(image)
    strength = (gx.abs() + gy.abs()).flatten()
    candidates = torch.nonzero(usable.flatten() & (strength > FLAT)).flatten()
    if candidates.numel() < MAX_PIXELS // 4:
        candidates = torch.nonzero(usable.flatten()).flatten()
    if candidates.numel() <= MAX_PIXELS:
        return candidates
    stride = candidates.numel() / MAX_PIXELS
    return candidates[(torch.arange(MAX_PIXELS, dtype=torch.float64) * stride).long()]


def _gradients(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences (one-sided at the borders), in pixels."""
    padded = F.pad(image[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
    gy = (padded[2:, 1:-1] - padded[:-2, 1:-1]) / 2
    gx = (padded[1:-1, 2:] - padded[1:-1, :-2]) / 2
    return gy, gx


def _tukey_weights(residual: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    values = residual[valid].abs()
    if values.numel() > 2 * SCALE_SAMPLE:  # a spread sample estimates it as well
        values = values[:: values.numel() // SCALE_SAMPLE]
    # The spread of the best-fitting third (scaled to a normal's sigma), not the median:
    # where a second motion (a near layer, a crowd) covers half the picture, the fit
    # stays with the motion it started from instead of settling between the two.
    sigma = max(SCALE_OF_QUANTILE * float(torch.quantile(values, SCALE_QUANTILE)), 1.0 / 255)
    scaled = residual / (TUKEY * sigma)
    weights = (1 - scaled**2).clamp(min=0) ** 2
    return torch.where(valid, weights, torch.zeros_like(weights))


def _agreement(a: torch.Tensor, ua: torch.Tensor, b: torch.Tensor, ub: torch.Tensor,
               homography: torch.Tensor, light: torch.Tensor) -> tuple[float, float]:
    """After alignment: the share of compared pixels that disagree, and the share of the
    picture compared."""
    grid = _grid(*a.shape)
    warped, inside = _warp(b, homography, grid)
    warped_usable, _ = _warp(ub.to(torch.float32), homography, grid)
    valid = ua & inside & (warped_usable > 0.99)
    count = int(valid.sum())
    overlap = float(inside.to(torch.float32).mean())
    if count < 64:
        return 1.0, overlap
    residual = float(1 + light[0]) * warped + float(light[1]) - a
    # Disagreeing: off by more than what texture and noise explain (the residual a
    # half-pixel misalignment would leave, or 4 grey levels).
    gy, gx = _gradients(a)
    tolerance = 0.5 * (gx.abs() + gy.abs()) + 4 / 255
    disagreeing = float((residual.abs() > tolerance)[valid].to(torch.float32).mean())
    return disagreeing, overlap
