"""Command line: the nodes' own code on image files, for scripting and a first try.

    python remove_objects.py local     photo.png --mask mask.png -o out/
    python remove_objects.py ailab     photos/   --mask masks/   -o out/
    python remove_objects.py modelslab photo.png --object "sofa" -o out/
    python remove_objects.py collect   modelslab:130000123@640x480 -o sofa.png

Every MaskObjectRemove provider is a choice (the registry's list); `modelslab`
with `--object` removes by name instead (TextObjectRemove's code); `collect`
fetches a ModelsLab job by its handle (FetchResult's code). A mask file marks
what to remove in white (or, for an image with transparency, where it is
transparent, as ComfyUI's Load Image reads it). For a folder of images, `--mask`
is one mask for all or a folder holding a mask with the same name for each image.

No file is ever lost: every output is checked before any work (not an input, no
two results on one name, writable, an existing file only with --overwrite) and
written whole or not at all. Keys come from the environment or the config file,
exactly as for the nodes.
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

from ..clients.keyed_http import Timeouts
from ..config import known_secrets, load_settings
from ..errors import JobTimeoutError, ObjectRemovalError, redact
from ..imaging.tensors import check_mask_fits, from_uint8, to_uint8
from ..mask.parameters import MASK_PARAMETERS, MaskInputs, mask_inputs
from ..mask.removal import MaskRemovalOptions, planned_spend, remove_by_mask
from ..providers.registry import provider_spec
from ..run_context import RunContext
from ..spending import Spend, check_budget
from ..stores.job_store import submits_awaiting_answers, wait_for_submit_answers
from ..text.job_handle import parse_job_reference
from ..text.removal import collect_result, planned_text_spend, remove_by_text
from .arguments import COLLECT, parser
from .image_files import (
    encode_for,
    image_size,
    keeps_transparency,
    kept_details,
    read_mask,
    read_rgb,
)
from .outputs import Work, check_targets, plan_files, single_target, write_result
from .progress import ProgressBar

__all__ = ["main", "read_mask", "read_rgb"]

# A mask marking this share of its image is more likely a mistake than a wish.
NEARLY_ALL = 0.9
# A budget no run reaches: per image, after the whole run was checked.
_NO_LIMIT = 10**18
# A submit's answer is read for at most a request's own limit (keyed_http.Timeouts.total).
SUBMIT_ANSWER_SECONDS = Timeouts().total


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return _run(args)
    finally:
        _keep_paid_jobs()


def _run(args: argparse.Namespace) -> int:
    try:
        if args.provider == COLLECT:
            _collect(args)
        else:
            _remove(args)
    except JobTimeoutError as exc:
        # The nodes' advice (FetchResult, queueing the workflow again) is not the CLI's.
        print(f"error: {_clean(exc.situation)}", file=sys.stderr)
        if exc.handle:
            print(f"Collect it later with: python remove_objects.py {COLLECT} {exc.handle} -o "
                  "result.png (or run the same command again: it resumes the same job, at no "
                  "extra cost)", file=sys.stderr)
        return 1
    except ObjectRemovalError as exc:
        print(f"error: {_clean(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    return 0


def _keep_paid_jobs() -> None:
    """A submit already sent whose answer is on its way has bought a job: wait for that
    answer (within the request's own limit) so the job is remembered for the next run,
    instead of ending the process and losing it."""
    if not submits_awaiting_answers():
        return
    print("waiting for ModelsLab's answer to a submit already sent, to keep its job for "
          "the next run (Ctrl+C to stop waiting) ...", file=sys.stderr)
    try:
        if wait_for_submit_answers(SUBMIT_ANSWER_SECONDS):
            print("kept: run the same command again to collect it, at no extra cost.",
                  file=sys.stderr)
            return
    except KeyboardInterrupt:
        pass
    print("no answer: the job may exist at ModelsLab; check your dashboard before paying "
          "again.", file=sys.stderr)


def _remove(args: argparse.Namespace) -> None:
    inputs = mask_inputs({p.name: getattr(args, p.name) for p in MASK_PARAMETERS})
    if args.object and args.mask:
        raise ObjectRemovalError("give --mask (remove what it covers) or --object (remove by "
                                 "name), not both.")
    if args.object and args.provider != "modelslab":
        raise ObjectRemovalError("only modelslab removes by name (--object); other providers "
                                 "need --mask.")
    if not args.object and args.mask is None:
        by_name = " or --object (remove by name)" if args.provider == "modelslab" else ""
        raise ObjectRemovalError(f"{args.provider} needs --mask (a file or a folder){by_name}.")
    work = plan_files(Path(args.input), Path(args.mask) if args.mask else None, args.output,
                      needs_mask=not args.object)
    check_targets(work, overwrite=args.overwrite)
    if not args.object:
        _check_mask_shapes(work, stretch=args.stretch_mask)
    spend = Spend()
    _check_budget(args, inputs, work)

    progress = ProgressBar(len(work)) if len(work) > 1 else None
    for number, item in enumerate(work, start=1):
        started = time.monotonic()
        result, outcome = asyncio.run(_remove_one(args, inputs, item, spend))
        details = kept_details(item.source)
        if details.alpha is not None and not keeps_transparency(item.target):
            print(f"warning: {item.target.name} cannot hold the transparency of "
                  f"{item.source.name}; its transparent parts come out opaque (a .png keeps "
                  "them).", file=sys.stderr)
        write_result(item.target, encode_for(item.target, result, details))
        if progress:
            progress.update(number, item.source.name)
        else:
            print(f"{item.source} -> {item.target} ({time.monotonic() - started:.1f} s, "
                  f"{outcome})")
    if progress:
        progress.finish()
        print(f"{len(work)} images -> {work[0].target.parent} ({outcome})")
    if args.object or provider_spec(args.provider).credits_per_call != 0:
        print(f"cost: {spend.describe()}")


def _check_mask_shapes(work: list[Work], *, stretch: bool) -> None:
    """Every image's mask fits it, checked from the files' headers before the first
    image is worked on: a folder's later image never fails after earlier paid calls."""
    for item in work:
        assert item.mask is not None
        try:
            check_mask_fits(*image_size(item.mask, "mask"), *image_size(item.source),
                            stretch=stretch)
        except ObjectRemovalError as exc:
            raise ObjectRemovalError(
                f"{item.source.name}: {exc} Or pass --stretch-mask to stretch it onto the "
                "image. Nothing was done.") from None


def _check_budget(args: argparse.Namespace, inputs: MaskInputs, work: list[Work]) -> None:
    """The whole run's cost, worked out (no call sent) before its first paid call."""
    budget = args.budget if args.budget is not None else load_settings().budget
    if budget is None or (not args.object and provider_spec(args.provider).credits_per_call == 0):
        return
    planned = Spend()
    for item in work:
        image, ctx = from_uint8(read_rgb(item.source))[None], RunContext()
        if args.object:
            planned.add(planned_text_spend(image, args.object, ctx))
        else:
            mask = torch.from_numpy(read_mask(item.mask))[None]
            planned.add(planned_spend(image, mask, _options(args, inputs), ctx))
    check_budget(planned, budget, "modelslab" if args.object else args.provider)


def _options(args: argparse.Namespace, inputs: MaskInputs) -> MaskRemovalOptions:
    # The whole run's budget was checked up front; each image then spends within it.
    return MaskRemovalOptions(provider=args.provider, inputs=inputs, composite=args.composite,
                              stretch_mask=args.stretch_mask, budget=_NO_LIMIT)


async def _remove_one(
    args: argparse.Namespace, inputs: MaskInputs, item: Work, spend: Spend
) -> tuple[np.ndarray, str]:
    """The result and the last status line (e.g. "local: done with PatchMatch, free")."""
    image = from_uint8(read_rgb(item.source))[None]
    statuses: list[str] = []
    printer = _status_printer(args.verbose)

    def on_status(text: str) -> None:
        statuses.append(text)
        if printer is not None:
            printer(text)

    ctx = RunContext(on_status=on_status, spend=spend)
    if args.object:
        result, job, _ = await remove_by_text(
            image, args.object, wait=True, timeout=args.timeout, ctx=ctx,
            composite=args.composite,
        )
        if args.verbose:
            print(f"  job: {job}", file=sys.stderr)
        return to_uint8(result[0]), _last(statuses)
    assert item.mask is not None
    mask = torch.from_numpy(read_mask(item.mask))[None]
    marked = float((mask >= 0.5).float().mean())
    if marked == 0:
        print(f"warning: the mask {item.mask} marks nothing to remove (a pixel marks it "
              f"when it is at least half white, or half transparent); {item.target} is the "
              "image unchanged.", file=sys.stderr)
    elif marked >= NEARLY_ALL:
        print(f"warning: the mask {item.mask} marks {marked:.0%} of the image to remove. "
              "White marks what to remove, and in a file with transparency the transparent "
              "part does (as ComfyUI's Load Image reads it): a white shape on a transparent "
              "layer removes everything around it.", file=sys.stderr)
    result = await remove_by_mask(image, mask, _options(args, inputs), ctx)
    return to_uint8(result[0]), _last(statuses)


def _last(statuses: list[str]) -> str:
    return statuses[-1] if statuses else "done"


def _collect(args: argparse.Namespace) -> None:
    """FetchResult on the command line: one file per job of the handle."""
    reference = parse_job_reference(args.input, load_settings().modelslab.base_url)
    ids = reference.job_ids
    if len(ids) == 1:
        targets = [single_target(f"modelslab_{ids[0]}", args.output, Path.cwd())]
    else:
        folder = Path(args.output) if args.output else Path.cwd() / "collected"
        targets = [folder / f"modelslab_{job_id}.png" for job_id in ids]
    work = [Work(Path(job_id), None, target) for job_id, target in zip(ids, targets, strict=True)]
    check_targets(work, overwrite=args.overwrite)
    ctx = RunContext(on_status=_status_printer(args.verbose))
    images, _ = asyncio.run(collect_result(args.input, timeout=args.timeout, ctx=ctx,
                                           composite=args.composite))
    for item, image in zip(work, images, strict=True):
        write_result(item.target, encode_for(item.target, to_uint8(image)))
        print(f"job {item.source} -> {item.target}")


def _clean(exc: object) -> str:
    return redact(str(exc), known_secrets())


def _status_printer(verbose: bool):
    if not verbose:
        return None
    return lambda text: print(f"  {text}", file=sys.stderr)
