"""Quality, time and memory of the offline backends on real photos, in two sets and
two parts.

    pip install -r benchmarks/requirements-bench.txt  # the photos; not the pack's dependencies
    python benchmarks/bench_real_photos.py [--quick] [--part fresh-held-out] [--pictures DIR]

The sets:

- PASTED (benchmarks/real_photo_scenes.py): real objects pasted onto real photos, the
  ground truth being the photo before pasting: PSNR and SSIM inside the hole, and
  "copies" (beside a face or object, whether the fill copied it, see `copied_share`);
- REAL (benchmarks/real_object_scenes.py): objects that are really in the photos, with
  masks drawn around them, grown by the dilation the pack applies for ``local``
  (`LOCAL_DILATION`): no ground truth, so they are judged by the foreign content of the
  fill (benchmarks/fill_measures.py) and by eye (``--pictures``, then
  benchmarks/make_readme_pictures.py makes before/after sheets).

Each set has a DEVELOPMENT part (the photos the offline fill was tuned on) and
held-out parts (other photos, only measured), each drawn before the round that
measures it tuned anything:

- round 1's (``held-out``), round 2's (``fresh-held-out``, photos from other packages'
  wheels) and round 3's (``held-out-3``, OpenCV's sample photos: from
  /usr/share/doc/opencv-doc/examples when Debian's opencv-doc is installed, else
  fetched once by ``apt-get download opencv-doc`` into
  ~/.cache/comfyui-object-removal-bench/opencv-doc): their results have since been
  looked at while tuning, so they are no longer unseen;
- round 4's (``held-out-4``, photos of the Ubuntu wallpaper contest from Debian's
  lomiri-wallpapers-16.04, found or fetched the same way) and round 5's
  (``held-out-5``, photos of KDE Plasma's wallpapers from Debian's
  plasma-workspace-wallpapers, found in /usr/share/wallpapers or fetched the same
  way): measured once, then looked at to make the fill's last change, so no longer
  unseen either;
- round 6's (``held-out-6``, the MATE desktop's nature photos from Debian's
  mate-backgrounds, found in /usr/share/backgrounds/mate or fetched the same way):
  measured once, after that change; the README quotes it;
- round 7's (``held-out-7``, the photos of the jigsaw games Palapeli and Jigzo from
  Debian's palapeli-data and jigzo-data, found in /usr/share/palapeli/collection and
  /usr/share/games/jigzo/puzzles or fetched the same way): drawn after that change,
  measured once with the same fill; the README quotes it too. The offline advice's
  last rule was chosen on rounds 3-6, so for it round 7 is the only held-out part;
- round 8's (``held-out-8``, the photos of KPhotoAlbum's demo album and Tux Paint's
  templates from Debian's kphotoalbum and tuxpaint-data, found in
  /usr/share/kphotoalbum/demo and /usr/share/tuxpaint/templates or fetched the same
  way): drawn by a helper before any fill ran on it, measured once with the unchanged
  fill and with MI-GAN; the README quotes it too.

MI-GAN's quality was first measured on rounds 6-8, with Picsart's published weights
(see migan_from_onnx.py); nothing in the learned path was tuned on any part, so every
part is held out for it.

The split is recorded in those modules. Tune with ``--part development`` only: the
default ``all`` runs the held-out parts too.

Every backend runs in its own process (its peak memory is its own) on the same cases,
side by side with plain ``pypatchmatch`` at its defaults (the whole picture, patch
radius 15), which is what the pack's PatchMatch path is measured against. Times:
median per removal, and at 1 megapixel with a 10 % hole (the pasted ``beside`` cases
scaled to about 1 MP). Learned models are run when their files are found (as the pack
finds them; ``OBJECT_REMOVAL_MIGAN_MODEL`` set to migan_from_onnx.py's output, for
instance). Without them, ``--architecture-speed`` times MI-GAN's and LaMa's real
networks with random weights on the same crops: their speed and memory, no quality.
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

import real_object_scenes  # noqa: E402
from fill_measures import FOREIGN_SHARE, foreign_share  # noqa: E402
from real_photo_scenes import Case, build_cases  # noqa: E402

from object_removal.inpainting.difficulty import likely_poor  # noqa: E402

COPY_RMS = 14.0
COPY_SHARE = 0.10
PATCH = 12
STRIDE = 6
BACKENDS = ("pypatchmatch-defaults", "patchmatch", "telea", "migan", "lama")
PARTS = real_object_scenes.PARTS
TITLES = real_object_scenes.PART_TITLES
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


NODE_DEFAULT_DILATE_SIZE = 15


def local_dilation() -> int:
    """The growth the ``local`` providers give a mask at the node's default dilate_size."""
    from object_removal.providers.local import offline_growth

    return offline_growth(NODE_DEFAULT_DILATE_SIZE)


def real_hole(case: real_object_scenes.RealRemoval, shape: tuple[int, ...], dilation: int
              ) -> np.ndarray:
    import torch

    from object_removal.imaging.compositing import grow_mask

    drawn = real_object_scenes.drawn_mask(case, shape)
    return grow_mask(torch.from_numpy(drawn), dilation).numpy()


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


def cpu_seconds() -> float:
    """CPU time of this process and of its ended children (the pack's PatchMatch runs
    pypatchmatch in a child process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def max_rss_mb() -> float:
    """Peak memory of this process plus its largest child's (an upper bound: they
    overlap only while a child runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def run_backend(name: str, args: argparse.Namespace) -> dict[str, object]:
    fill = filler(name, args.architecture_speed)
    if fill is None:
        return {"backend": name, "skipped": "no model file"}
    speed_only = name in ("migan", "lama") and args.architecture_speed and not _has_weights(name)
    dilation = local_dilation() if args.dilation is None else args.dilation
    rows = []
    for part in args.parts:
        pasted = build_cases(part=part)
        if args.quick:
            pasted = [c for c in pasted if c.size in (0.10, 0.30)]
        for case in pasted if "pasted" in args.sets else []:
            start = time.perf_counter()
            result = fill(case.image, case.hole, 0)
            row = {"set": "pasted", "part": part, "case": case.label, "place": case.place,
                   "time": time.perf_counter() - start}
            _check_outside(name, result, case.image, case.hole)
            if not speed_only:
                row["psnr"] = psnr(result, case.clean, case.hole)
                row["ssim"] = ssim_in_hole(result, case.clean, case.hole)
                if case.protected is not None:
                    row["copied"] = copied_share(result, case)
                _save_picture(args.pictures, name, case.label, case.image, case.hole, result)
            rows.append(row)
        for real in real_object_scenes.cases(part) if "real" in args.sets else []:
            image = real_object_scenes.photo(real.photo)
            hole = real_hole(real, image.shape, dilation)
            start = time.perf_counter()
            result = fill(image, hole, 0)
            row = {"set": "real", "part": part, "case": real.label, "place": real.kind,
                   "time": time.perf_counter() - start}
            _check_outside(name, result, image, hole)
            if not speed_only:
                row["foreign"] = foreign_share(result, hole)
                # What the status line would say of an exemplar fill, with no model on disk.
                row["advice"] = likely_poor(image, hole)
                _save_picture(args.pictures, name, real.label, image, hole, result)
            rows.append(row)
    megapixel, megapixel_cpu = [], []
    for case in _megapixel_cases(args.quick) if args.megapixel else []:
        for _ in range(args.repeats):
            start, cpu = time.perf_counter(), cpu_seconds()
            fill(case.image, case.hole, 0)
            megapixel.append(time.perf_counter() - start)
            megapixel_cpu.append(cpu_seconds() - cpu)
    return {"backend": name, "rows": rows, "megapixel_times": megapixel,
            "megapixel_cpu": megapixel_cpu, "peak_mb": max_rss_mb(), "speed_only": speed_only}


def _check_outside(name: str, result: np.ndarray, image: np.ndarray, hole: np.ndarray) -> None:
    if not name.startswith("pypatchmatch"):
        assert np.array_equal(result[~hole], image[~hole]), "pixels outside the hole changed"


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


def _save_picture(folder: Path | None, name: str, label: str, image: np.ndarray,
                  hole: np.ndarray, result: np.ndarray) -> None:
    """input.jpg (the hole outlined in magenta) and <backend>.jpg under folder/<label>."""
    if folder is None:
        return
    from PIL import Image
    from scipy import ndimage

    target = folder / label.replace("/", "_").replace("%", "").replace(" ", "-")
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "input.jpg").exists():
        outline = hole & ~ndimage.binary_erosion(hole, iterations=2)
        marked = image.copy()
        marked[outline] = (255, 0, 255)
        Image.fromarray(marked).save(target / "input.jpg", quality=90)
    Image.fromarray(result).save(target / f"{name}.jpg", quality=90)


# --- the tables -------------------------------------------------------------------------------

def summarise(reports: list[dict[str, object]]) -> None:
    """One table per set and part, every backend side by side."""
    parts = sorted({r["part"] for rep in reports for r in rep.get("rows", [])},
                   key=PARTS.index)  # type: ignore[arg-type, index]
    for part in parts:
        _pasted_table(reports, part)
        _real_table(reports, part)
    _speed_table(reports)


def _rows(report: dict[str, object], kind: str, part: str) -> list[dict[str, float]]:
    return [r for r in report.get("rows", []) if r["set"] == kind and r["part"] == part]  # type: ignore[attr-defined]


def _pasted_table(reports: list[dict[str, object]], part: str) -> None:
    plain = {r["case"]: r for rep in reports if rep["backend"] == "pypatchmatch-defaults"
             for r in _rows(rep, "pasted", part)}
    header = (f"{'backend':<22} {'cases':>5} {'PSNR med':>8} {'vs plain':>8} {'SSIM mean':>9} "
              f"{'> plain':>7} {'copies':>7} {'s/case':>6}")
    printed = False
    for report in reports:
        rows = _rows(report, "pasted", part)
        if not rows or report.get("speed_only"):
            continue
        if not printed:
            print(f"\nPASTED objects, {TITLES[part]} part (PSNR/SSIM in the hole against "
                  "the photo)")
            print(header + "\n" + "-" * len(header))
            printed = True
        med = statistics.median(r["psnr"] for r in rows)
        # against plain pypatchmatch on the cases it ran (a reused --quick run has fewer)
        paired = [r for r in rows if r["case"] in plain]
        gain = (statistics.median(r["psnr"] - plain[r["case"]]["psnr"] for r in paired)
                if paired else float("nan"))
        better = (sum(r["psnr"] > plain[r["case"]]["psnr"] for r in paired) / len(paired)
                  if paired else float("nan"))
        beside = [r for r in rows if "copied" in r]
        copies = sum(r["copied"] >= COPY_SHARE for r in beside)
        print(f"{report['backend']:<22} {len(rows):>5} {med:8.2f} {gain:+8.2f} "
              f"{statistics.mean(r['ssim'] for r in rows):9.3f} {better:7.0%} "
              f"{copies:>3}/{len(beside):<3} {statistics.median(r['time'] for r in rows):6.2f}")


def _real_table(reports: list[dict[str, object]], part: str) -> None:
    printed = False
    for report in reports:
        rows = _rows(report, "real", part)
        if not rows or report.get("speed_only"):
            continue
        if not printed:
            labels = [r["case"] for r in rows]
            width = max(40, *(len(label) for label in labels))
            print(f"\nREAL objects, {TITLES[part]} part: share of the fill that is foreign (>= "
                  f"{FOREIGN_SHARE:.0%}: foreign content, marked *; last: the offline advice)")
            print(f"{'case':<{width}} " + " ".join(f"{rep['backend'][:12]:>12}" for rep in reports
                                               if _rows(rep, 'real', part)
                                               and not rep.get('speed_only')))
            table: dict[str, list[str]] = {label: [] for label in labels}
            counts: list[str] = []
            printed = True
        for row in rows:
            mark = "*" if row["foreign"] >= FOREIGN_SHARE else " "
            table[row["case"]].append(f"{row['foreign']:11.1%}{mark}")
        flagged = sum(r["foreign"] >= FOREIGN_SHARE for r in rows)
        seconds = statistics.median(r["time"] for r in rows)
        counts.append(f"{flagged:>5}/{len(rows):<2} {seconds:4.1f}s")
    if printed:
        advice = {r["case"]: r.get("advice") or "" for r in rows}
        for label, cells in table.items():
            print(f"{label:<{width}} " + " ".join(cells) + f"  {advice.get(label, '')}")
        print(f"{'foreign / cases, median s':<{width}} " + " ".join(f"{c:>12}" for c in counts))
        print(f"'likely poor' advice (last column): {sum(bool(a) for a in advice.values())} of "
              f"{len(advice)} removals")


def _speed_table(reports: list[dict[str, object]]) -> None:
    rows = [(rep["backend"], rep["megapixel_times"], rep.get("megapixel_cpu", []),
             rep["peak_mb"], rep.get("speed_only")) for rep in reports if "skipped" not in rep]
    if not any(times for _, times, _, _, _ in rows):
        return
    fills = max(len(times) for _, times, _, _, _ in rows)
    print(f"\n1 MP, 10 % hole, median of {fills} fills (load: {_load()})")
    print(f"{'backend':<28} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}")
    for name, times, cpu, peak, speed_only in rows:
        label = f"{name} (random weights)" if speed_only else str(name)
        wall = f"{statistics.median(times):.2f}" if times else "-"  # type: ignore[arg-type]
        used = f"{statistics.median(cpu):.2f}" if cpu else "-"  # type: ignore[arg-type]
        print(f"{label:<28} {wall:>7} {used:>7} {peak:8.0f}")
    for rep in reports:
        if "skipped" in rep:
            print(f"{rep['backend']:<28} skipped: {rep['skipped']}")


def _load() -> str:
    """The machine's load averages, to read the times by (a shared 2-core machine)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="pasted: only the 10 %% and 30 %% holes")
    parser.add_argument("--part", choices=(*PARTS, "all"), default="all")
    parser.add_argument("--set", choices=("pasted", "real", "both", "speed"), default="both",
                        help="which cases (speed: only the 1 MP timing)")
    parser.add_argument("--no-megapixel", action="store_true", help="skip the 1 MP timing")
    parser.add_argument("--repeats", type=int, default=3, help="fills of each 1 MP case")
    parser.add_argument("--architecture-speed", action="store_true",
                        help="time MI-GAN and LaMa with random weights when their files are "
                             "missing")
    parser.add_argument("--dilation", type=int,
                        help="grow the real objects' masks by this (default: the pack's for local)")
    parser.add_argument("--pictures", type=Path, help="save every input and result under this")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--json", type=Path, help="also write the per-case figures here")
    parser.add_argument("--reuse", type=Path, action="append", default=[],
                        help="a --json file whose backends are not run again (e.g. the slow "
                             "plain pypatchmatch); several are merged backend by backend")
    parser.add_argument("--backend", help=argparse.SUPPRESS)  # internal: one backend
    args = parser.parse_args()
    args.parts = PARTS if args.part == "all" else (args.part,)
    args.sets = {"both": ("pasted", "real"), "speed": ()}.get(args.set, (args.set,))
    args.megapixel = not args.no_megapixel
    if args.backend:
        print(json.dumps(run_backend(args.backend, args)))
        return
    reused: dict[str, dict] = {}
    for path in args.reuse:
        for report in json.loads(path.read_text()):
            if report["backend"] in reused:
                reused[report["backend"]]["rows"] += report.get("rows", [])
            else:
                reused[report["backend"]] = report
    reports = []
    for name in args.backends.split(","):
        if name in reused:
            reports.append(reused[name])
            continue
        command = [sys.executable, __file__, "--backend", name, "--part", args.part,
                   "--set", args.set]
        command += ["--quick"] * args.quick + ["--architecture-speed"] * args.architecture_speed
        command += ["--no-megapixel"] * args.no_megapixel + ["--repeats", str(args.repeats)]
        if args.dilation is not None:
            command += ["--dilation", str(args.dilation)]
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
