"""Connected regions of a bool mask: dropping the small ones, filling holes.

Change detection needs both and the pack has no image library with labelling
(no scipy, no OpenCV at run time), so regions are found here on runs (the
horizontal stretches of set pixels in each row): a changed area of a few hundred
rows has a few thousand runs, and joining runs is a handful of numpy passes
instead of a loop over pixels. Pure numpy, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Runs:
    """The set stretches of a (H, W) mask: run i covers row[i], columns start[i]..end[i]-1."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    shape: tuple[int, int]

    @property
    def length(self) -> np.ndarray:
        return self.end - self.start


def find_runs(mask: np.ndarray) -> Runs:
    height, width = mask.shape
    padded = np.zeros((height, width + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)  # row-major order: each end follows its start
    return Runs(rows, starts, ends, (height, width))


def region_labels(runs: Runs, *, diagonal: bool) -> np.ndarray:
    """For each run, the index of the first run of its connected region.

    `diagonal` joins runs that touch only at a corner (8-connectivity); without it
    they must share a column (4-connectivity).
    """
    count = len(runs.row)
    labels = np.arange(count)
    if count == 0:
        return labels
    first_of_row = np.searchsorted(runs.row, np.arange(runs.shape[0] + 1))
    reach = 1 if diagonal else 0
    upper_parts, lower_parts = [], []
    for row in range(1, runs.shape[0]):
        upper = slice(first_of_row[row - 1], first_of_row[row])
        lower = slice(first_of_row[row], first_of_row[row + 1])
        if upper.start == upper.stop or lower.start == lower.stop:
            continue
        # Runs of a row are sorted and disjoint: the upper runs a lower run touches
        # form one contiguous range, found by two binary searches.
        low = np.searchsorted(runs.end[upper], runs.start[lower] - reach, side="right")
        high = np.searchsorted(runs.start[upper], runs.end[lower] + reach, side="left")
        touching = np.maximum(high - low, 0)
        lower_index = np.repeat(np.arange(lower.start, lower.stop), touching)
        offsets = np.arange(touching.sum()) - np.repeat(np.cumsum(touching) - touching, touching)
        upper_parts.append(upper.start + np.repeat(low, touching) + offsets)
        lower_parts.append(lower_index)
    if not upper_parts:
        return labels
    a, b = np.concatenate(upper_parts), np.concatenate(lower_parts)
    # Every run takes the smallest label among its neighbours, and labels follow the
    # labels they point at, until nothing moves: each region ends with one label.
    while True:
        smaller = np.minimum(labels[a], labels[b])
        updated = labels.copy()
        np.minimum.at(updated, a, smaller)
        np.minimum.at(updated, b, smaller)
        updated = updated[updated]
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def paint_runs(runs: Runs, keep: np.ndarray) -> np.ndarray:
    """A (H, W) bool mask of the runs where `keep` is True."""
    height, width = runs.shape
    edges = np.zeros((height, width + 1), dtype=np.int32)
    np.add.at(edges, (runs.row[keep], runs.start[keep]), 1)
    np.add.at(edges, (runs.row[keep], runs.end[keep]), -1)
    return np.cumsum(edges, axis=1)[:, :width] > 0


def drop_small_regions(mask: np.ndarray, min_area: int) -> np.ndarray:
    """`mask` without its 8-connected regions of fewer than `min_area` pixels."""
    runs = find_runs(mask)
    labels = region_labels(runs, diagonal=True)
    areas = np.bincount(labels, weights=runs.length, minlength=len(labels))
    return paint_runs(runs, areas[labels] >= min_area)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """`mask` with every unset area it encloses set (4-connected, not touching the border)."""
    background = find_runs(~mask)
    labels = region_labels(background, diagonal=False)
    height, width = background.shape
    at_border = ((background.row == 0) | (background.row == height - 1)
                 | (background.start == 0) | (background.end == width))
    outside = np.zeros(len(labels), dtype=bool)
    outside[labels[at_border]] = True
    return ~paint_runs(background, outside[labels])
