"""One pypatchmatch call in a child process: run as a script, never imported by the pack.

Why a process: a native PatchMatch call cannot be interrupted, and one call on a
large hole takes seconds; run here, Cancel ends it at once by ending the process
(`native_patchmatch.inpaint_native`). It imports only numpy and pypatchmatch (no pack module:
it runs by its path, outside the package); the pack imports its `fill` for the same call
in its own process.

stdin: an ``.npz`` with ``image`` (H x W x 3 uint8), ``hole`` and ``global_mask``
(H x W uint8), ``patch_size`` and ``seed``, and, for a guided fill, ``guide``
(H x W x 3 float32) and ``guide_weight``. stdout: the filled image as ``.npy``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from types import ModuleType

import numpy as np


def fill(patchmatch: ModuleType, request: Mapping[str, np.ndarray]) -> np.ndarray:
    """pypatchmatch's fill for `request` (the fields above); also what the pack calls
    in its own process where no child can be started."""
    patchmatch.set_random_seed(int(request["seed"]))
    image, hole = request["image"], request["hole"]
    options = {"global_mask": request["global_mask"], "patch_size": int(request["patch_size"])}
    if "guide" in request:
        return patchmatch.inpaint_regularity(
            image, hole, request["guide"], guide_weight=float(request["guide_weight"]),
            **options)
    return patchmatch.inpaint(image, hole, **options)


def main() -> None:
    import patchmatch

    filled = fill(patchmatch, np.load(io.BytesIO(sys.stdin.buffer.read())))
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(filled, dtype=np.uint8))
    sys.stdout.buffer.write(out.getvalue())
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
