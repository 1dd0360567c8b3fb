"""Pictures of the video benchmark: a strip of frames per clip (input, per-frame Mask
Object Remove, Video Object Remove, ground truth) and a plot of flicker over time.
Pillow only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from video_scenes import Clip

PANEL_WIDTH = 240
COLOURS = {"Video Object Remove": (40, 140, 60), "per-frame Mask Object Remove": (200, 60, 40),
           "floor": (120, 120, 120)}


def _label(panel: Image.Image, text: str) -> None:
    draw = ImageDraw.Draw(panel)
    width = draw.textlength(text) + 8
    draw.rectangle((0, panel.height - 16, width, panel.height), fill=(0, 0, 0))
    draw.text((4, panel.height - 14), text, fill=(255, 255, 255))


def frame_strip(clip: Clip, rows: list[tuple[str, np.ndarray]], frames: list[int]) -> Image.Image:
    """One row per result, one column per frame, each frame PANEL_WIDTH wide."""
    height = round(clip.frames.shape[1] * PANEL_WIDTH / clip.frames.shape[2])
    sheet = Image.new("RGB", (PANEL_WIDTH * len(frames), height * len(rows)), "white")
    for r, (name, pictures) in enumerate(rows):
        for c, t in enumerate(frames):
            panel = Image.fromarray(pictures[t]).resize((PANEL_WIDTH, height),
                                                        Image.Resampling.LANCZOS)
            _label(panel, f"{name}, frame {t + 1}" if c == 0 else f"frame {t + 1}")
            sheet.paste(panel, (c * PANEL_WIDTH, r * height))
    return sheet


def save_clip_pictures(folder: Path, clip: Clip, ours: np.ndarray,
                       per_frame: np.ndarray | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    count = len(clip.frames)
    frames = [0, count // 3, 2 * count // 3, count - 1]
    rows = [("input", clip.frames)]
    if per_frame is not None:
        rows.append(("per-frame Mask Object Remove", per_frame))
    rows += [("Video Object Remove", ours), ("ground truth", clip.truth)]
    name = clip.name.replace("/", "_").replace("+", "_")
    frame_strip(clip, rows, frames).save(folder / f"{name}.png")


def flicker_plot(folder: Path, rows: list[dict], width: int = 900, height: int = 300
                 ) -> None:
    """Per clip with a per-frame run: flicker between frame t and t+1, over t."""
    folder.mkdir(parents=True, exist_ok=True)
    for row in rows:
        if "per_frame" not in row:
            continue
        series = {"Video Object Remove": row["ours"]["flicker"],
                  "per-frame Mask Object Remove": row["per_frame"]["flicker"]}
        name = row["clip"].replace("/", "_").replace("+", "_")
        plot(series, row["floor"], f"flicker inside the hole, {row['clip']}", width,
             height).save(folder / f"{name}_flicker.png")


def plot(series: dict[str, list[float]], floor: float, title: str, width: int, height: int
         ) -> Image.Image:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 50, width - 10, 28, height - 30
    top_value = max(1.0, max(max(v) for v in series.values() if v) * 1.1)
    longest = max(len(v) for v in series.values())

    def point(index: int, value: float) -> tuple[float, float]:
        x = left + (right - left) * index / max(1, longest - 1)
        return x, bottom - (bottom - top) * min(value, top_value) / top_value

    draw.text((left, 6), title + " (grey levels of 255, frame t to t+1)", fill=(0, 0, 0))
    draw.line((left, top, left, bottom, right, bottom), fill=(0, 0, 0))
    for tick in np.linspace(0, top_value, 5):
        _, y = point(0, tick)
        draw.line((left - 4, y, left, y), fill=(0, 0, 0))
        draw.text((6, y - 6), f"{tick:.1f}", fill=(0, 0, 0))
    draw.text((right - 60, bottom + 8), f"frame {longest}", fill=(0, 0, 0))
    draw.text((left, bottom + 8), "frame 1", fill=(0, 0, 0))
    draw.line([point(0, floor), point(longest - 1, floor)], fill=COLOURS["floor"], width=1)
    legend_y = top
    for name, values in series.items():
        if len(values) > 1:
            draw.line([point(i, v) for i, v in enumerate(values)], fill=COLOURS[name], width=2)
        draw.text((right - 230, legend_y), name, fill=COLOURS[name])
        legend_y += 14
    draw.text((right - 230, legend_y), "the clean background", fill=COLOURS["floor"])
    return image
