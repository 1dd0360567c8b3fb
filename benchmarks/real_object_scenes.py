"""Real objects in real photos, with masks drawn around them: what a user removes.

Every case is an object that is really in one of scikit-image's bundled photos (no
pasting, so there is no ground truth): a mask drawn loosely around it, as a user
would, by polygons, ellipses and thick lines in the photo's own pixel coordinates.
They are judged by the foreign content in the fill (benchmarks/fill_measures.py) and
by eye, on before/after sheets.

The split was decided before any tuning and is by PHOTO (`DEVELOPMENT_PHOTOS` /
`HELD_OUT_PHOTOS`, shared with benchmarks/real_photo_scenes.py): the development
cases are the removals named in issue 18 (and a few more from the same photos), on
which the offline fill was tuned; the held-out cases come from photos no tuning run
looked at, and are only measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

# Decided before tuning (issue 18); stereo_motorcycle's two views count as one photo.
DEVELOPMENT_PHOTOS = ("astronaut", "coffee", "camera", "rocket", "motorcycle", "chelsea")
HELD_OUT_PHOTOS = ("coins", "hubble_deep_field", "moon", "cell", "clock_motion", "text",
                   "brick", "grass", "gravel")

Point = tuple[int, int]  # x, y


@dataclass(frozen=True)
class Shape:
    kind: str  # "polygon", "ellipse" (x0, y0, x1, y1) or "line" (points, width)
    points: tuple[Point, ...]
    width: int = 0


def polygon(*points: Point) -> Shape:
    return Shape("polygon", points)


def ellipse(cx: int, cy: int, rx: int, ry: int) -> Shape:
    return Shape("ellipse", ((cx - rx, cy - ry), (cx + rx, cy + ry)))


def line(width: int, *points: Point) -> Shape:
    return Shape("line", points, width)


@dataclass(frozen=True)
class RealRemoval:
    photo: str
    name: str
    shapes: tuple[Shape, ...]
    kind: str
    """What makes it hard: "beside" (another object or a face near), "border",
    "tall", "large", "structure" (edges cross it), "clutter" or "plain"."""

    @property
    def label(self) -> str:
        return f"{self.photo}/{self.name}"

    @property
    def held_out(self) -> bool:
        return self.photo in HELD_OUT_PHOTOS


CASES: tuple[RealRemoval, ...] = (
    # --- development: the removals named in issue 18, and a few more of those photos
    RealRemoval("astronaut", "shuttle model", (polygon(
        (386, 0), (444, 0), (458, 60), (466, 130), (476, 228), (476, 278), (370, 280),
        (346, 232), (360, 170), (376, 60)),), "tall"),
    RealRemoval("astronaut", "flag", (polygon(
        (0, 0), (66, 0), (70, 100), (90, 140), (104, 205), (72, 232), (42, 300), (24, 400),
        (0, 424)),), "border"),
    RealRemoval("astronaut", "mission patch", (ellipse(170, 386, 40, 42),), "plain"),
    RealRemoval("coffee", "spoon", (
        polygon((396, 60), (426, 66), (422, 102), (408, 122), (396, 114)),
        polygon((390, 192), (396, 202), (390, 236), (404, 256), (410, 296), (392, 326),
                (346, 334), (320, 312), (318, 272), (330, 248), (372, 234), (380, 200))),
        "structure"),
    RealRemoval("motorcycle", "bottle on the shelf", (polygon(
        (398, 48), (416, 48), (424, 60), (424, 94), (396, 94), (394, 60)),), "clutter"),
    RealRemoval("motorcycle", "red box on the shelf", (polygon(
        (524, 176), (622, 176), (622, 252), (524, 252)),), "clutter"),
    RealRemoval("camera", "tower", (polygon(
        (404, 108), (438, 108), (438, 198), (404, 198)),), "structure"),
    RealRemoval("camera", "tripod legs", (
        line(16, (286, 330), (238, 500)), line(14, (296, 330), (292, 480)),
        line(16, (306, 326), (352, 470)), line(12, (240, 490), (292, 470)),
        line(10, (292, 470), (340, 500))), "tall"),
    RealRemoval("camera", "cameraman", (polygon(
        (0, 230), (40, 140), (130, 100), (170, 60), (240, 70), (270, 130), (330, 150),
        (335, 215), (290, 240), (230, 262), (180, 330), (152, 420), (158, 512), (0, 512)),),
        "large"),
    RealRemoval("rocket", "rocket", (polygon(
        (312, 120), (330, 120), (344, 170), (348, 400), (292, 400), (294, 170)),), "tall"),
    RealRemoval("rocket", "lattice tower", (polygon(
        (436, 118), (452, 118), (454, 200), (480, 210), (480, 395), (428, 395), (430, 200)),),
        "tall"),
    # --- held out: other photos, only measured
    RealRemoval("coins", "a coin among coins", (ellipse(157, 187, 26, 26),), "beside"),
    RealRemoval("coins", "coin at the edge", (ellipse(356, 262, 30, 34),), "border"),
    RealRemoval("coins", "bottom row of coins", (polygon(
        (0, 222), (384, 222), (384, 303), (0, 303)),), "large"),
    RealRemoval("hubble_deep_field", "spiral galaxy", (ellipse(124, 398, 28, 28),), "beside"),
    RealRemoval("hubble_deep_field", "star with spikes", (ellipse(752, 576, 26, 26),),
                "beside"),
    RealRemoval("moon", "bright crater", (ellipse(120, 86, 32, 34),), "plain"),
    RealRemoval("moon", "dark patch", (polygon(
        (205, 395), (300, 400), (310, 480), (240, 490), (200, 450)),), "large"),
    RealRemoval("text", "handwritten sign", (polygon(
        (350, 68), (424, 66), (426, 102), (352, 104)),), "structure"),
    RealRemoval("clock_motion", "moving clock", (ellipse(215, 157, 80, 66),), "large"),
    RealRemoval("cell", "cell", (ellipse(428, 372, 80, 80),), "plain"),
)


def photo(name: str) -> np.ndarray:
    """An H x W x 3 uint8 copy of one of scikit-image's photos (greys made RGB)."""
    from skimage import data

    if name == "motorcycle":
        picture = data.stereo_motorcycle()[0]
    elif hasattr(data, name):
        picture = data.hubble_deep_field() if name == "hubble_deep_field" else getattr(data, name)()
    else:  # bundled with scikit-image but without a loader of its own
        from importlib import resources

        with Image.open(resources.files("skimage.data") / f"{name}.png") as file:
            picture = np.asarray(file.convert("RGB"))
    if picture.ndim == 2:
        picture = np.stack([picture] * 3, axis=-1)
    return np.ascontiguousarray(picture[..., :3])


def drawn_mask(case: RealRemoval, shape: tuple[int, ...]) -> np.ndarray:
    """The case's mask as a user would draw it: True = remove."""
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(canvas)
    for item in case.shapes:
        if item.kind == "polygon":
            draw.polygon(list(item.points), fill=255)
        elif item.kind == "ellipse":
            draw.ellipse([*item.points[0], *item.points[1]], fill=255)
        else:
            draw.line(list(item.points), fill=255, width=item.width)
            for x, y in item.points:  # round ends
                r = item.width // 2
                draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(canvas) > 0


def cases(part: str) -> list[RealRemoval]:
    """"development", "held-out" or "all"."""
    if part == "all":
        return list(CASES)
    return [c for c in CASES if c.held_out == (part == "held-out")]
