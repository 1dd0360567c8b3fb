"""Crop around a hole, work on the crop, stitch only the hole's pixels back.

Pure numpy, no resizing and no backend knowledge: every offline backend (LaMa,
PatchMatch, Telea) uses these helpers, so the rule "outside the hole the output is
the input, bit for bit" is enforced in one place, by `paste_hole`.

A box is ``(y0, y1, x0, x1)``, half-open like a slice: ``image[y0:y1, x0:x1]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Box = tuple[int, int, int, int]

# Fills a crop: (rgb crop, hole crop) -> filled rgb crop of the same shape.
CropFiller = Callable[[np.ndarray, np.ndarray], np.ndarray]

# How much context a tight box around a group of holes wants on every side.
MarginRule = Callable[[Box], int]


def hole_bbox(hole: np.ndarray) -> Box | None:
    """The tightest box around the True pixels of `hole`, or None when it has none."""
    rows = np.flatnonzero(hole.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(hole.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def grow_box(box: Box, margin: int, shape: tuple[int, ...]) -> Box:
    """`box` widened by `margin` on every side, clipped to an image of `shape` (H, W, ...)."""
    y0, y1, x0, x1 = box
    height, width = shape[0], shape[1]
    return (
        max(y0 - margin, 0),
        min(y1 + margin, height),
        max(x0 - margin, 0),
        min(x1 + margin, width),
    )


def crop_box_around(hole: np.ndarray, margin: int, shape: tuple[int, ...]) -> Box:
    """The box around all of `hole` plus `margin` of context, clipped to `shape`.

    The context is what exemplar-based and learned inpainting copy from, so the
    margin decides both quality and cost. Raises ValueError for an empty hole:
    there is nothing to crop around, and callers skip empty holes before this.
    """
    box = hole_bbox(hole)
    if box is None:
        raise ValueError("the hole is empty: there is nothing to crop around")
    return grow_box(box, margin, shape)


def _runs(occupied: np.ndarray, min_gap: int) -> list[tuple[int, int]]:
    """Half-open runs of True in `occupied`; runs less than `min_gap` apart are merged."""
    idx = np.flatnonzero(occupied)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > min_gap)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _split(hole: np.ndarray, box: Box, min_gap: int, out: list[Box]) -> None:
    """Recursive XY cut: split `box` at empty bands of at least `min_gap` rows or columns."""
    y0, y1, x0, x1 = box
    sub = hole[y0:y1, x0:x1]
    row_runs = _runs(sub.any(axis=1), min_gap)
    col_runs = _runs(sub.any(axis=0), min_gap)
    if len(row_runs) == 1 and len(col_runs) == 1:
        (r0, r1), (c0, c1) = row_runs[0], col_runs[0]
        out.append((y0 + r0, y0 + r1, x0 + c0, x0 + c1))
        return
    if len(row_runs) > 1:
        parts = [(y0 + r0, y0 + r1, x0, x1) for r0, r1 in row_runs]
    else:
        parts = [(y0, y1, x0 + c0, x0 + c1) for c0, c1 in col_runs]
    for part in parts:
        _split(hole, part, min_gap, out)


def _union(boxes: list[Box]) -> Box:
    """The smallest box containing all `boxes`."""
    arr = np.asarray(boxes)
    return int(arr[:, 0].min()), int(arr[:, 1].max()), int(arr[:, 2].min()), int(arr[:, 3].max())


def _overlap_groups(boxes: np.ndarray) -> list[list[int]]:
    """Indices of `boxes` (an N x 4 array) grouped by chains of overlapping boxes."""
    y0, y1, x0, x1 = (boxes[:, i] for i in range(4))
    touching = (
        (y0[:, None] < y1[None, :])
        & (y0[None, :] < y1[:, None])
        & (x0[:, None] < x1[None, :])
        & (x0[None, :] < x1[:, None])
    )
    group = np.full(len(boxes), -1)
    groups: list[list[int]] = []
    for start in range(len(boxes)):
        if group[start] >= 0:
            continue
        group[start] = len(groups)
        members, frontier = [start], [start]
        while frontier:
            found = np.flatnonzero(touching[frontier].any(axis=0) & (group < 0))
            group[found] = len(groups)
            members += found.tolist()
            frontier = found.tolist()
        groups.append(sorted(members))
    return groups


def hole_clusters(
    hole: np.ndarray, margin: int, margin_rule: MarginRule | None = None
) -> list[Box]:
    """Boxes with context around groups of holes that lie far apart from each other.

    Why not one union box: two small holes in opposite corners would make the union
    the whole image, and the cost of every backend grows with the crop's area.
    Why not one box per connected component: a grown mask breaks into many specks,
    and nearby specks share their context, so they are better filled together.

    Holes are first grouped by recursive XY cuts at empty bands of at least
    ``2 * margin`` rows or columns. Each group then gets ``max(margin, margin_rule(tight box))`` of
    context (backends want more context for bigger holes), and groups whose grown
    boxes overlap are merged until none do. So the boxes are disjoint and each one
    contains only its own holes: the crops can be filled in any order with the same
    result. Holes that interlock (a ring around a dot) stay in one box.
    """
    box = hole_bbox(hole)
    if box is None:
        return []
    tight: list[Box] = []
    _split(hole, box, 2 * margin, tight)

    def grow(b: Box) -> Box:
        extra = margin if margin_rule is None else max(margin, margin_rule(b))
        return grow_box(b, extra, hole.shape)

    while True:
        grown = [grow(b) for b in tight]
        groups = _overlap_groups(np.asarray(grown))
        if len(groups) == len(tight):
            return grown
        tight = [_union([tight[i] for i in members]) for members in groups]


def paste_hole(dst: np.ndarray, filled_crop: np.ndarray, hole: np.ndarray, box: Box) -> None:
    """Write `filled_crop` into `dst` at `box`, but only where `hole` is True.

    This is the only place a backend's pixels enter the result, which is why every
    pixel outside the hole stays exactly the input's, whatever the backend did to
    the rest of its crop (blurring, rescaling, padding).
    """
    y0, y1, x0, x1 = box
    if filled_crop.shape[:2] != (y1 - y0, x1 - x0):
        raise ValueError(
            f"filled crop has shape {filled_crop.shape[:2]}, box {box} needs {(y1 - y0, x1 - x0)}"
        )
    region = hole[y0:y1, x0:x1]
    dst[y0:y1, x0:x1][region] = filled_crop[region]


def fill_by_crops(
    rgb: np.ndarray,
    hole: np.ndarray,
    fill: CropFiller,
    margin: int,
    margin_rule: MarginRule | None = None,
) -> np.ndarray:
    """A copy of `rgb` whose hole pixels are filled crop by crop with `fill`.

    The crops are `hole_clusters(hole, margin, margin_rule)`. `fill` sees a contiguous
    copy of each crop and its hole, so it may modify them.
    """
    result = rgb.copy()
    for box in hole_clusters(hole, margin, margin_rule):
        y0, y1, x0, x1 = box
        crop = rgb[y0:y1, x0:x1].copy()
        crop_hole = hole[y0:y1, x0:x1].copy()
        paste_hole(result, fill(crop, crop_hole), hole, box)
    return result
