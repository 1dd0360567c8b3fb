"""Quality, time and memory of the offline backends on real photos.

    pip install scikit-image        # the photos and SSIM; not a dependency of the pack
    python benchmarks/bench_real_photos.py [--quick] [--pictures docs/]

The cases are described in benchmarks/real_photo_scenes.py: 6 photos x 3 places x 3
sizes = 54 removals, the ground truth being the photo before the object was pasted.
Every backend runs in its own process (its peak memory is its own) on the same cases,
side by side with plain ``pypatchmatch`` at its defaults (the whole picture, patch
radius 15), which is what the pack's PatchMatch path is measured against.

Figures, per backend:

- PSNR and SSIM inside the hole (SSIM: scikit-image's, 7 px windows, averaged over
  the hole's pixels);
- "copies": in the ``beside`` cases, whether the fill copied the face or object next to
  it: at least `COPY_SHARE` of the fill's 12 x 12 patches (textured ones, on a 6 px
  grid) lie within `COPY_RMS` grey levels of a patch of that face or object, and at
  most half as far as the true background's patch there;
- time per removal (median), and at 1 megapixel with a 10 % hole (the photos scaled
  to about 1 MP, ``beside`` cases);
- peak resident memory of the process.

Learned models are run when their files are found (as the pack finds them). Without
them, ``--architecture-speed`` times MI-GAN's and LaMa's real networks with random
weights on the same crops: their speed and memory, no quality.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from real_photo_scenes import Case, build_cases  # noqa: E402

COPY_RMS = 14.0
COPY_SHARE = 0.10
PATCH = 12
STRIDE = 6
BACKENDS = ("pypatchmatch-defaults", "patchmatch", "telea", "migan", "lama")


# --- metrics ----------------------------------------------------------------------------------


def psnr(result: np.ndarray, clean: np.ndarray, where: np.ndarray) -> float:
    diff = result[where].astype(np.float64) - clean[where].astype(np.float64)
    return float(10 * np.log10(255**2 / max(np.mean(diff**2), 1e-12)))


def ssim_in_hole(result: np.ndarray, clean: np.ndarray, hole: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    _, full = structural_similarity(clean, result, channel_axis=2, full=True, data_range=255)
    return float(full.mean(axis=2)[hole].mean())


def _patches(image: np.ndarray, centres: np.ndarray) -> np.ndarray:
    half = PATCH // 2
    return np.stack([image[y - half : y + half, x - half : x + half].reshape(-1)
                     for y, x in centres]).astype(np.float32)


def _grid(where: np.ndarray, stride: int) -> np.ndarray:
    half = PATCH // 2
    ys, xs = np.mgrid[half : where.shape[0] - half : stride, half : where.shape[1] - half : stride]
    keep = where[ys, xs]
    return np.stack([ys[keep], xs[keep]], axis=1)


def _nearest_rms(queries: np.ndarray, references: np.ndarray) -> np.ndarray:
    """RMS per pixel value from each query patch to its nearest reference patch."""
    best = np.full(len(queries), np.inf, np.float32)
    ref_sq = (references**2).sum(axis=1)
    for start in range(0, len(queries), 256):
        q = queries[start : start + 256]
        d = (q**2).sum(axis=1)[:, None] + ref_sq[None] - 2 * q @ references.T
        best[start : start + 256] = d.min(axis=1)
    return np.sqrt(np.maximum(best, 0) / queries.shape[1])


def copied_share(result: np.ndarray, case: Case) -> float:
    """Share of the fill's textured patches that copy the protected face/object (see above)."""
    from scipy import ndimage

    assert case.protected is not None
    y0, y1, x0, x1 = case.protected
    inside = ndimage.binary_erosion(case.hole, iterations=PATCH // 2)
    queries = _grid(inside, STRIDE)
    protected = np.zeros_like(case.hole)
    protected[y0:y1, x0:x1] = True
    known = ~ndimage.binary_dilation(case.hole, iterations=PATCH // 2)
    references = _grid(protected & known, 2)
    if len(queries) == 0 or len(references) == 0:
        return 0.0
    fill = _patches(result, queries)
    textured = fill.reshape(len(fill), -1, 3).std(axis=1).mean(axis=1) > 8
    ref = _patches(result, references)
    to_fill = _nearest_rms(fill, ref)
    to_truth = _nearest_rms(_patches(case.clean, queries), ref)
    copies = textured & (to_fill < COPY_RMS) & (to_fill < 0.5 * to_truth)
    return float(copies.mean())


# --- backends ---------------------------------------------------------------------------------


def filler(name: str, architecture_speed: bool):
    """(rgb, hole, seed) -> filled rgb, for backend `name`; None if it cannot run here."""
    if name == "pypatchmatch-defaults":
        import patchmatch

        def plain(rgb: np.ndarray, hole: np.ndarray, seed: int) -> np.ndarray:
            patchmatch.set_random_seed(seed)
            return patchmatch.inpaint(rgb, hole)  # the whole picture, patch radius 15

        return plain
    from object_removal.inpainting import inpaint_locally
    from object_removal.inpainting.model_files import find_model_file

    if name in ("migan", "lama") and find_model_file(name) is None:
        if not architecture_speed:
            return None
        return _random_weights_filler(name)
    return lambda rgb, hole, seed: inpaint_locally(rgb, hole, seed, backend=name)


def _random_weights_filler(name: str):
    """The pack's crop code around the real network with random weights (speed only)."""
    import torch

    from object_removal.inpainting.learned_backend import inpaint_learned
    from object_removal.inpainting.learned_models import InpaintNet, _migan_runner

    sys.path.insert(0, str(ROOT / "tests"))
    torch.manual_seed(0)
    if name == "migan":
        from migan_architecture import Generator

        run = _migan_runner(Generator(512).eval())
        net = InpaintNet("migan", Path("random-weights"), 512, run, torch.device("cpu"))
    else:
        from torchvision_stand_in import install_if_torchvision_is_broken

        install_if_torchvision_is_broken()
        from spandrel.architectures.LaMa import LaMa

        net = InpaintNet("lama", Path("random-weights"), None, LaMa(in_nc=4, out_nc=3).eval(),
                         torch.device("cpu"))
    return lambda rgb, hole, seed: inpaint_learned(rgb, hole, net)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_backend(name: str, quick: bool, architecture_speed: bool,
                pictures: Path | None) -> dict[str, object]:
    fill = filler(name, architecture_speed)
    if fill is None:
        return {"backend": name, "skipped": "no model file"}
    speed_only = name in ("migan", "lama") and architecture_speed and not _has_weights(name)
    cases = build_cases()
    if quick:
        cases = [c for c in cases if c.size == 0.10]
    rows = []
    for case in cases:
        start = time.perf_counter()
        result = fill(case.image, case.hole, 0)
        elapsed = time.perf_counter() - start
        assert np.array_equal(result[~case.hole], case.image[~case.hole]) or name.startswith(
            "pypatchmatch"), "pixels outside the hole changed"
        row = {"case": case.label, "place": case.place, "time": elapsed}
        if not speed_only:
            row["psnr"] = psnr(result, case.clean, case.hole)
            row["ssim"] = ssim_in_hole(result, case.clean, case.hole)
            if case.protected is not None:
                row["copied"] = copied_share(result, case)
        rows.append(row)
        if pictures is not None and not speed_only:
            _save_picture(pictures, name, case, result)
    megapixel = []
    for case in _megapixel_cases(quick):
        start = time.perf_counter()
        fill(case.image, case.hole, 0)
        megapixel.append(time.perf_counter() - start)
    return {"backend": name, "rows": rows, "megapixel_times": megapixel,
            "peak_mb": max_rss_mb(), "speed_only": speed_only}


def _has_weights(name: str) -> bool:
    from object_removal.inpainting.model_files import find_model_file

    return find_model_file(name) is not None  # type: ignore[arg-type]


def _megapixel_cases(quick: bool) -> list[Case]:
    """The ``beside`` 10 % cases with each photo scaled to about one megapixel."""
    from real_photo_scenes import BACKGROUNDS, photo

    chosen = BACKGROUNDS[:2] if quick else BACKGROUNDS
    found = []
    for background in chosen:
        height, width = photo(background.name).shape[:2]
        scale = (1e6 / (height * width)) ** 0.5
        found += [c for c in build_cases(scale, only=background.name)
                  if c.place == "beside" and c.size == 0.10]
    return found


def _save_picture(folder: Path, name: str, case: Case, result: np.ndarray) -> None:
    from PIL import Image

    target = folder / "bench" / case.label.replace("/", "_").replace("%", "")
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "input.jpg").exists():
        Image.fromarray(case.image).save(target / "input.jpg", quality=85)
        Image.fromarray(case.clean).save(target / "truth.jpg", quality=85)
    Image.fromarray(result).save(target / f"{name}.jpg", quality=85)


# --- the table --------------------------------------------------------------------------------


def summarise(reports: list[dict[str, object]]) -> None:
    plain = {r["case"]: r for r in _rows(reports, "pypatchmatch-defaults")}
    header = (f"{'backend':<22} {'cases':>5} {'PSNR med':>8} {'SSIM mean':>9} "
              f"{'> plain':>7} {'copies':>7} {'s/case':>6} {'s @1MP':>6} {'peak MB':>7}")
    print(header)
    print("-" * len(header))
    for report in reports:
        name = str(report["backend"])
        if "skipped" in report:
            print(f"{name:<22} skipped: {report['skipped']}")
            continue
        rows = _rows(reports, name)
        times = f"{statistics.median(r['time'] for r in rows):6.2f}"
        mp = report["megapixel_times"]
        mp_time = f"{statistics.median(mp):6.2f}" if mp else "     -"  # type: ignore[arg-type]
        if report.get("speed_only"):
            print(f"{name + ' (random w.)':<22} {len(rows):>5} {'speed only: random weights':>36} "
                  f"{times} {mp_time} {report['peak_mb']:7.0f}")
            continue
        med = statistics.median(r["psnr"] for r in rows)
        ssim = statistics.mean(r["ssim"] for r in rows)
        better = sum(r["psnr"] > plain[r["case"]]["psnr"] for r in rows) / len(rows)
        beside = [r for r in rows if "copied" in r]
        copies = sum(r["copied"] >= COPY_SHARE for r in beside)
        print(f"{name:<22} {len(rows):>5} {med:8.2f} {ssim:9.3f} {better:7.0%} "
              f"{copies:>3}/{len(beside):<3} {times} {mp_time} {report['peak_mb']:7.0f}")


def _rows(reports: list[dict[str, object]], name: str) -> list[dict[str, float]]:
    for report in reports:
        if report["backend"] == name:
            return report.get("rows", [])  # type: ignore[return-value]
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 10 %% holes")
    parser.add_argument("--architecture-speed", action="store_true",
                        help="time MI-GAN and LaMa with random weights when their files are "
                             "missing")
    parser.add_argument("--pictures", type=Path, help="save every input and result under this")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--json", type=Path, help="also write the per-case figures here")
    parser.add_argument("--backend", help=argparse.SUPPRESS)  # internal: one backend
    args = parser.parse_args()
    if args.backend:
        print(json.dumps(run_backend(args.backend, args.quick, args.architecture_speed,
                                     args.pictures)))
        return
    reports = []
    for name in args.backends.split(","):
        command = [sys.executable, __file__, "--backend", name]
        command += ["--quick"] * args.quick + ["--architecture-speed"] * args.architecture_speed
        if args.pictures:
            command += ["--pictures", str(args.pictures)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        reports.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {name}: done", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1))
    summarise(reports)


if __name__ == "__main__":
    main()
