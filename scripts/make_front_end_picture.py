"""Writes docs/front_end_status.png for the README: Text Object Remove as the browser
checks saw it, in each renderer: its key warning, a run processing (eta counting down),
done with its cost and handle, and cancelled.

The pictures are the browser checks' own screenshots (tests/test_comfyui_browser.py
with OBJECT_REMOVAL_SCREENSHOTS=DIR keeps them). Run from the repo root:

    .venv/bin/python scripts/make_front_end_picture.py DIR
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "front_end_status.png"
# (row label, server folder, renderer)
ROWS = [
    ("ComfyUI 0.3.64, front end 1.27.10, classic", "0.3.64-own", "classic"),
    ("ComfyUI 0.33.0, front end 1.58.1, classic", "0.33.0-1.58.1", "classic"),
    ("ComfyUI 0.33.0, front end 1.58.1, Nodes 2.0", "0.33.0-1.58.1", "vue"),
]
COLUMNS = [("no key", "key-warning"), ("processing", "processing"), ("done", "done"),
           ("Cancel", "cancelled")]
GAP = 12
LABEL = 26
BACKGROUND = (24, 24, 24)
INK = (220, 220, 220)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("screenshots", type=Path, help="OBJECT_REMOVAL_SCREENSHOTS of a run")
    args = parser.parse_args()
    grid = [[Image.open(args.screenshots / folder / f"{renderer}-{stop}-TextObjectRemove.png")
             .convert("RGB") for _, stop in COLUMNS] for _, folder, renderer in ROWS]
    width = max(sum(p.width for p in row) + GAP * (len(row) + 1) for row in grid)
    height = sum(LABEL + max(p.height for p in row) + GAP for row in grid) + LABEL
    picture = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=15)
    x = GAP
    for (title, _), cell in zip(COLUMNS, grid[0], strict=True):
        draw.text((x, 5), title, fill=INK, font=font)
        x += cell.width + GAP
    y = LABEL
    for (label, _, _), row in zip(ROWS, grid, strict=True):
        draw.text((GAP, y + 4), label, fill=INK, font=font)
        x = GAP
        for cell in row:
            picture.paste(cell, (x, y + LABEL))
            x += cell.width + GAP
        y += LABEL + max(p.height for p in row) + GAP
    picture.quantize(colors=256, dither=Image.Dither.NONE).save(OUT, optimize=True)
    print(f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
