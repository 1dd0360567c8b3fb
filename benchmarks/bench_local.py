"""Time, quality and memory of the offline inpainting backends on synthetic stripes.

Run from the repository root: ``python benchmarks/bench_local.py`` (``--quick`` runs
only the 1-megapixel cases; ``--cancel`` measures Cancel instead, see
`cancel_figures`). Each case runs in its own process, so the peak resident memory
reported is that case's alone; "+RSS" is the growth over the process's size just
before the first run (the image, the hole and the loaded libraries excluded).

The images are stripes of three colours, period 18 px, either vertical or diagonal
crossed by darker horizontal bands (the test suite's image). The hole is a square
painted magenta; PSNR is measured inside the hole against the clean stripes. Whether
PatchMatch lines the stripes up depends more on where the hole sits relative to them
than on the seed, so run i uses seed i and moves the hole by OFFSETS[i] from the
centre: the three PSNR figures show the spread, the time is their median.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from object_removal.inpainting import inpaint_locally  # noqa: E402

OFFSETS = [(0, 0), (7, 3), (13, 11)]  # (dy, dx) of the hole per run
STRIPE_COLOURS = np.array([[200, 60, 40], [40, 120, 200], [230, 220, 90]], np.uint8)

# (width, height, hole side, pattern, backend)
CASES = [
    (1000, 1000, 200, "diagonal+bands", "patchmatch"),
    (1000, 1000, 200, "vertical", "patchmatch"),
    (1000, 1000, 200, "diagonal+bands", "telea"),
    (1000, 1000, 200, "vertical", "telea"),
    (2048, 2048, 200, "diagonal+bands", "patchmatch"),
    (2048, 2048, 400, "diagonal+bands", "patchmatch"),
    (2048, 2048, 400, "vertical", "patchmatch"),
    (2048, 2048, 400, "diagonal+bands", "telea"),
]


def stripes(height: int, width: int, pattern: str, period: int = 18) -> np.ndarray:
    """The clean image. Kept in step with `striped` in tests/test_local_inpaint.py."""
    y, x = np.mgrid[0:height, 0:width]
    if pattern == "vertical":
        return STRIPE_COLOURS[(x % period) * 3 // period]
    image = STRIPE_COLOURS[((x + y) % period) * 3 // period]
    band = (y % 30) < 8
    image[band] //= 2
    return image


def psnr(result: np.ndarray, clean: np.ndarray, where: np.ndarray) -> float:
    diff = result[where].astype(np.float64) - clean[where].astype(np.float64)
    return float(10 * np.log10(255**2 / max(np.mean(diff**2), 1e-12)))


def max_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(index: int) -> dict[str, object]:
    """Run one case RUNS times in this process and return its figures."""
    width, height, side, pattern, backend = CASES[index]
    clean = stripes(height, width, pattern)
    # load the backend's libraries before measuring the baseline
    inpaint_locally(clean[:64, :64], np.eye(64, dtype=bool), backend=backend)
    baseline = max_rss_mb()
    times, scores = [], []
    for seed, (dy, dx) in enumerate(OFFSETS):
        hole = np.zeros((height, width), bool)
        top, left = (height - side) // 2 + dy, (width - side) // 2 + dx
        hole[top : top + side, left : left + side] = True
        image = clean.copy()
        image[hole] = (255, 0, 255)
        start = time.perf_counter()
        result = inpaint_locally(image, hole, seed=seed, backend=backend)
        times.append(time.perf_counter() - start)
        assert np.array_equal(result[~hole], image[~hole]), "pixels outside the hole changed"
        scores.append(psnr(result, clean, hole))
    peak = max_rss_mb()
    return {
        "image": f"{width}x{height}",
        "hole": f"{side}x{side}",
        "pattern": pattern,
        "backend": backend,
        "time": statistics.median(times),
        "psnr": scores,
        "peak": peak,
        "growth": peak - baseline,
    }


def cancel_figures(repeats: int = 5) -> None:
    """What a user sees when Cancel comes in the middle of a large offline fill (2000 x
    2000, a 30 % hole, through the local provider): seconds from Cancel until the
    abandoned fill's thread has ended (the CPU is idle again), and the time of a small
    fill queued right after Cancel against the same fill on an idle process. Medians
    of `repeats` runs."""
    import asyncio
    import threading

    from object_removal.mask.parameters import MaskInputs
    from object_removal.providers.base import ProviderEnvironment, SeedAndDilation
    from object_removal.providers.local import LocalProvider
    from object_removal.run_context import RunContext

    def provider(ctx: RunContext) -> LocalProvider:
        env = ProviderEnvironment(ctx=ctx, composite=True, settings=lambda: None)  # type: ignore[arg-type]
        params = SeedAndDilation.from_inputs(MaskInputs(dilate_size=0, seed=1))
        return LocalProvider(params, env, backend="patchmatch", name="local-patchmatch")

    big = stripes(2000, 2000, "diagonal+bands")
    y, x = np.mgrid[0:2000, 0:2000]
    big_hole = (y - 1000) ** 2 + (x - 1000) ** 2 <= 620**2
    small = stripes(400, 400, "diagonal+bands")
    small_hole = np.zeros((400, 400), bool)
    small_hole[150:250, 150:250] = True

    async def small_fill() -> float:
        ctx = RunContext()
        fill = provider(ctx)
        start = time.perf_counter()
        await fill.fill(fill.prepare(small, small_hole), ctx)
        return time.perf_counter() - start

    async def cancelled_then_small() -> tuple[float, float]:
        ctx = RunContext()
        fill = provider(ctx)
        task = asyncio.ensure_future(fill.fill(fill.prepare(big, big_hole), ctx))
        await asyncio.sleep(3.0)
        ctx.cancel()
        cancelled_at = time.perf_counter()
        await asyncio.gather(task, return_exceptions=True)  # Cancelled, at once
        abandoned = [t for t in threading.enumerate() if t.name == "object-removal-http"]
        next_fill = asyncio.ensure_future(small_fill())
        while any(t.is_alive() for t in abandoned):
            await asyncio.sleep(0.005)
        idle = time.perf_counter() - cancelled_at
        return idle, await next_fill

    fresh = [asyncio.run(small_fill()) for _ in range(repeats)]
    runs = [asyncio.run(cancelled_then_small()) for _ in range(repeats)]
    print(f"{'figure':<52} {'median s':>8}  runs")
    print(f"{'Cancel -> abandoned fill ended (CPU idle)':<52} "
          f"{statistics.median(r[0] for r in runs):8.2f}  {[round(r[0], 2) for r in runs]}")
    print(f"{'small fill queued right after Cancel':<52} "
          f"{statistics.median(r[1] for r in runs):8.2f}  {[round(r[1], 2) for r in runs]}")
    print(f"{'the same small fill, idle process':<52} "
          f"{statistics.median(fresh):8.2f}  {[round(f, 2) for f in fresh]}")


def print_table(rows: list[dict[str, object]]) -> None:
    header = (
        f"{'image':>9}  {'hole':>7}  {'pattern':<14}  {'backend':<10}  {'median s':>8}  "
        f"{'PSNR dB (3 runs)':<21}  {'peak RSS MB':>11}  {'+RSS MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        scores = "/".join(f"{p:.1f}" for p in row["psnr"])  # type: ignore[attr-defined]
        print(
            f"{row['image']:>9}  {row['hole']:>7}  {row['pattern']:<14}  {row['backend']:<10}  "
            f"{row['time']:>8.2f}  {scores:<21}  {row['peak']:>11.0f}  {row['growth']:>7.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)  # internal: one case
    parser.add_argument("--quick", action="store_true", help="only the 1-megapixel cases")
    parser.add_argument("--cancel", action="store_true", help="measure Cancel of a large fill")
    args = parser.parse_args()
    if args.cancel:
        cancel_figures()
        return
    if args.case is not None:
        print(json.dumps(run_case(args.case)))
        return
    indices = [i for i, case in enumerate(CASES) if not args.quick or case[0] * case[1] <= 1e6]
    rows = []
    for index in indices:
        output = subprocess.run(
            [sys.executable, __file__, "--case", str(index)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    print_table(rows)


if __name__ == "__main__":
    main()
