"""What may fill a hole: the segments of the picture that border it, and a structure
layer that continues them into it.

Plain PatchMatch copies from anywhere, so beside a face it pastes the face. A band
around the hole whose width grows with the hole is no better once the band reaches
the face. Here the picture around the hole is cut into segments (`segment`: colour
classes of the lightly smoothed picture, then their connected pieces), and only the
segments that touch the hole's outer ring may be copied from (`allowed_sources`),
plus pixels near the hole of a colour class that touches the ring (the same grass
or fabric, broken into pieces by its own texture). A face that does not touch the
ring is never a source, however large the hole.

The structure layer (`hole_classes`) gives each hole pixel the class that continues
the ring around it: each class's indicator is interpolated smoothly from the ring
into the hole and the largest wins, so the border between two surfaces that enter
the hole on opposite sides (a horizon, a shelf's edge) joins across it. The texture
fill then copies each hole pixel from its own class.

Pure numpy, plus scipy's `ndimage.label` (ComfyUI ships scipy).
"""

from __future__ import annotations

import numpy as np

from .smoothing import box_blur, dilate, smooth_fill

CLASSES = 8
SMOOTHING_FRACTION = 0.1  # of the hole's radius: texture finer than this is one colour
MIN_SMOOTHING = 2
RING = 3  # px: the hole's outer ring
NEAR_FRACTION = 1.0  # of the hole's radius: same-class pixels this near may be copied
MIN_NEAR = 12
KMEANS_ROUNDS = 8
KMEANS_SAMPLE = 20_000


def _kmeans(values: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` cluster centres of the rows of `values` (farthest-point start, Lloyd rounds)."""
    sample = values[rng.choice(len(values), min(len(values), KMEANS_SAMPLE), replace=False)]
    centres = [sample.mean(axis=0)]
    nearest = ((sample - centres[0]) ** 2).sum(axis=1)
    for _ in range(count - 1):
        centres.append(sample[int(nearest.argmax())])
        nearest = np.minimum(nearest, ((sample - centres[-1]) ** 2).sum(axis=1))
    centres_arr = np.stack(centres)
    for _ in range(KMEANS_ROUNDS):
        assign = _nearest_centre(sample, centres_arr)
        for k in range(count):
            members = sample[assign == k]
            if len(members):
                centres_arr[k] = members.mean(axis=0)
    return centres_arr


def _nearest_centre(values: np.ndarray, centres: np.ndarray) -> np.ndarray:
    distance = ((values[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return distance.argmin(axis=1)


def segment(rgb: np.ndarray, hole: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(colour class per pixel, segment id per pixel) of the known pixels; the hole's
    pixels get class -1 and segment 0."""
    from scipy import ndimage

    radius = max(MIN_SMOOTHING, round(SMOOTHING_FRACTION * hole_radius(hole)))
    known = ~hole
    # a blur of the known pixels only: the object's colour must not tint its ring
    weight = box_blur(known.astype(np.float32), radius, passes=1)[..., None]
    smooth = box_blur(rgb.astype(np.float32) * known[..., None], radius, passes=1) / np.maximum(
        weight, 1e-6)
    centres = _kmeans(smooth[known], min(CLASSES, int(known.sum())),
                      np.random.default_rng(seed))
    classes = np.full(hole.shape, -1, np.int32)
    classes[known] = _nearest_centre(smooth[known], centres)
    segments = np.zeros(hole.shape, np.int32)
    next_id = 1
    for k in range(len(centres)):
        pieces, count = ndimage.label(classes == k)
        segments[pieces > 0] = pieces[pieces > 0] + next_id - 1
        next_id += count
    return classes, segments


def hole_radius(hole: np.ndarray) -> float:
    """The radius of a disc of the hole's area: the scale that context and blur follow."""
    return float(np.sqrt(hole.sum() / np.pi))


def outer_ring(hole: np.ndarray, width: int = RING) -> np.ndarray:
    return dilate(hole, width) & ~hole


def allowed_sources(classes: np.ndarray, segments: np.ndarray, hole: np.ndarray
                    ) -> np.ndarray:
    """Known pixels the fill may copy: segments touching the ring, and pixels of a ring
    class within `NEAR_FRACTION` hole radii of the hole."""
    ring = outer_ring(hole)
    touching = np.isin(segments, np.unique(segments[ring]))
    ring_classes = np.unique(classes[ring])
    near = dilate(hole, max(MIN_NEAR, round(NEAR_FRACTION * hole_radius(hole))))
    same_class_near = near & np.isin(classes, ring_classes[ring_classes >= 0])
    return (touching | same_class_near) & ~hole


def hole_classes(classes: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """`classes` with each hole pixel given the class that continues the ring around it."""
    ring = outer_ring(hole)
    present = [k for k in np.unique(classes[ring]) if k >= 0]
    if not present:
        return classes
    indicators = np.stack([(classes == k) for k in present], axis=-1).astype(np.float32)
    spread = smooth_fill(indicators, ring)
    filled = classes.copy()
    filled[hole] = np.asarray(present)[spread[hole].argmax(axis=1)]
    return filled


GUIDE_BLUR_FRACTION = 0.25  # of the hole's radius: detail finer than this is texture
MIN_GUIDE_BLUR = 4


def structure_guide(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The structure layer pypatchmatch's guided fill follows (H x W x 3 float32: its
    `inpaint_regularity` reads the first two channels): the known pixels blurred by
    a fraction of the hole's radius (texture finer than that is left to the copy),
    continued smoothly into the hole, as brightness and a red-blue
    balance scaled into [0, 0.5] (the native distance wraps around at 1)."""
    radius = max(MIN_GUIDE_BLUR, round(GUIDE_BLUR_FRACTION * hole_radius(hole)))
    known = ~hole
    weight = box_blur(known.astype(np.float32), radius)[..., None]
    blurred = box_blur(rgb.astype(np.float32) * known[..., None], radius) / np.maximum(
        weight, 1e-6)
    continued = smooth_fill(blurred, known)
    guide = np.zeros(hole.shape + (3,), np.float32)
    guide[..., 0] = continued.mean(axis=2) / 255 * 0.5
    guide[..., 1] = (continued[..., 0] - continued[..., 2]) / 255 * 0.25 + 0.25
    return guide
