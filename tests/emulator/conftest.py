"""Fixtures for the provider emulator's own tests: one emulator on a ManualClock
(time moves only when a test advances it) and one on the real clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_helpers import KEY, OTHER_KEY

from provider_emulator import ManualClock, ProviderEmulator


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    """The shared emulator's clock: `clock.advance(s)` finishes jobs, frees queue slots."""
    return ManualClock(start=1000.0)


@pytest.fixture(scope="session")
def running(clock: ManualClock) -> Iterator[ProviderEmulator]:
    with ProviderEmulator(keys=(KEY, OTHER_KEY), clock=clock) as emulator:
        yield emulator


@pytest.fixture
def emu(running: ProviderEmulator) -> ProviderEmulator:
    """The shared emulator, forgotten and back to default Behaviour."""
    running.reset()
    return running


@pytest.fixture(scope="session")
def real_running() -> Iterator[ProviderEmulator]:
    with ProviderEmulator(keys=(KEY, OTHER_KEY)) as emulator:
        yield emulator


@pytest.fixture
def real_emu(real_running: ProviderEmulator) -> ProviderEmulator:
    """An emulator on the system clock, for what must really block (latency, delay)."""
    real_running.reset()
    return real_running
