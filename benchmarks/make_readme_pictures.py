"""The README's before/after pictures, from a benchmark run's saved results.

    python benchmarks/bench_real_photos.py --pictures /tmp/bench
    python benchmarks/make_readme_pictures.py /tmp/bench docs/

One JPEG per chosen case: the photo with the pasted object, then each backend's result,
side by side and labelled, each panel `PANEL` pixels wide.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

PANEL = 300
CASES = ("astronaut_beside_10", "coffee_edge_10", "rocket_texture_10", "camera_beside_20")
COLUMNS = (("input", "input"), ("pypatchmatch-defaults", "plain pypatchmatch"),
           ("patchmatch", "this pack: PatchMatch"), ("telea", "Telea"))


def strip(folder: Path) -> Image.Image:
    panels = []
    for file_stem, label in COLUMNS:
        with Image.open(folder / f"{file_stem}.jpg") as picture:
            scale = PANEL / picture.width
            panel = picture.convert("RGB").resize((PANEL, round(picture.height * scale)),
                                                  Image.Resampling.LANCZOS)
        draw = ImageDraw.Draw(panel)
        draw.rectangle((0, 0, PANEL, 16), fill=(0, 0, 0))
        draw.text((4, 2), label, fill=(255, 255, 255))
        panels.append(panel)
    sheet = Image.new("RGB", (PANEL * len(panels), max(p.height for p in panels)), "white")
    for index, panel in enumerate(panels):
        sheet.paste(panel, (index * PANEL, 0))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pictures", type=Path, help="the --pictures folder of a benchmark run")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        target = args.out / f"real_photo_{case}.jpg"
        strip(args.pictures / "bench" / case).save(target, quality=80, optimize=True)
        print(target, target.stat().st_size // 1024, "KiB")


if __name__ == "__main__":
    main()
