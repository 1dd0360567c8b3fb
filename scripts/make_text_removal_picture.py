"""Writes docs/text_removal.jpg: the bundled sample through Text Object Remove, before,
after and the returned mask, side by side, for the README.

The removal is the provider emulator's (offline, no key): the same code path as the node,
over real HTTP on 127.0.0.1. Run from the repo root:

    .venv/bin/python scripts/make_text_removal_picture.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from object_removal.config import load_settings  # noqa: E402
from object_removal.imaging.tensors import from_uint8, to_uint8  # noqa: E402
from object_removal.run_context import RunContext  # noqa: E402
from object_removal.text.removal import remove_by_text  # noqa: E402
from provider_emulator import ProviderEmulator  # noqa: E402

OUT = REPO / "docs" / "text_removal.jpg"
PANEL_WIDTH = 384
KEY = "picture-key"


def main() -> None:
    with Image.open(REPO / "samples" / "room.png") as opened:
        rgb = np.array(opened.convert("RGB"))
    with ProviderEmulator(keys=(KEY,)) as emulator, tempfile.TemporaryDirectory() as cache:
        emulator.behaviour.job_seconds = 0
        os.environ.update({"MODELSLAB_BASE_URL": emulator.api_url, "MODELSLAB_API_KEY": KEY,
                           "OBJECT_REMOVAL_CACHE_DIR": cache})
        lines: list[str] = []
        result, _, mask = asyncio.run(remove_by_text(
            from_uint8(rgb)[None], "the ball", wait=True, timeout=60,
            ctx=RunContext(on_status=lines.append), settings=load_settings()))
    print(lines[-1])
    after = to_uint8(result[0])
    outside = mask[0].numpy() == 0
    assert np.array_equal(after[outside], rgb[outside])  # the picture must not lie
    grey = (mask[0] * 255).to(torch.uint8).numpy()
    panels = [Image.fromarray(rgb), Image.fromarray(after), Image.fromarray(grey).convert("RGB")]
    height = round(rgb.shape[0] * PANEL_WIDTH / rgb.shape[1])
    sheet = Image.new("RGB", (3 * PANEL_WIDTH + 16, height + 26), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (panel, label) in enumerate(zip(
            panels, ("before", "after (Text Object Remove, \"the ball\")", "mask output"),
            strict=True)):
        x = index * (PANEL_WIDTH + 8)
        sheet.paste(panel.resize((PANEL_WIDTH, height), Image.Resampling.LANCZOS), (x, 26))
        draw.text((x + 4, 6), label, fill="black")
    sheet.save(OUT, quality=88)
    print(f"{OUT.relative_to(REPO)}: {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
