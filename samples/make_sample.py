"""Draws the bundled sample (a ball in front of a brick wall on a wooden floor)
and its mask. Run from the repo root to regenerate samples/room.png and
samples/room_mask.png; the committed files are its output."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

WIDTH, HEIGHT = 768, 512
FLOOR_Y = 340


def bricks(rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:FLOOR_Y, 0:WIDTH]
    row = yy // 28
    shifted = xx + (row % 2) * 30
    mortar = (yy % 28 < 3) | (shifted % 60 < 3)
    brick_id = row * 100 + shifted // 60
    tint = rng.normal(0, 12, brick_id.max() + 1)[brick_id]
    wall = np.stack([150 + tint, 70 + tint * 0.6, 50 + tint * 0.4], -1)
    wall += rng.normal(0, 5, wall.shape)
    wall[mortar] = [190, 185, 175]
    return wall


def planks(rng: np.random.Generator) -> np.ndarray:
    height = HEIGHT - FLOOR_Y
    yy, xx = np.mgrid[0:height, 0:WIDTH]
    plank = yy // 34
    grain = 10 * np.sin(xx / 9.0 + plank * 1.7) + 6 * np.sin(xx / 2.3 + yy / 5.0)
    gap = yy % 34 < 2
    floor = np.stack([140 + grain, 100 + grain * 0.8, 60 + grain * 0.5], -1)
    floor += rng.normal(0, 4, floor.shape)
    floor[gap] = [70, 50, 30]
    return floor


def main() -> None:
    rng = np.random.default_rng(7)
    scene = np.concatenate([bricks(rng), planks(rng)], axis=0)

    # A shaded red ball standing on the floor, with its shadow.
    cy, cx, r = 300, 400, 70
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    shadow = ((yy - (cy + r - 8)) / 16.0) ** 2 + ((xx - cx - 20) / (r * 1.2)) ** 2 <= 1
    scene[shadow] *= 0.55
    ball = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    light = np.clip(1.1 - np.hypot(yy - cy + 30, xx - cx + 30) / (1.6 * r), 0.25, 1.0)
    scene[ball] = np.stack([230 * light, 40 * light, 40 * light], -1)[ball]

    image = Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8), "RGB")
    mask = Image.fromarray(((ball | shadow) * 255).astype(np.uint8), "L")
    # A little margin, as a person painting the mask would leave.
    mask = mask.filter(ImageFilter.MaxFilter(7))
    here = Path(__file__).resolve().parent
    image.save(here / "room.png", optimize=True)
    mask.save(here / "room_mask.png", optimize=True)


if __name__ == "__main__":
    main()
