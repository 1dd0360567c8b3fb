"""Before/after sheets from a benchmark run's saved results, and the README's pictures.

    python benchmarks/bench_real_photos.py --pictures /tmp/bench
    python benchmarks/make_readme_pictures.py /tmp/bench /tmp/sheets          # every case
    python benchmarks/make_readme_pictures.py /tmp/bench docs/ --readme       # README's

A sheet has one row per case: the photo with the hole outlined, then each backend's
result, labelled, each panel `PANEL` pixels wide. `--readme` writes the cases in
`README_CASES` that the run has (each part's run holds its own), one JPEG each.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

PANEL = 300
COLUMNS = (("input", "input (hole outlined)"), ("pypatchmatch-defaults", "plain pypatchmatch"),
           ("patchmatch", "this pack: PatchMatch"), ("telea", "Telea"), ("migan", "MI-GAN"),
           ("lama", "LaMa"))
# Real objects, good and bad: from the round-6 and round-7 held-out parts (PatchMatch,
# plain pypatchmatch, Telea), and from round 8's (MI-GAN beside them).
README_CASES = ("two_wings_both-dandelion-seeds", "rain_drops_drop-on-the-leaf",
                "lady_bird_ladybird-on-the-grass-stem", "yellow_flower_long-petal-at-the-left",
                "helicopter_helicopter", "bike_basket-with-a-doll-in-it",
                "lighthouse_lantern-and-gallery-on-top-of-the-tower",
                "rabbit_in_box_rabbit-in-the-box",
                "beach_paddlers_woman-in-the-blue-jacket-beside-another")


def strip(folder: Path, panel_width: int = PANEL) -> Image.Image:
    """One row: the case's input and each backend's result that exists."""
    panels = []
    for file_stem, label in COLUMNS:
        path = folder / f"{file_stem}.jpg"
        if not path.exists():
            continue
        with Image.open(path) as picture:
            scale = panel_width / picture.width
            panel = picture.convert("RGB").resize((panel_width, round(picture.height * scale)),
                                                  Image.Resampling.LANCZOS)
        draw = ImageDraw.Draw(panel)
        draw.rectangle((0, 0, panel_width, 14), fill=(0, 0, 0))
        draw.text((3, 1), label, fill=(255, 255, 255))
        panels.append(panel)
    row = Image.new("RGB", (panel_width * len(panels), max(p.height for p in panels) + 16),
                    "white")
    ImageDraw.Draw(row).text((3, 2), folder.name, fill=(0, 0, 0))
    for index, panel in enumerate(panels):
        row.paste(panel, (index * panel_width, 16))
    return row


def sheets(pictures: Path, out: Path, per_sheet: int = 4) -> list[Path]:
    """Every case folder under `pictures`, `per_sheet` rows a sheet."""
    folders = sorted(p for p in pictures.iterdir() if (p / "input.jpg").exists())
    written = []
    for start in range(0, len(folders), per_sheet):
        rows = [strip(folder, 240) for folder in folders[start : start + per_sheet]]
        sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)),
                          "white")
        top = 0
        for row in rows:
            sheet.paste(row, (0, top))
            top += row.height
        target = out / f"sheet_{start // per_sheet + 1:02d}.png"
        sheet.save(target)
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pictures", type=Path, help="the --pictures folder of a benchmark run")
    parser.add_argument("out", type=Path)
    parser.add_argument("--readme", action="store_true", help="the README's pictures only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.readme:
        for target in sheets(args.pictures, args.out):
            print(target)
        return
    for case in README_CASES:
        if not (args.pictures / case / "input.jpg").exists():
            print(f"{case}: not in this run")
            continue
        target = args.out / f"real_object_{case.replace('-', '_')}.jpg"
        strip(args.pictures / case).save(target, quality=80, optimize=True)
        print(target, target.stat().st_size // 1024, "KiB")


if __name__ == "__main__":
    main()
