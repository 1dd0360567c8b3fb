"""Cancel stops offline work: the abandoned fill ends at its next unit of work, the
process goes idle, and the next offline fill waits until the abandoned one has ended.

Measured by the mechanism, not the clock: the backends' own count of units started
(`inpainting.units_started`), the pack's worker threads and child processes (the
native PatchMatch runs in one), the process's CPU time and the order in which fills
start and end. The user-facing times (how long until the
CPU is idle) are in benchmarks/bench_local.py --cancel.
"""

from __future__ import annotations

import asyncio
import resource
import threading
import time

import numpy as np
import pytest

from object_removal.errors import Cancelled
from object_removal.inpainting import inpaint_locally, units_started
from object_removal.mask.parameters import MaskInputs
from object_removal.providers import local
from object_removal.providers.base import ProviderEnvironment, SeedAndDilation
from object_removal.run_context import RunContext
from support import child_processes, disc_mask, photo_like

# Generous bounds on waiting for work that should end at once; never a speed claim.
DEADLINE = 60.0


def large_fill() -> tuple[np.ndarray, np.ndarray]:
    """A 1200 x 1200 photo-like picture with a hole of about a third of it."""
    rgb = photo_like(1200, 1200, seed=3)
    hole = disc_mask(1200, 1200, 600, 600, 390).numpy() > 0
    return rgb, hole


def provider(ctx: RunContext, backend: str = "patchmatch") -> local.LocalProvider:
    env = ProviderEnvironment(ctx=ctx, composite=True, settings=lambda: None)  # type: ignore[arg-type]
    params = SeedAndDilation.from_inputs(MaskInputs(dilate_size=2, seed=1))
    return local.LocalProvider(params, env, backend=backend, name=f"local-{backend}")


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "object-removal-http"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_until(condition, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"still waiting for {what} after {DEADLINE} s")
        time.sleep(0.01)


async def cancel_mid_way(rgb: np.ndarray, hole: np.ndarray) -> int:
    """Start a fill through the local provider, cancel it once it has done a few units;
    return the unit count at the moment of Cancel."""
    ctx = RunContext()
    fill_provider = provider(ctx)
    request = fill_provider.prepare(rgb, hole)
    started = units_started()
    task = asyncio.ensure_future(fill_provider.fill(request, ctx))
    while units_started() < started + 3:
        assert not task.done(), "the large fill ended before it could be cancelled"
        await asyncio.sleep(0.01)
    at_cancel = units_started()
    ctx.cancel()
    with pytest.raises(Cancelled):
        await task
    return at_cancel


def test_a_cancelled_fill_stops_at_its_next_unit_and_the_process_goes_idle():
    rgb, hole = large_fill()
    at_cancel = asyncio.run(cancel_mid_way(rgb, hole))
    wait_until(lambda: not worker_threads(), "the abandoned fill's thread to end")
    assert not local._OFFLINE_WORK.locked()
    assert child_processes() == []  # a native PatchMatch child was ended, not left running
    stopped_at = units_started()
    # at most the unit running when Cancel came, and the one it was about to check
    assert stopped_at - at_cancel <= 1
    before = cpu_seconds()
    time.sleep(0.5)
    assert cpu_seconds() - before < 0.2, "something still computes after the fill stopped"
    assert units_started() == stopped_at


def test_the_next_offline_fill_waits_until_the_abandoned_one_has_ended(monkeypatch):
    events: list[str] = []
    real = local.inpaint_locally

    def logged(rgb, hole, **kwargs):
        name = "large" if hole.shape[0] > 500 else "small"
        events.append(f"{name} starts")
        try:
            return real(rgb, hole, **kwargs)
        finally:
            if name == "large":
                time.sleep(0.5)  # as if its last unit were long: the next fill must wait
            events.append(f"{name} ends")

    monkeypatch.setattr(local, "inpaint_locally", logged)
    rgb, hole = large_fill()
    small_rgb = photo_like(120, 160, seed=5)
    small_hole = disc_mask(120, 160, 60, 80, 20).numpy() > 0

    async def scenario() -> tuple[np.ndarray, np.ndarray]:
        await cancel_mid_way(rgb, hole)
        ctx = RunContext()
        next_provider = provider(ctx)
        request = next_provider.prepare(small_rgb, small_hole)
        filled = await next_provider.fill(request, ctx)
        return filled.rgb, request.grown_hole

    result, grown = asyncio.run(scenario())
    assert events == ["large starts", "large ends", "small starts", "small ends"]
    assert np.array_equal(result[~grown], small_rgb[~grown])
    assert not np.array_equal(result[grown], small_rgb[grown])


@pytest.mark.parametrize("backend", ["patchmatch", "telea"])
def test_every_backend_checks_for_cancel_before_its_work(backend):
    rgb, hole = photo_like(96, 96, seed=2), disc_mask(96, 96, 48, 48, 12).numpy() > 0
    started = units_started()
    with pytest.raises(Cancelled):
        inpaint_locally(rgb, hole, backend=backend, cancelled=lambda: True)
    assert units_started() == started
    inpaint_locally(rgb, hole, backend=backend)
    assert units_started() > started
