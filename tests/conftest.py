"""Shared fixtures: an isolated configuration for every test, and the provider
emulator (real HTTP on 127.0.0.1) for the tests that talk to providers. At the end,
how many real-ComfyUI tests ran in each ComfyUI."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from object_removal.concurrency import forget_limits
from object_removal.config import Settings, load_settings
from object_removal.shared import forget_shared_state
from provider_emulator import ProviderEmulator
from support import AILAB_KEY, MODELSLAB_KEY, pack_module


@pytest.fixture(autouse=True)
def isolated_configuration(monkeypatch, tmp_path):
    """No test reads the developer's own keys, config file or cache."""
    for name in ("AILAB_API_KEY", "MODELSLAB_API_KEY", "AILAB_BASE_URL", "MODELSLAB_BASE_URL",
                 "MODELSLAB_QUEUE_LIMIT", "AILAB_CONCURRENCY", "OBJECT_REMOVAL_LAMA_MODEL",
                 "OBJECT_REMOVAL_BUDGET", "OBJECT_REMOVAL_MIGAN_MODEL",
                 "OBJECT_REMOVAL_MODEL_DIR", "OBJECT_REMOVAL_REDIS_URL",
                 "OBJECT_REMOVAL_REDIS_CACHE_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OBJECT_REMOVAL_CONFIG", str(tmp_path / "config" / "config.ini"))
    monkeypatch.setenv("OBJECT_REMOVAL_CACHE_DIR", str(tmp_path / "cache"))
    # What one test taught the adaptive limits must not slow or speed the next.
    forget_limits()
    pack_module("object_removal.concurrency").forget_limits()
    forget_shared_state()
    pack_module("object_removal.shared").forget_shared_state()


@pytest.fixture(scope="session")
def emulator_server():
    with ProviderEmulator(keys=(AILAB_KEY, MODELSLAB_KEY)) as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_server):
    emulator_server.reset()
    yield emulator_server
    emulator_server.reset()


@pytest.fixture
def settings(emulator, monkeypatch) -> Settings:
    """Both providers pointed at the emulator, each with its own key."""
    monkeypatch.setenv("AILAB_BASE_URL", emulator.api_url)
    monkeypatch.setenv("MODELSLAB_BASE_URL", emulator.api_url)
    monkeypatch.setenv("AILAB_API_KEY", AILAB_KEY)
    monkeypatch.setenv("MODELSLAB_API_KEY", MODELSLAB_KEY)
    return load_settings()


# A real-ComfyUI test's id carries its ComfyUI's version: test_x[0.3.64] or [0.33.0-True].
_VERSION_IN_ID = re.compile(r"[\[-](\d+\.\d+\.\d+)[\]-]")


def pytest_terminal_summary(terminalreporter) -> None:
    """One line per ComfyUI version, so a log shows the pack ran in each (or did not)."""
    counts: Counter[tuple[str, str]] = Counter()
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            found = _VERSION_IN_ID.search(nodeid) if "test_comfyui_" in nodeid else None
            when = getattr(report, "when", "call")
            # A test is its call; a setup counts only when it skipped or failed the test.
            if found and (when == "call" or (when == "setup" and outcome != "passed")):
                counts[found.group(1), outcome] += 1
    for version in sorted({v for v, _ in counts}, key=lambda v: tuple(map(int, v.split(".")))):
        said = ", ".join(f"{counts[version, o]} {o}" for o in ("passed", "failed", "error",
                                                              "skipped") if counts[version, o])
        terminalreporter.write_line(f"real ComfyUI {version}: {said}")
