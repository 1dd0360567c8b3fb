"""Command line: the nodes' own code on image files, for scripting and a first try.

    python remove_objects.py local     photo.png --mask mask.png -o out/
    python remove_objects.py ailab     photos/   --mask masks/   -o out/
    python remove_objects.py modelslab photo.png --object "sofa" -o out/

Every MaskObjectRemove provider is a choice (the registry's list); `modelslab`
with `--object` removes by name instead (TextObjectRemove's code). The flags for
the removal settings are built from the same declarations as the node's inputs.

A mask file marks what to remove in white (or, for an image with
transparency, where it is transparent, as ComfyUI's Load Image reads it).
For a folder of images, `--mask` is one mask for all or a folder holding a
mask with the same name for each image. Keys and base URLs come from the
environment or the config file, exactly as for the nodes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .config import known_secrets
from .errors import ObjectRemovalError, redact
from .image_codec import encode_png
from .mask_parameters import COMPOSITE, MASK_PARAMETERS, MaskInputs, Parameter, mask_inputs
from .mask_removal import MaskRemovalOptions, remove_by_mask
from .providers.registry import PROVIDER_NAMES, ignored_by
from .run_context import RunContext
from .tensors import from_uint8, to_uint8
from .text_removal import remove_by_text

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        inputs = mask_inputs({p.name: getattr(args, p.name) for p in MASK_PARAMETERS})
        jobs = _plan(args)
        progress = _ProgressBar(len(jobs)) if len(jobs) > 1 else None
        for number, (source, mask_path, target) in enumerate(jobs, start=1):
            started = time.monotonic()
            result, outcome = asyncio.run(_remove_one(args, inputs, source, mask_path))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(encode_png(result))
            if progress:
                progress.update(number, source.name)
            else:
                print(f"{source} -> {target} ({time.monotonic() - started:.1f} s, {outcome})")
        if progress:
            progress.finish()
            print(f"{len(jobs)} images -> {jobs[0][2].parent} ({outcome})")
    except ObjectRemovalError as exc:
        print(f"error: {redact(str(exc), known_secrets())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    return 0


async def _remove_one(
    args: argparse.Namespace, inputs: MaskInputs, source: Path, mask_path: Path | None
) -> tuple[np.ndarray, str]:
    """The result and the last status line (e.g. "local: done with PatchMatch")."""
    image = from_uint8(read_rgb(source))[None]
    statuses: list[str] = []
    printer = _status_printer(args.verbose)

    def on_status(text: str) -> None:
        statuses.append(text)
        if printer is not None:
            printer(text)

    ctx = RunContext(on_status=on_status)
    if args.object:
        result, job = await remove_by_text(
            image, args.object, wait=True, timeout=args.timeout, ctx=ctx
        )
        if args.verbose:
            print(f"  job: {job}", file=sys.stderr)
    else:
        assert mask_path is not None
        mask = torch.from_numpy(read_mask(mask_path))[None]
        options = MaskRemovalOptions(provider=args.provider, inputs=inputs,
                                     composite=args.composite)
        result = await remove_by_mask(image, mask, options, ctx)
    return to_uint8(result[0]), statuses[-1] if statuses else "done"


def read_rgb(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as opened:
            return np.asarray(ImageOps.exif_transpose(opened).convert("RGB"), dtype=np.uint8)
    except OSError as exc:
        raise ObjectRemovalError(f"cannot read image {path}: {exc}") from None


def read_mask(path: Path) -> np.ndarray:
    """(H, W) float32, 1 = remove: white, or transparent where the file has transparency."""
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            if image.mode in ("RGBA", "LA") or "transparency" in image.info:
                alpha = np.asarray(image.convert("RGBA"))[..., 3]
                if alpha.min() < 255:
                    return 1.0 - alpha.astype(np.float32) / 255.0
            return np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except OSError as exc:
        raise ObjectRemovalError(f"cannot read mask {path}: {exc}") from None


def _plan(args: argparse.Namespace) -> list[tuple[Path, Path | None, Path]]:
    """(image, mask, output) for every image to process; checked before any work."""
    source = Path(args.input)
    if args.object and args.mask:
        raise ObjectRemovalError("give --mask (remove what it covers) or --object (remove by "
                                 "name), not both.")
    if args.object and args.provider != "modelslab":
        raise ObjectRemovalError("only modelslab removes by name (--object); other providers "
                                 "need --mask.")
    if not args.object and args.mask is None:
        by_name = " or --object (remove by name)" if args.provider == "modelslab" else ""
        raise ObjectRemovalError(f"{args.provider} needs --mask (a file or a folder){by_name}.")

    mask = Path(args.mask) if args.mask else None

    if source.is_dir():
        images = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise ObjectRemovalError(f"no images in {source}.")
        out_dir = Path(args.output) if args.output else source / "removed"
        if out_dir.exists() and not out_dir.is_dir():
            raise ObjectRemovalError(f"--output {out_dir} must be a folder for a folder input.")
        return [(p, _mask_for(p, mask), out_dir / f"{p.stem}.png") for p in images]

    if not source.is_file():
        raise ObjectRemovalError(f"no such image or folder: {source}.")
    if args.output is None:
        target = source.with_name(f"{source.stem}_removed.png")
    elif Path(args.output).is_dir() or args.output.endswith(("/", "\\")):
        target = Path(args.output) / f"{source.stem}.png"
    else:
        target = Path(args.output)
    return [(source, _mask_for(source, mask), target)]


def _mask_for(image: Path, mask: Path | None) -> Path | None:
    if mask is None:
        return None
    if mask.is_dir():
        matches = [p for p in mask.iterdir() if p.stem == image.stem
                   and p.suffix.lower() in IMAGE_SUFFIXES]
        if not matches:
            raise ObjectRemovalError(f"no mask named {image.stem}.* in {mask} for {image}.")
        return matches[0]
    if not mask.is_file():
        raise ObjectRemovalError(f"no such mask file or folder: {mask}.")
    return mask


def _status_printer(verbose: bool):
    if not verbose:
        return None
    return lambda text: print(f"  {text}", file=sys.stderr)


class _ProgressBar:
    """A one-line bar on stderr; enough for folders without another dependency."""

    WIDTH = 30

    def __init__(self, total: int) -> None:
        self._total = total
        self._started = time.monotonic()
        self.update(0, "")

    def update(self, done: int, name: str) -> None:
        filled = round(self.WIDTH * done / self._total)
        elapsed = time.monotonic() - self._started
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{self._total} {elapsed:5.1f} s {name[:30]:30}")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remove_objects.py",
        description="Remove objects from image files with the pack's providers.",
        epilog="Keys: AILAB_API_KEY / MODELSLAB_API_KEY or the config file (see README).",
    )
    parser.add_argument("provider", choices=PROVIDER_NAMES,
                        help="who fills the mask (as MaskObjectRemove's provider); modelslab "
                             "with --object removes by name")
    parser.add_argument("input", help="an image file, or a folder of images")
    parser.add_argument("--mask", help="mask file (white = remove) or folder of masks "
                                       "named like the images")
    parser.add_argument("--object", help="what to remove, in words (modelslab only)")
    parser.add_argument("-o", "--output", help="output file, or folder (default: next to "
                                               "the input, *_removed.png / removed/)")
    settings = parser.add_argument_group("removal settings (as MaskObjectRemove's inputs)")
    for parameter in MASK_PARAMETERS:
        _add_flag(settings, parameter, ignored_by(parameter.name))
    settings.add_argument("--composite", action=argparse.BooleanOptionalAction,
                          default=COMPOSITE.default, help=COMPOSITE.tooltip)
    parser.add_argument("--timeout", type=int, default=600,
                        help="modelslab --object: seconds to wait for each job "
                             "(default %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print provider status")
    return parser


def _add_flag(group: argparse._ArgumentGroup, parameter: Parameter,
              ignored: tuple[str, ...]) -> None:
    help_text = parameter.tooltip + (f" Ignored by {', '.join(ignored)}." if ignored else "")
    help_text = help_text.replace("%", "%%") + " (default %(default)s)"
    flag = "--" + parameter.name.replace("_", "-")
    if parameter.kind == "CHOICE":
        group.add_argument(flag, choices=parameter.choices, default=parameter.default,
                           help=help_text)
    else:
        kind = int if parameter.kind == "INT" else float
        group.add_argument(flag, type=kind, default=parameter.default, help=help_text)
