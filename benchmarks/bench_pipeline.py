"""Timings of the pack's own work around a provider call, on this machine.

    python benchmarks/bench_pipeline.py

Prints the median of 5 runs for: preparing an AILabTools request (fit, encode
the image as JPEG or PNG, encode the mask), compositing a result back, the
whole MaskObjectRemove path with the local provider, and the whole path with
AILabTools against the provider emulator (HTTP on 127.0.0.1, so the figure is
the pack's overhead plus the emulator's own work, not a real provider's).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from object_removal.config import load_settings  # noqa: E402
from object_removal.imaging.codec import encode_mask_png  # noqa: E402
from object_removal.imaging.compositing import composite, default_feather, feather_weights  # noqa: E402
from object_removal.mask.parameters import MaskInputs  # noqa: E402
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask  # noqa: E402
from object_removal.providers.ailab import AdvancedParams, AdvancedProvider  # noqa: E402
from object_removal.providers.base import ProviderEnvironment  # noqa: E402
from object_removal.run_context import RunContext  # noqa: E402
from provider_emulator import ProviderEmulator  # noqa: E402

RUNS = 5


def photo(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([120 + 80 * np.sin(xx / 37) * np.cos(yy / 53),
                     100 + 60 * np.cos(xx / 23 + yy / 41),
                     90 + 50 * np.sin((xx + yy) / 61)], -1)
    noise = np.random.default_rng(0).normal(0, 6, (height, width, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def hole(height: int, width: int, size: int) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    top, left = (height - size) // 2, (width - size) // 2
    mask[top: top + size, left: left + size] = True
    return mask


def median_seconds(action, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def row(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:58} {seconds * 1000:9.1f} ms  {extra}")


def bench_size(height: int, width: int, settings) -> None:
    rgb, mask = photo(height, width), hole(height, width, 200)
    print(f"--- {width}x{height}, 200x200 hole")
    for lossless, name in ((False, "JPEG q95 (composite on)"), (True, "PNG (composite off)")):
        env = ProviderEnvironment(ctx=RunContext(), composite=not lossless,
                                  settings=lambda: settings)
        provider = AdvancedProvider(AdvancedParams.from_inputs(MaskInputs(seed=-1)), env)
        prepared = provider.prepare(rgb, mask)
        row(f"prepare AILab request, image as {name}",
            median_seconds(lambda p=provider: p.prepare(rgb, mask)),
            f"{len(prepared.image.data) / 1e6:.2f} MB")
    row("encode mask PNG", median_seconds(lambda: encode_mask_png(mask)))
    original = torch.from_numpy(rgb.astype(np.float32) / 255)
    result = torch.rand_like(original)
    feather = default_feather(height, width)
    row("composite (grow 15 + feather, blend)", median_seconds(lambda: composite(
        original, result, feather_weights(torch.from_numpy(mask), 17, feather))))

    image = original[None]
    tensor_mask = torch.from_numpy(mask.astype(np.float32))[None]
    for provider_name in ("local", "ailab"):
        options = MaskRemovalOptions(provider=provider_name,
                                     inputs=MaskInputs(seed=-1, dilate_size=15))
        runs = 3 if provider_name == "local" else RUNS
        seconds = median_seconds(lambda o=options: asyncio.run(remove_by_mask(
            image, tensor_mask, o, RunContext(), settings=settings)), runs)
        where = "offline" if provider_name == "local" else "emulator on 127.0.0.1"
        row(f"MaskObjectRemove end to end, provider {provider_name}", seconds, where)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache, ProviderEmulator(keys=("bench-key",)) as emu:
        os.environ.update({
            "AILAB_BASE_URL": emu.api_url, "AILAB_API_KEY": "bench-key",
            "OBJECT_REMOVAL_CACHE_DIR": cache, "OBJECT_REMOVAL_CONFIG": cache + "/none.ini",
        })
        settings = load_settings()
        for height, width in ((1000, 1000), (2048, 2048)):
            bench_size(height, width, settings)


if __name__ == "__main__":
    main()
