"""Where results go, checked before any work: never onto an input, never two results
onto one name, never over an existing file unless asked, and only where a file can
really be written (so a paid call is never made for a result that cannot be kept)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ObjectRemovalError
from ..stores.atomic_files import write_atomically
from .image_files import INPUT_SUFFIXES, OUTPUT_FORMATS, output_format

DEFAULT_SUFFIX = ".png"  # lossless, whatever the input was


@dataclass(frozen=True)
class Work:
    """One image to process: where it comes from, its mask, where the result goes."""

    source: Path
    mask: Path | None
    target: Path


def plan_files(
    source: Path, mask: Path | None, output: str | None, *, needs_mask: bool
) -> list[Work]:
    """Every (image, mask, output) of a run, before anything is read or sent."""
    if source.is_dir():
        images = sorted(p for p in source.iterdir()
                        if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
        if not images:
            raise ObjectRemovalError(f"no images in {source}.")
        out_dir = Path(output) if output else source / "removed"
        if out_dir.exists() and not out_dir.is_dir():
            raise ObjectRemovalError(f"--output {out_dir} must be a folder for a folder input.")
        if not out_dir.exists() and out_dir.suffix.lower() in OUTPUT_FORMATS:
            raise ObjectRemovalError(
                f"--output {out_dir} names an image file, but {source} is a folder of "
                f"images: give a folder for the results (e.g. {out_dir.with_suffix('')}/).")
        return [Work(p, _mask_for(p, mask, needs_mask), out_dir / f"{p.stem}{DEFAULT_SUFFIX}")
                for p in images]
    if not source.is_file():
        raise ObjectRemovalError(f"no such image or folder: {source}.")
    return [Work(source, _mask_for(source, mask, needs_mask), single_target(source.stem, output,
                                                                          source.parent))]


def single_target(stem: str, output: str | None, default_folder: Path) -> Path:
    """The output file for one result: -o as a file, as a folder (existing, or ending
    with a slash), or beside the input as <stem>_removed.png."""
    if output is None:
        return default_folder / f"{stem}_removed{DEFAULT_SUFFIX}"
    if Path(output).is_dir() or output.endswith(("/", os.sep)):
        return Path(output) / f"{stem}{DEFAULT_SUFFIX}"
    return Path(output)


def check_targets(work: list[Work], *, overwrite: bool) -> None:
    """Refuse the run, before any work, if any result could not be written safely."""
    inputs = {_identity(p) for w in work for p in (w.source, w.mask) if p is not None}
    seen: dict[tuple, Path] = {}
    for item in work:
        target = item.target
        output_format(target)
        key = _identity(target)
        if key in inputs:
            raise ObjectRemovalError(
                f"the output {target} is one of the inputs; it would be overwritten. Choose "
                "another output (-o)."
            )
        if key in seen:
            raise ObjectRemovalError(
                f"{seen[key].name} and {item.source.name} would both be written to {target}; "
                "rename one of them or choose another output. Nothing was done."
            )
        seen[key] = item.source
        if target.is_dir():
            raise ObjectRemovalError(f"the output {target} is a folder; name a file.")
        if target.exists() and not overwrite:
            raise ObjectRemovalError(
                f"the output {target} exists already; pass --overwrite to replace it."
            )
    for folder in sorted({w.target.parent for w in work}):
        _check_writable(folder)


def write_result(target: Path, data: bytes) -> None:
    """Whole or not at all: a reader never sees half a file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data, private=False)  # the user's own picture
    except OSError as exc:
        raise ObjectRemovalError(f"cannot write {target}: {exc.strerror or exc}.") from None


def _mask_for(image: Path, mask: Path | None, needs_mask: bool) -> Path | None:
    if mask is None or not needs_mask:
        return None
    if mask.is_dir():
        if (mask / image.name).is_file():
            return mask / image.name
        matches = [p for p in mask.iterdir() if p.stem == image.stem
                   and p.suffix.lower() in INPUT_SUFFIXES]
        if not matches:
            raise ObjectRemovalError(f"no mask named {image.stem}.* in {mask} for {image}.")
        if len(matches) > 1:
            names = ", ".join(sorted(p.name for p in matches))
            raise ObjectRemovalError(f"several masks for {image.name} in {mask}: {names}.")
        return matches[0]
    if not mask.is_file():
        raise ObjectRemovalError(f"no such mask file or folder: {mask}.")
    return mask


def _identity(path: Path) -> tuple:
    """The same file, however it is spelt (links, '..', case on some systems)."""
    try:
        stat = path.stat()
        return ("inode", stat.st_dev, stat.st_ino)
    except OSError:
        return ("path", os.path.normcase(os.path.abspath(path)))


def _check_writable(folder: Path) -> None:
    """`folder` can take a file, or can be made where it is missing: tried in its nearest
    existing folder, so a refused run leaves no new empty folder behind."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ObjectRemovalError(
            f"cannot write into {folder}: {existing} is a file, not a folder. Nothing was done."
        )
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ObjectRemovalError(
            f"cannot write into {folder}: {exc.strerror or exc}. Nothing was done."
        ) from None
