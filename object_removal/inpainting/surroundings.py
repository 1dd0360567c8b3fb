"""What may fill a hole: the surfaces of the picture that surround it, and a structure
layer that continues them into it.

Plain PatchMatch copies from anywhere, so beside a face it pastes the face. A band
around the hole whose width grows with the hole is no better once the band reaches
the face, and neither are colour classes' connected pieces: a class joins a face to
a backdrop of a similar colour. Here (`allowed_sources`) a source must be reached
from the hole's outer ring by a short path that crosses no edge: each step costs its
length and the colour change beyond the surface's own texture, and the budget is a
few hole radii (a shortest-path search, scipy's `csgraph.dijkstra`). The path starts
only on the ring's main surfaces (`main_surfaces`: the colour classes holding a fair
share of each hole part's ring), so a neighbour that touches the ring along a short
stretch, like a face beside the object, is not a source either.

The structure layer (`hole_classes`) gives each hole pixel the class that continues
the ring around it: each class's indicator is interpolated smoothly from the ring
into the hole and the largest wins, so the border between two surfaces that enter
the hole on opposite sides (a horizon, a shelf's edge) joins across it.

Pure numpy, plus scipy (`sparse.csgraph`, `ndimage.label`; ComfyUI ships scipy).
"""

from __future__ import annotations

import numpy as np

from .smoothing import box_blur, dilate, smooth_fill

CLASSES = 8
SMOOTHING_FRACTION = 0.1  # of the hole's radius: texture finer than this is one colour
MIN_SMOOTHING = 2
RING = 3  # px: the hole's outer ring
MIN_RING_SHARE = 0.1  # of the ring: a class below this is a neighbour, not a surface
REACH = 2.0  # hole radii: how far from the ring a source may be, along its surface
MIN_REACH = 24  # px: the reach of a small hole
EDGE_CONTRAST = 20.0  # RGB distance: an edge this strong costs as much as a radius of way
TEXTURE_STEPS = 2.0  # median steps: colour changes this small are the surface's texture
EDGE_SMOOTHING = 1  # px: the blur before steps are read (the picture's own noise out)
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


def _blur_known(rgb: np.ndarray, hole: np.ndarray, radius: int) -> np.ndarray:
    """H x W x 3 float32: `rgb` box-blurred by `radius` from the known pixels only (the
    object's colour must not tint its ring)."""
    known = ~hole
    weight = box_blur(known.astype(np.float32), radius, passes=1)[..., None]
    return box_blur(rgb.astype(np.float32) * known[..., None], radius, passes=1) / np.maximum(
        weight, 1e-6)


def smoothed_known(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """`rgb` lightly blurred from the known pixels: texture finer than a fraction of
    the hole's radius becomes one colour."""
    return _blur_known(rgb, hole, max(MIN_SMOOTHING, round(SMOOTHING_FRACTION * hole_radius(hole))))


def colour_classes(smooth: np.ndarray, hole: np.ndarray, seed: int = 0) -> np.ndarray:
    """The colour class of each known pixel of `smooth` (`smoothed_known`); the hole's
    pixels get -1."""
    known = ~hole
    centres = _kmeans(smooth[known], min(CLASSES, int(known.sum())),
                      np.random.default_rng(seed))
    classes = np.full(hole.shape, -1, np.int32)
    classes[known] = _nearest_centre(smooth[known], centres)
    return classes


def hole_radius(hole: np.ndarray) -> float:
    """The radius of a disc of the hole's area: the scale that context and blur follow."""
    return float(np.sqrt(hole.sum() / np.pi))


def outer_ring(hole: np.ndarray, width: int = RING) -> np.ndarray:
    return dilate(hole, width) & ~hole


def main_surfaces(classes: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The ring pixels of the surfaces each part of the hole stood in front of: for each
    connected part, its outer ring's pixels whose class holds at least `MIN_RING_SHARE`
    of that ring (all of them if no class does). A neighbour (a face beside the
    object) touches the ring only along a short stretch."""
    from scipy import ndimage

    parts, count = ndimage.label(hole, structure=np.ones((3, 3)))
    ring = outer_ring(hole)
    if count == 0 or not ring.any():
        return np.zeros_like(hole)
    # each ring pixel belongs to the part of the hole nearest to it
    _, (near_y, near_x) = ndimage.distance_transform_edt(~hole, return_indices=True)
    owner = parts[near_y[ring], near_x[ring]] - 1
    ring_classes = classes[ring]  # known pixels: a class each
    kinds = int(ring_classes.max()) + 1
    counts = np.bincount(owner * kinds + ring_classes, minlength=count * kinds)
    counts = counts.reshape(count, kinds).astype(np.float64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    main = shares >= MIN_RING_SHARE
    lonely = ~main.any(axis=1)  # no class holds enough of that ring: all of them count
    main[lonely] = shares[lonely] > 0
    seeds = np.zeros_like(hole)
    seeds[ring] = main[owner, ring_classes]
    return seeds


def _step_costs(rgb: np.ndarray, hole: np.ndarray, reach_radius: float, edge_weight: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """The cost of a step between 4-neighbours, right and down: its length in units of
    `reach_radius`, plus the colour change beyond the texture's own (`TEXTURE_STEPS`
    times the median step) in units of `EDGE_CONTRAST`. Read on the picture barely
    blurred, so an edge is one or two steps, not a ramp of small ones."""
    smooth = _blur_known(rgb, hole, EDGE_SMOOTHING)
    right = np.linalg.norm(smooth[:, 1:] - smooth[:, :-1], axis=2)
    down = np.linalg.norm(smooth[1:] - smooth[:-1], axis=2)
    texture = TEXTURE_STEPS * float(np.median(np.concatenate([right.ravel(), down.ravel()])))

    def cost(change: np.ndarray) -> np.ndarray:
        return 1.0 / reach_radius + edge_weight * np.maximum(0.0, change - texture) / EDGE_CONTRAST

    return cost(right), cost(down)


def allowed_sources(rgb: np.ndarray, classes: np.ndarray, hole: np.ndarray,
                    edge_weight: float = 1.0) -> np.ndarray:
    """Known pixels the fill may copy: those a path from the ring's main surfaces
    (`main_surfaces`) reaches within `REACH` hole radii, where crossing an edge
    costs as much as a long way (`_step_costs`, its edge costs scaled by
    `edge_weight`: 0 where edges are a regular pattern's texture). A face beside the
    hole is behind the edge around it, however large the hole."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    height, width = hole.shape
    known = ~hole
    seeds = main_surfaces(classes, hole)
    if not seeds.any():
        return np.zeros_like(hole)
    reach_radius = max(hole_radius(hole), MIN_REACH / REACH)
    index = np.arange(height * width).reshape(height, width)
    right, down = _step_costs(rgb, hole, reach_radius, edge_weight)
    pairs = ((index[:, :-1], index[:, 1:], right, known[:, :-1] & known[:, 1:]),
             (index[:-1], index[1:], down, known[:-1] & known[1:]))
    rows = np.concatenate([a[k] for a, _, _, k in pairs])
    cols = np.concatenate([b[k] for _, b, _, k in pairs])
    costs = np.concatenate([c[k] for _, _, c, k in pairs])
    graph = coo_matrix((costs, (rows, cols)), shape=(height * width,) * 2).tocsr()
    distance = dijkstra(graph, directed=False, indices=np.flatnonzero(seeds), min_only=True,
                        limit=REACH)
    return np.isfinite(distance).reshape(height, width) & known


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
