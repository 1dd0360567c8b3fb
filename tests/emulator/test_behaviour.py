"""Behaviour: validated knobs, reset in place, latency on the emulator's clock."""

from __future__ import annotations

import time

import pytest
import requests
from emulator_helpers import fetch, good_basic

from provider_emulator import Behaviour, ManualClock, ProviderEmulator


def test_behaviour_is_validated_and_reset_in_place(real_emu: ProviderEmulator) -> None:
    emu = real_emu
    behaviour = emu.behaviour
    for name, value in [("ailab_output_format", "gif"), ("job_seconds", -1), ("eta", 1.5),
                        ("text_render", "sketchy"),
                        ("ailab_data_prefix", "yes"), ("queue_limit", True), ("nope", 1)]:
        with pytest.raises(ValueError):
            behaviour.update({name: value})
    behaviour.ailab_output_format = "jpg"
    assert behaviour.ailab_output_format == "jpeg"
    behaviour.latency = 0.25
    started = time.perf_counter()
    assert fetch(emu, 1).status_code == 200
    assert time.perf_counter() - started >= 0.25
    emu.reset()
    assert emu.behaviour is behaviour and behaviour == Behaviour()


def test_an_invalid_update_changes_nothing() -> None:
    behaviour = Behaviour()
    with pytest.raises(ValueError):
        behaviour.update({"job_seconds": 1, "queue_limit": -1})
    assert behaviour == Behaviour()
    with pytest.raises(ValueError):
        behaviour.job_outcome = "maybe"


def test_latency_moves_a_manual_clock_on_api_answers_only(
    emu: ProviderEmulator, clock: ManualClock
) -> None:
    emu.behaviour.latency = 20
    before, started = clock.now(), time.perf_counter()
    assert fetch(emu, 1).status_code == 200
    assert clock.now() - before == pytest.approx(20)
    url = good_basic(emu).json()["data"]["image_url"]
    assert clock.now() - before == pytest.approx(40)
    # Recorded on arrival, before the latency passed.
    assert emu.requests("ailab_basic")[0].time == pytest.approx(before + 20)
    assert requests.get(url, timeout=5).status_code == 200
    assert clock.now() - before == pytest.approx(40)  # the CDN adds no latency
    assert time.perf_counter() - started < 5  # and nobody waited 40 s


def test_ailab_refuses_calls_beyond_its_concurrency(real_emu: ProviderEmulator) -> None:
    import threading

    from emulator_helpers import good_ailab

    real_emu.behaviour.update({"ailab_concurrency": 2, "latency": 0.5})
    codes: list[int] = []
    threads = [threading.Thread(target=lambda: codes.append(good_ailab(real_emu).status_code))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 200, 429, 429]
    assert good_ailab(real_emu).status_code == 200  # the crowd has gone


def test_the_most_calls_of_one_key_at_once_are_counted_refused_ones_too(
        real_emu: ProviderEmulator) -> None:
    import threading

    import requests
    from emulator_helpers import good_ailab

    real_emu.behaviour.update({"ailab_concurrency": 2, "latency": 0.5})
    assert real_emu.peak_in_flight("ailab") == 0
    good_ailab(real_emu)
    assert real_emu.peak_in_flight("ailab") == 1  # one after the other: never more
    held = [threading.Thread(target=good_ailab, args=(real_emu,)) for _ in range(3)]
    for thread in held:
        thread.start()
    for thread in held:
        thread.join()
    assert real_emu.peak_in_flight("ailab") == 3  # the third was refused, but it came
    assert real_emu.peak_in_flight("modelslab") == 0
    over_http = requests.get(real_emu.api_url + "/_emulator/in_flight?vendor=ailab", timeout=5)
    assert over_http.json() == {"ok": True, "peak": 3}
    with pytest.raises(ValueError, match="vendor must be one of"):
        real_emu.peak_in_flight("nope")
    real_emu.reset()
    assert real_emu.peak_in_flight("ailab") == 0
