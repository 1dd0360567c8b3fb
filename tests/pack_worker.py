"""A pack worker in a process of its own, as one of several ComfyUI workers would be:
the engine's own entry points (what the nodes call), driven by JSON lines on stdin.

    python tests/pack_worker.py [--lease S] [--evidence S]

Its environment says where the providers, the keys, its own cache folder and the
shared Redis are. It prints {"ready": true} once imported, then for each command
line {"status": ...} lines as the run reports them and one {"result": {...}} line.
Commands: {"do": "mask", "provider", "photos": [seed, ...], "seed", "job_wait"},
{"do": "text", "photos", "object", "timeout"}, {"do": "fetch", "handle", "timeout"},
{"do": "exit"}. `--lease` and `--evidence` shorten the lease and the refusal's
evidence window, for tests that would otherwise wait for them.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).parent)]

from object_removal import concurrency  # noqa: E402
from object_removal.errors import ObjectRemovalError  # noqa: E402
from object_removal.mask.parameters import MaskInputs  # noqa: E402
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask  # noqa: E402
from object_removal.providers import modelslab as modelslab_provider  # noqa: E402
from object_removal.run_context import RunContext  # noqa: E402
from object_removal.shared import leases  # noqa: E402
from object_removal.text.removal import collect_result, remove_by_text  # noqa: E402
from support import disc_mask, image_tensor, photo_with_object  # noqa: E402

SIZE = (64, 80)


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def digest(tensor) -> str:  # type: ignore[no-untyped-def]
    return hashlib.sha256(tensor.numpy().tobytes()).hexdigest()[:16]


def photos(seeds: list[int]):  # type: ignore[no-untyped-def]
    return image_tensor(*(photo_with_object(*SIZE, seed=seed) for seed in seeds))


async def perform(command: dict, ctx: RunContext) -> dict:
    images = photos(command.get("photos", [1]))
    if command["do"] == "mask":
        if "job_wait" in command:
            modelslab_provider.JOB_WAIT_SECONDS = command["job_wait"]
        options = MaskRemovalOptions(provider=command["provider"],
                                     inputs=MaskInputs(seed=command["seed"], dilate_size=3))
        mask = disc_mask(SIZE[0], SIZE[1], 36, 34, 9)
        result = await remove_by_mask(images, mask, options, ctx)
        return {"digest": digest(result)}
    if command["do"] == "text":
        result, handle, _ = await remove_by_text(images, command["object"], wait=True,
                                                 timeout=command["timeout"], ctx=ctx)
        return {"digest": digest(result), "handle": handle}
    if command["do"] == "fetch":
        result, _ = await collect_result(command["handle"], timeout=command["timeout"],
                                         ctx=ctx)
        return {"digest": digest(result)}
    raise ValueError(f"no command {command['do']!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lease", type=float)
    parser.add_argument("--evidence", type=float)
    args = parser.parse_args()
    if args.lease:
        leases.LEASE_SECONDS = args.lease
    if args.evidence:
        concurrency.EVIDENCE_SECONDS = args.evidence
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    say(ready=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "exit":
            return
        ctx = RunContext(on_status=lambda text: say(status=text))
        outcome: dict = {"ok": True}
        try:
            outcome.update(asyncio.run(perform(command, ctx)))
        except ObjectRemovalError as exc:
            outcome = {"ok": False, "error": type(exc).__name__, "message": str(exc),
                       "handle": getattr(exc, "handle", None)}
        outcome.update(paid=ctx.spend.paid_calls, reused=ctx.spend.reused)
        say(result=outcome)


if __name__ == "__main__":
    main()
