"""The emulated interior removal answering like a generative back end: a re-render.

A real text removal does not hand back the input with a hole filled: it renders
the whole picture again at its own size. Colours drift a little everywhere, every
pixel carries fresh noise and JPEG's artefacts, and only where it found the object
is the content really new. The pack has to find that area again to keep the rest
of the user's pixels, so this fake does all of that, deterministically, and says
exactly which area it replaced (`text_removal_area`), for tests to check against.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

# The global colour drift: out = in * GAIN + OFFSET, per channel (R, G, B), in levels.
GAIN = (1.04, 0.97, 1.02)
OFFSET = (-3.0, 4.0, 2.0)
# Fresh noise on every pixel (standard deviation, levels), then a JPEG round trip.
NOISE_SIGMA = 1.5
JPEG_QUALITY = 90
# The new content: the colour around the area plus a smooth generated texture.
TEXTURE_SIGMA = 10.0
TEXTURE_TINT = 3.0
TEXTURE_CELL = 12
# The object area: an ellipse around the blocks of a coarse grid that stand out.
AREA_GRID = 16
STANDOUT_SHARE = 0.5  # of the farthest block's distance from the median colour
MIN_STANDOUT = 24.0  # levels: below this nothing stands out, the centre is taken
AREA_RADII = (0.12, 0.3)  # the ellipse's semi-axes, relative, at least and at most
DEFAULT_RADIUS = 0.2
AREA_INSET = 0.02  # the ellipse stays this far inside the picture
# The ring whose mean colour the new content starts from: the ellipse scaled by this.
RING_SCALE = 1.15


@dataclass(frozen=True)
class ObjectArea:
    """An ellipse in coordinates relative to the picture (0..1 across and down), so the
    same area can be drawn at the input's size, the provider's, or any other."""

    cx: float
    cy: float
    rx: float
    ry: float

    def mask(self, width: int, height: int) -> np.ndarray:
        """(height, width) bool: pixels whose centre lies inside the ellipse."""
        x = (np.arange(width, dtype=np.float64) + 0.5) / width
        y = (np.arange(height, dtype=np.float64) + 0.5) / height
        dx = ((x - self.cx) / self.rx) ** 2
        dy = ((y - self.cy) / self.ry) ** 2
        return dy[:, None] + dx[None, :] <= 1.0

    def scaled(self, factor: float) -> ObjectArea:
        return ObjectArea(self.cx, self.cy, self.rx * factor, self.ry * factor)


def text_removal_area(rgb: np.ndarray) -> ObjectArea:
    """Where the emulated provider "finds" the named object, whatever the name.

    The picture is averaged into a 16x16 grid of blocks (Pillow BOX). The block whose
    mean colour is farthest (Euclidean) from the per-channel median of all blocks, the
    first on a tie, is the object's seed; with the 4-connected blocks around it that
    are at least half as far, it is the object. The area is the ellipse through the
    corners of their bounding box (semi-axes sqrt(2) x the half sides), each semi-axis
    kept within 0.12..0.3, moved in to stay 0.02 inside the picture. When no block is
    24 levels from the median, the object is a centred ellipse of semi-axes 0.2.
    Computed from the uploaded picture, so a test that decodes the same upload gets
    the same area.
    """
    blocks = np.asarray(
        Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).resize(
            (AREA_GRID, AREA_GRID), Image.Resampling.BOX),
        dtype=np.float64,
    )
    distance = np.linalg.norm(blocks - np.median(blocks.reshape(-1, 3), axis=0), axis=-1)
    seed = np.unravel_index(int(np.argmax(distance)), distance.shape)
    if distance[seed] < MIN_STANDOUT:
        return ObjectArea(0.5, 0.5, DEFAULT_RADIUS, DEFAULT_RADIUS)
    rows, cols = _blob(distance >= STANDOUT_SHARE * distance[seed], seed)
    low, high = AREA_RADII
    rx = min(max((max(cols) + 1 - min(cols)) / AREA_GRID / 2 * np.sqrt(2), low), high)
    ry = min(max((max(rows) + 1 - min(rows)) / AREA_GRID / 2 * np.sqrt(2), low), high)
    cx = (min(cols) + max(cols) + 1) / 2 / AREA_GRID
    cy = (min(rows) + max(rows) + 1) / 2 / AREA_GRID
    cx = min(max(cx, rx + AREA_INSET), 1 - rx - AREA_INSET)
    cy = min(max(cy, ry + AREA_INSET), 1 - ry - AREA_INSET)
    return ObjectArea(float(cx), float(cy), float(rx), float(ry))


def _blob(selected: np.ndarray, seed: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Rows and columns of the 4-connected selected cells reachable from `seed`."""
    found, todo = {seed}, [seed]
    while todo:
        row, col = todo.pop()
        for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
            inside = 0 <= r < selected.shape[0] and 0 <= c < selected.shape[1]
            if inside and selected[r, c] and (r, c) not in found:
                found.add((r, c))
                todo.append((r, c))
    return [int(r) for r, _ in found], [int(c) for _, c in found]


def rerendered(rgb: np.ndarray, area: ObjectArea) -> np.ndarray:
    """`rgb` (already at the provider's size) as the emulated back end renders it again.

    Every pixel: value * GAIN + OFFSET. Inside `area`: instead, the mean of the
    drifted ring between the ellipse and the ellipse scaled by 1.15, plus a smooth
    texture (normal values on a 12-pixel grid, bicubic: a shared one times 10 plus
    one per channel times 3).
    Then normal noise (sigma 1.5) everywhere, rounding and clipping, and a JPEG
    round trip at quality 90 (Pillow's default 4:2:0). The random numbers are seeded
    by the input's bytes: the same input gives the same pixels.
    """
    rgb = np.asarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    rng = np.random.default_rng(zlib.crc32(np.ascontiguousarray(rgb).tobytes()))
    out = rgb.astype(np.float64) * np.array(GAIN) + np.array(OFFSET)
    inside = area.mask(width, height)
    if inside.any():
        ring = area.scaled(RING_SCALE).mask(width, height) & ~inside
        base = out[ring].mean(axis=0) if ring.any() else out.reshape(-1, 3).mean(axis=0)
        out[inside] = base + _texture(rng, height, width)[inside]
    out += rng.normal(0.0, NOISE_SIGMA, out.shape)
    pixels = np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    return _jpeg_round_trip(pixels, JPEG_QUALITY)


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """(height, width, 3) smooth random values: coarse grids of normals, bicubic."""
    rows, cols = height // TEXTURE_CELL + 2, width // TEXTURE_CELL + 2
    coarse = rng.normal(0.0, 1.0, (4, rows, cols)).astype(np.float32)
    fields = [
        np.asarray(Image.fromarray(c, "F").resize((width, height), Image.Resampling.BICUBIC),
                   dtype=np.float64)
        for c in coarse
    ]
    # Mostly light and shade, shared by the channels, with a little colour of its own.
    return np.stack([TEXTURE_SIGMA * fields[0] + TEXTURE_TINT * f for f in fields[1:]], axis=-1)


def _jpeg_round_trip(rgb: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
        return np.array(decoded.convert("RGB"))
