"""pypatchmatch (the C++ PatchMatch the pack depends on), run so that Cancel stops it.

One native call cannot be interrupted, and on a large hole it takes seconds. So each
call runs in a child process (`patchmatch_child.py`, started with this interpreter);
while it works, `cancelled` is asked every `POLL_SECONDS`, and on Cancel the child is
ended at once: no abandoned fill keeps the CPU busy. Where no child can be started
(an interpreter that cannot run a script), the call runs in this process and Cancel
waits for it.

Starting a child costs about 0.1-0.2 s (numpy and pypatchmatch import there).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import IO

import numpy as np

from ..errors import Cancelled
from .patchmatch_child import fill

CHILD = Path(__file__).with_name("patchmatch_child.py")
POLL_SECONDS = 0.05


@functools.cache
def load_native() -> ModuleType | None:
    """The `patchmatch` module (pypatchmatch) if its native library loads, else None.

    Cached (`load_native.cache_clear()` after installing it).
    """
    try:
        import patchmatch
    except (ImportError, OSError):
        return None
    return patchmatch if patchmatch.patchmatch_available else None


def _request(image: np.ndarray, hole: np.ndarray, global_mask: np.ndarray, patch_size: int,
             seed: int, guide: np.ndarray | None, guide_weight: float) -> dict[str, np.ndarray]:
    request = {"image": np.ascontiguousarray(image, dtype=np.uint8),
               "hole": hole.astype(np.uint8), "global_mask": global_mask.astype(np.uint8),
               "patch_size": np.int64(patch_size), "seed": np.int64(seed % 2**32)}
    if guide is not None:
        request["guide"] = np.ascontiguousarray(guide, dtype=np.float32)
        request["guide_weight"] = np.float64(guide_weight)
    return request


def _in_process(request: dict[str, np.ndarray]) -> np.ndarray:
    patchmatch = load_native()
    if patchmatch is None:
        raise RuntimeError("pypatchmatch is not available")
    return fill(patchmatch, request)


def _start_child(request: IO[bytes], result: IO[bytes], errors: IO[bytes]
                 ) -> subprocess.Popen[bytes] | None:
    if not sys.executable:
        return None
    try:
        return subprocess.Popen(
            [sys.executable, str(CHILD)], stdin=request, stdout=result, stderr=errors,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))  # no console on Windows
    except OSError:
        return None


def inpaint_native(image: np.ndarray, hole: np.ndarray, global_mask: np.ndarray, *,
                   patch_size: int, seed: int, cancelled: Callable[[], bool],
                   guide: np.ndarray | None = None, guide_weight: float = 0.0) -> np.ndarray:
    """pypatchmatch's fill of `hole` in `image` (H x W x 3 uint8), copying no pixel of
    `global_mask`; with `guide` (H x W x 3 float32) its guided fill (`inpaint_regularity`).
    Raises Cancelled, the child ended, once `cancelled()` answers True."""
    request = _request(image, hole, global_mask, patch_size, seed, guide, guide_weight)
    # Files, not pipes, carry the arrays and the child's messages: the child never
    # blocks on a full pipe while this thread only waits and asks `cancelled`.
    with (tempfile.TemporaryFile() as sent, tempfile.TemporaryFile() as received,
          tempfile.TemporaryFile() as errors):
        np.savez(sent, **request)
        sent.seek(0)
        child = _start_child(sent, received, errors)
        if child is None:
            return _in_process(request)
        try:
            while True:
                try:
                    child.wait(POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if cancelled():
                        raise Cancelled("cancelled") from None
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()  # reaps the child
        if child.returncode != 0:
            errors.seek(0)
            reason = errors.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"PatchMatch failed: {reason[-1] if reason else child.returncode}")
        received.seek(0)
        return np.load(received)
