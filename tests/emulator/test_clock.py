"""The injectable clock: a ManualClock moves only when told, and the emulator reads it
for jobs, CDN availability and request records."""

from __future__ import annotations

import threading
import time

import pytest
from emulator_helpers import fetch, submit, uploaded_url

from provider_emulator import Clock, ManualClock, ProviderEmulator, SystemClock


def test_manual_clock_moves_only_forward_and_only_when_told() -> None:
    clock = ManualClock(start=5)
    assert clock.now() == 5.0 and clock.now() == 5.0
    assert clock.advance(2.5) == 7.5 and clock.now() == 7.5
    assert clock.advance(0) == 7.5
    for bad in (-1, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError):
            clock.advance(bad)  # type: ignore[arg-type]
    assert clock.now() == 7.5
    with pytest.raises(ValueError):
        ManualClock(start=float("nan"))


def test_manual_sleep_advances_without_blocking() -> None:
    clock = ManualClock()
    started = time.perf_counter()
    clock.sleep(3600)
    clock.sleep(0)
    clock.sleep(-1)  # nothing to wait for, as time.sleep(0) would do
    assert clock.now() == 3600
    assert time.perf_counter() - started < 1


def test_manual_clock_is_safe_to_advance_from_many_threads() -> None:
    clock = ManualClock()
    threads = [threading.Thread(target=lambda: [clock.advance(1) for _ in range(1000)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == 4000


def test_system_clock_is_monotonic_and_really_sleeps() -> None:
    clock = SystemClock()
    first = clock.now()
    started = time.perf_counter()
    clock.sleep(0.05)
    assert clock.now() - first >= 0.05 and time.perf_counter() - started >= 0.05
    assert abs(clock.now() - time.monotonic()) < 1


def test_both_clocks_satisfy_the_protocol() -> None:
    clocks: list[Clock] = [SystemClock(), ManualClock()]
    assert all(callable(c.now) and callable(c.sleep) for c in clocks)


def test_the_emulator_uses_the_clock_it_is_given(emu: ProviderEmulator,
                                                 clock: ManualClock) -> None:
    assert emu.clock is clock
    clock.advance(1.25)
    fetch(emu, 1)
    assert emu.requests("ml_fetch")[0].time == clock.now()


def test_a_job_never_finishes_while_the_clock_stands_still(emu: ProviderEmulator,
                                                           clock: ManualClock) -> None:
    emu.behaviour.job_seconds = 0.05
    job = submit(emu, uploaded_url(emu)).json()
    time.sleep(0.1)  # real time passing changes nothing
    assert fetch(emu, job["id"]).json()["status"] == "processing"
    clock.advance(0.05)
    assert fetch(emu, job["id"]).json()["status"] == "success"


def test_separate_emulators_keep_separate_clocks() -> None:
    first, second = ManualClock(), ManualClock(start=100)
    with ProviderEmulator(clock=first) as a, ProviderEmulator(clock=second) as b:
        a.behaviour.job_seconds = b.behaviour.job_seconds = 1
        job_a = submit(a, uploaded_url(a), key="test-key").json()
        job_b = submit(b, uploaded_url(b), key="test-key").json()
        first.advance(1)
        assert fetch(a, job_a["id"]).json()["status"] == "success"
        assert fetch(b, job_b["id"]).json()["status"] == "processing"
