"""Writes example_workflows/<name>.jpg: the picture ComfyUI's Templates dialog shows for
each example workflow (it loads `<workflow stem>.jpg` from the pack's example folder).

Each thumbnail is a real photo before and after a real removal. The photos are those
scikit-image ships (public domain or CC0, as its documentation lists them). Every
"after" comes from this pack's own offline provider, `local-patchmatch` (the same code
Mask Object Remove runs; `local-telea` for the second opinion), on this machine, with
nothing sent anywhere. For the templates that remove by name (Text Object Remove) or
with a paid provider, the picture is illustrative: the named object is masked here by
hand and removed offline in the same way. The core-mask template's mask is made as its
core nodes make it (a red and a blue channel threshold, multiplied, then grown).

    pip install scikit-image
    python scripts/make_template_thumbnails.py          # writes the thumbnails
    python scripts/make_template_thumbnails.py --check  # exit 1 if one is out of date
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUT = REPO / "example_workflows"
SIZE = 512  # square: both front ends fit the picture into a square card
QUALITY = 82
# --check: regenerated pixels may differ a little from the committed ones on another
# machine (library versions); a stale thumbnail differs by far more than this.
TOLERANCE = 4.0

Box = tuple[int, int, int, int]  # x0, y0, x1, y1
Points = tuple[tuple[int, int], ...]
MaskMaker = Callable[[np.ndarray], np.ndarray]


def polygons(*shapes: Points) -> MaskMaker:
    """A hand-drawn mask: filled polygons in the photo's pixels."""

    def make(rgb: np.ndarray) -> np.ndarray:
        canvas = Image.new("L", (rgb.shape[1], rgb.shape[0]), 0)
        draw = ImageDraw.Draw(canvas)
        for points in shapes:
            draw.polygon(points, fill=255)
        return np.asarray(canvas) > 0

    return make


def circle(cx: int, cy: int, r: int) -> Points:
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    return tuple((round(cx + r * np.cos(a)), round(cy + r * np.sin(a))) for a in angles)


def near_white(threshold: float, grow: int) -> MaskMaker:
    """What the core-mask template's nodes make: ImageToMask red and blue, ThresholdMask
    each, MaskComposite multiply, GrowMask with tapered corners."""

    def make(rgb: np.ndarray) -> np.ndarray:
        from scipy import ndimage

        channels = rgb.astype(np.float32) / 255.0
        mask = (channels[..., 0] > threshold) & (channels[..., 2] > threshold)
        cross = ndimage.generate_binary_structure(2, 1)
        return ndimage.binary_dilation(mask, structure=cross, iterations=grow)

    return make


@dataclass(frozen=True)
class Panel:
    label: str
    mask: MaskMaker | None = None
    """None: the photo as it is; else the area removed for this panel."""
    provider: str = "local-patchmatch"
    show_mask: bool = False
    """Show the mask itself (Text Object Remove's mask output) instead of a removal."""
    dilate_size: int = 4
    """Mask Object Remove's: small here, as the hand-drawn masks already hug the object."""


@dataclass(frozen=True)
class Thumbnail:
    template: str
    photo: str
    crop: Box
    """What each panel shows: 2:1 for two panels stacked, 1:2 for two side by side, 1:1
    for four (a 2 x 2 grid)."""
    panels: tuple[Panel, ...]
    clip: bool = False
    """The photo filmed by a panning camera, with what the mask marks (drawn by
    `overlay`) fixed on the screen: the panels show the clip's middle frame, and a
    removal is Video Object Remove's, on the whole clip."""


PATCH = polygons(circle(171, 385, 40))
NAME_TAG = polygons(((276, 336), (331, 339), (333, 380), (277, 377)))
SHUTTLE = polygons(((396, 0), (441, 0), (456, 55), (462, 200), (462, 280), (372, 280),
                    (352, 228), (368, 150), (378, 80), (392, 40)))
RIGHT_MAST = polygons(((440, 118), (454, 118), (457, 185), (460, 200), (473, 427), (429, 427),
                       (440, 200), (439, 185)))
LEFT_TOWER = polygons(((0, 0), (90, 0), (85, 200), (75, 427), (0, 427)))
TOWER = polygons(((410, 124), (417, 112), (431, 112), (435, 124), (427, 132), (427, 194),
                  (410, 194)))
# The cameraman's tripod below his hands: head, column, legs, spreaders and feet.
TRIPOD = polygons(((276, 296), (322, 296), (322, 330), (276, 330)),
                  ((286, 300), (302, 300), (302, 494), (286, 494)),
                  ((303, 318), (316, 318), (412, 512), (388, 512), (300, 335)),
                  ((283, 318), (296, 318), (260, 440), (242, 512), (220, 512), (248, 420)),
                  ((312, 294), (346, 294), (346, 316), (312, 316)),
                  ((244, 460), (302, 476), (302, 494), (244, 482)),
                  ((300, 476), (388, 476), (388, 492), (300, 492)),
                  ((222, 472), (256, 472), (256, 510), (222, 510)),
                  ((373, 462), (402, 462), (402, 497), (373, 497)))


def timestamp(rgb: np.ndarray) -> np.ndarray:
    """Where a camera's date stamp sits, bottom left (drawn into each frame by `stamp`)."""
    canvas = Image.new("L", (rgb.shape[1], rgb.shape[0]), 0)
    _draw_stamp(ImageDraw.Draw(canvas), 255)
    return np.asarray(canvas) > 0


def _draw_stamp(draw: ImageDraw.ImageDraw, fill: int | tuple[int, int, int]) -> None:
    font = ImageFont.load_default(size=30)
    draw.text((24, 318), "2026-11-30 14:07", fill=fill, font=font, stroke_width=2,
              stroke_fill=fill)


# The core-mask template's own values: ThresholdMask 0.95, GrowMask 6, dilate_size 15.
LAMPS = near_white(0.95, 6)
BEFORE = Panel("before")

THUMBNAILS = (
    Thumbnail("mask_object_remove_ailab", "camera", (0, 256, 512, 512),
              (BEFORE, Panel("after: the masked tripod", TRIPOD))),
    Thumbnail("mask_object_remove_local", "astronaut", (0, 250, 512, 506),
              (BEFORE, Panel("after: offline, the masked patch", PATCH))),
    Thumbnail("text_object_remove", "rocket", (0, 107, 640, 427),
              (BEFORE, Panel('after: "the right mast"', RIGHT_MAST))),
    Thumbnail("submit_many_then_collect", "astronaut", (0, 0, 512, 512),
              (BEFORE, Panel('"the patch"', PATCH), Panel('"the name tag"', NAME_TAG),
               Panel('"the shuttle"', SHUTTLE))),
    Thumbnail("text_remove_then_second_opinion", "camera", (250, 40, 510, 300),
              (BEFORE, Panel('"the tower"', TOWER), Panel("second opinion", TOWER, "local-telea"),
               Panel("mask output", TOWER, show_mask=True))),
    Thumbnail("text_remove_then_inpaint", "astronaut", (0, 0, 512, 256),
              (BEFORE, Panel('after: "the shuttle", repainted', SHUTTLE))),
    Thumbnail("text_remove_then_upscale", "rocket", (0, 0, 214, 427),
              (BEFORE, Panel('"the tower", then x2', LEFT_TOWER))),
    Thumbnail("core_mask_then_local_remove", "rocket", (40, 187, 520, 427),
              (BEFORE, Panel("after: lamps masked by core nodes", LAMPS, dilate_size=15))),
    Thumbnail("video_object_remove", "rocket", (0, 172, 512, 428),
              (Panel("a frame of the clip"),
               Panel("after: from the other frames", timestamp, dilate_size=6)), clip=True),
)


def photo(name: str) -> np.ndarray:
    from skimage import data

    picture = getattr(data, name)()
    if picture.ndim == 2:
        picture = np.stack([picture] * 3, axis=-1)
    return np.ascontiguousarray(picture[..., :3])


def remove(rgb: np.ndarray, hole: np.ndarray, provider: str, dilate_size: int) -> np.ndarray:
    """The pack's own removal, as Mask Object Remove runs it (offline, seed 0)."""
    import torch

    from object_removal.imaging.tensors import from_uint8, to_uint8
    from object_removal.mask.parameters import MaskInputs
    from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask
    from object_removal.run_context import RunContext

    options = MaskRemovalOptions(provider=provider,
                                 inputs=MaskInputs(seed=0, dilate_size=dilate_size))
    mask = torch.from_numpy(hole.astype(np.float32))[None]
    result = asyncio.run(remove_by_mask(from_uint8(rgb)[None], mask, options, RunContext()))
    return to_uint8(result[0])


def panel_boxes(thumbnail: Thumbnail) -> list[Box]:
    """Where each panel sits: two stacked or side by side (by the crop's shape), or four
    in a 2 x 2 grid."""
    half = SIZE // 2
    x0, y0, x1, y1 = thumbnail.crop
    if len(thumbnail.panels) == 4:
        return [(x, y, x + half, y + half) for y in (0, half) for x in (0, half)]
    if len(thumbnail.panels) == 2 and x1 - x0 > y1 - y0:
        return [(0, 0, SIZE, half), (0, half, SIZE, SIZE)]
    if len(thumbnail.panels) == 2:
        return [(0, 0, half, SIZE), (half, 0, SIZE, SIZE)]
    raise ValueError(f"{thumbnail.template}: a thumbnail has 2 or 4 panels")


CLIP_FRAMES = 12
PAN = 6  # pixels a frame


def pan_clip(rgb: np.ndarray) -> np.ndarray:
    """A clip the size of the photo, the camera panning right over the photo enlarged by
    a tenth, with the date stamp burnt into every frame at the same place."""
    height, width = rgb.shape[:2]
    big = Image.fromarray(rgb).resize((round(width * 1.1) + PAN * CLIP_FRAMES,
                                       round(height * 1.1)), Image.Resampling.BICUBIC)
    frames = []
    for t in range(CLIP_FRAMES):
        frame = big.crop((PAN * t, 20, PAN * t + width, 20 + height))
        _draw_stamp(ImageDraw.Draw(frame), (255, 200, 40))
        frames.append(np.asarray(frame))
    return np.stack(frames)


def remove_from_clip(frames: np.ndarray, hole: np.ndarray, provider: str,
                     dilate_size: int) -> np.ndarray:
    """The pack's own Video Object Remove, as the node runs it (offline, seed 0)."""
    import torch

    from object_removal.run_context import RunContext
    from object_removal.video.parameters import VideoInputs
    from object_removal.video.removal import VideoRemovalOptions
    from object_removal.video.removal import remove_from_clip as remove_video

    options = VideoRemovalOptions(provider=provider,
                                  inputs=VideoInputs(seed=0, dilate_size=dilate_size))
    images = torch.from_numpy(frames.astype(np.float32) / 255)
    mask = torch.from_numpy(hole.astype(np.float32))[None]
    result = asyncio.run(remove_video(images, mask, options, RunContext()))
    return (result.images * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()


def panel_pixels(rgb: np.ndarray, panel: Panel, clip: bool = False) -> np.ndarray:
    if clip:
        frames = pan_clip(rgb)
        if panel.mask is None:
            return frames[CLIP_FRAMES // 2]
        return remove_from_clip(frames, panel.mask(rgb), panel.provider, panel.dilate_size)[
            CLIP_FRAMES // 2]
    if panel.mask is None:
        return rgb
    hole = panel.mask(rgb)
    if panel.show_mask:
        return np.repeat(hole[..., None], 3, axis=2).astype(np.uint8) * 255
    return remove(rgb, hole, panel.provider, panel.dilate_size)


def render(thumbnail: Thumbnail) -> Image.Image:
    rgb = photo(thumbnail.photo)
    sheet = Image.new("RGB", (SIZE, SIZE))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=22)
    x0, y0, x1, y1 = thumbnail.crop
    for panel, box in zip(thumbnail.panels, panel_boxes(thumbnail), strict=True):
        size = (box[2] - box[0], box[3] - box[1])
        if abs((x1 - x0) / (y1 - y0) - size[0] / size[1]) > 0.02:  # it would be stretched
            raise ValueError(f"{thumbnail.template}: the crop is not the panels' shape")
        picture = Image.fromarray(panel_pixels(rgb, panel, thumbnail.clip)).crop(thumbnail.crop)
        sheet.paste(picture.resize(size, Image.Resampling.LANCZOS), box[:2])
        # Bottom left: the new front end lays a badge over each card's top left corner. A
        # dark band behind the label keeps it readable on any photo.
        left, top, right, bottom = draw.textbbox((0, 0), panel.label, font=font)
        origin = (box[0] + 8, box[3] - 6 - bottom)
        draw.rectangle((box[0], origin[1] + top - 6, origin[0] + right + 8, box[3]),
                       fill=(20, 20, 20))
        draw.text(origin, panel.label, fill=(255, 255, 255), font=font)
    return sheet


def encode(sheet: Image.Image) -> bytes:
    buffer = io.BytesIO()
    sheet.save(buffer, "JPEG", quality=QUALITY, optimize=True)
    return buffer.getvalue()


def difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two JPEGs' pixels, 0..255."""
    with Image.open(io.BytesIO(a)) as first, Image.open(io.BytesIO(b)) as second:
        if first.size != second.size:
            return 255.0
        return float(np.abs(np.asarray(first.convert("RGB"), np.float32)
                            - np.asarray(second.convert("RGB"), np.float32)).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed thumbnails instead of writing them")
    parser.add_argument("names", nargs="*", help="only these templates (default: all)")
    args = parser.parse_args()
    stale = 0
    for thumbnail in THUMBNAILS:
        if args.names and thumbnail.template not in args.names:
            continue
        target = OUT / f"{thumbnail.template}.jpg"
        data = encode(render(thumbnail))
        if args.check:
            off = difference(data, target.read_bytes()) if target.exists() else 255.0
            stale += off > TOLERANCE
            print(f"{target.name}: {'stale' if off > TOLERANCE else 'ok'} ({off:.2f})")
        else:
            target.write_bytes(data)
            print(f"{target.relative_to(REPO)}: {len(data) // 1024} KB")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
