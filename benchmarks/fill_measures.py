"""How a fill of a real object's hole is judged without ground truth: foreign content.

A removal should continue what surrounds the object. Content in the fill that is
nowhere in the hole's surroundings but stands elsewhere in the picture (her face and
hair in the backdrop, another coin on the cloth) was copied from elsewhere.

`foreign_share` looks at the fill's 8 x 8 patches on a 4 px grid and counts a patch
as foreign when

- no patch of the SURROUNDINGS (known pixels within `band_width` of the hole) is
  within `FOREIGN_RMS` grey levels of it (RMS over its 192 values), and
- some patch from ELSEWHERE (the rest of the picture) is at most `CLOSER` times as
  far as the nearest surroundings patch: it looks like something that stands
  elsewhere.

A removal "has foreign content" when at least `FOREIGN_SHARE` of its patches are
foreign. The constants were set once, before any tuning, on plain pypatchmatch's
fills of two development cases (the shuttle model's face copies count, the rocket's
clean sky does not) and are not changed by tuning runs.
"""

from __future__ import annotations

import numpy as np

PATCH = 8
STRIDE = 4
FOREIGN_RMS = 18.0
CLOSER = 0.6
FOREIGN_SHARE = 0.03


def band_width(hole: np.ndarray) -> int:
    """What counts as the hole's surroundings: 0.4 hole radii, at least 12 px."""
    radius = float(np.sqrt(hole.sum() / np.pi))
    return max(12, round(0.4 * radius))


def _centres(where: np.ndarray, stride: int) -> np.ndarray:
    half = PATCH // 2
    ys, xs = np.mgrid[half : where.shape[0] - half + 1 : stride,
                      half : where.shape[1] - half + 1 : stride]
    keep = where[ys, xs]
    return np.stack([ys[keep], xs[keep]], axis=1)


def _patches(image: np.ndarray, centres: np.ndarray) -> np.ndarray:
    half = PATCH // 2
    offsets = np.arange(-half, half)
    ys = centres[:, 0, None, None] + offsets[None, :, None]
    xs = centres[:, 1, None, None] + offsets[None, None, :]
    return image[ys, xs].reshape(len(centres), -1).astype(np.float32)


def _nearest_rms(queries: np.ndarray, references: np.ndarray) -> np.ndarray:
    if len(references) == 0:
        return np.full(len(queries), np.inf, np.float32)
    best = np.full(len(queries), np.inf, np.float32)
    ref_sq = (references**2).sum(axis=1)
    for start in range(0, len(references), 4096):
        ref = references[start : start + 4096]
        d = (queries**2).sum(axis=1)[:, None] + ref_sq[None, start : start + 4096] - 2 * (
            queries @ ref.T)
        best = np.minimum(best, d.min(axis=1))
    return np.sqrt(np.maximum(best, 0) / queries.shape[1])


def foreign_map(result: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centres of the fill's patches, which of them are foreign)."""
    from scipy import ndimage

    half = PATCH // 2
    inside = ndimage.binary_erosion(hole, iterations=half // 2, border_value=1)
    queries = _centres(inside, STRIDE)
    if len(queries) == 0:
        return queries, np.zeros(0, bool)
    clear = ~ndimage.binary_dilation(hole, iterations=half)  # patches wholly outside the hole
    near = ndimage.binary_dilation(hole, iterations=band_width(hole) + half)
    fill = _patches(result, queries)
    to_surroundings = _nearest_rms(fill, _patches(result, _centres(clear & near, 2)))
    to_elsewhere = _nearest_rms(fill, _patches(result, _centres(clear & ~near, 3)))
    foreign = (to_surroundings > FOREIGN_RMS) & (to_elsewhere <= CLOSER * to_surroundings)
    return queries, foreign


def foreign_share(result: np.ndarray, hole: np.ndarray) -> float:
    """Share of the fill's patches that are foreign (see the module's docstring)."""
    _, foreign = foreign_map(result, hole)
    return float(foreign.mean()) if foreign.size else 0.0
