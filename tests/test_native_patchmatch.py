"""pypatchmatch in a child process: the same fill as in this process, and Cancel ends
the child at once (measured by the mechanism: the child is gone, not a clock)."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from object_removal.errors import Cancelled
from object_removal.inpainting import native_patchmatch
from support import child_processes, disc_mask, photo_like

patchmatch = pytest.importorskip("patchmatch")


def scene(size: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rgb = photo_like(size, size, seed=6)
    hole = disc_mask(size, size, size // 2, size // 2, size // 5).numpy() > 0
    excluded = np.zeros_like(hole)
    excluded[:, : size // 4] = True  # a strip no pixel may be copied from
    return rgb, hole, excluded


def test_the_child_fills_exactly_as_pypatchmatch_in_this_process():
    rgb, hole, excluded = scene()
    filled = native_patchmatch.inpaint_native(rgb, hole, excluded, patch_size=3, seed=5,
                                              cancelled=lambda: False)
    patchmatch.set_random_seed(5)
    expected = patchmatch.inpaint(rgb, hole, global_mask=excluded, patch_size=3)
    assert np.array_equal(filled, expected)
    assert not np.array_equal(filled[hole], rgb[hole])


def test_without_a_child_the_call_runs_here_with_the_same_result(monkeypatch):
    rgb, hole, excluded = scene()
    in_child = native_patchmatch.inpaint_native(rgb, hole, excluded, patch_size=3, seed=2,
                                                cancelled=lambda: False)
    monkeypatch.setattr(sys, "executable", "")  # an interpreter that cannot start a script
    here = native_patchmatch.inpaint_native(rgb, hole, excluded, patch_size=3, seed=2,
                                            cancelled=lambda: False)
    assert np.array_equal(here, in_child)


def test_cancel_ends_the_child_and_leaves_no_process():
    rgb = photo_like(900, 900, seed=1)
    hole = disc_mask(900, 900, 450, 450, 300).numpy() > 0  # seconds of native work
    asked: list[float] = []

    def cancelled() -> bool:
        asked.append(time.monotonic())
        return len(asked) >= 3  # Cancel while the child works

    with pytest.raises(Cancelled):
        native_patchmatch.inpaint_native(rgb, hole, np.zeros_like(hole), patch_size=5, seed=0,
                                         cancelled=cancelled)
    assert len(asked) == 3  # asked while waiting, and the answer was acted on at once
    assert child_processes() == []


def test_a_child_that_fails_says_so(monkeypatch, tmp_path):
    broken = tmp_path / "child.py"
    broken.write_text("raise SystemExit('the native library is broken')\n")
    monkeypatch.setattr(native_patchmatch, "CHILD", broken)
    rgb, hole, excluded = scene(64)
    with pytest.raises(RuntimeError, match="PatchMatch failed: the native library is broken"):
        native_patchmatch.inpaint_native(rgb, hole, excluded, patch_size=3, seed=0,
                                         cancelled=lambda: False)


def test_a_child_that_fails_noisily_is_reported_not_waited_on(monkeypatch, tmp_path):
    # more than a pipe holds (64 KiB) on stderr, then an error: read from a file, the
    # child never blocks on it, and its last line is the message
    noisy = tmp_path / "noisy_child.py"
    noisy.write_text("import sys\nsys.stderr.write('warning\\n' * 100_000)\n"
                     "sys.stderr.write('MemoryError: out of memory\\n')\nsys.exit(3)\n")
    monkeypatch.setattr(native_patchmatch, "CHILD", noisy)
    rgb, hole, excluded = scene(32)
    polls = iter(range(200))

    def cancelled() -> bool:  # a child blocked on a full pipe would end here, as Cancel
        return next(polls, None) is None

    with pytest.raises(RuntimeError, match="MemoryError: out of memory"):
        native_patchmatch.inpaint_native(rgb, hole, excluded, patch_size=3, seed=1,
                                         cancelled=cancelled)
