"""Answers held back on their way (`hold`): the work is done at once (a ModelsLab job is
queued, and billed), the answer goes out only when the test releases it."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
import requests
from emulator_helpers import KEY, fetch, submit, uploaded_url

from provider_emulator import ProviderEmulator

WAIT = 30  # generous: only a broken emulator gets near it


def until(condition, what: str) -> None:
    """Wait for `condition()` (bounded, so a broken emulator fails instead of hanging)."""
    give_up = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < give_up, f"never happened: {what}"
        time.sleep(0.01)


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def test_a_held_submit_has_queued_its_job_before_its_answer_goes(
        real_emu: ProviderEmulator, pool) -> None:
    url = uploaded_url(real_emu)
    real_emu.script("ml_submit", hold=True)
    answer: Future = pool.submit(submit, real_emu, url)
    until(lambda: real_emu.held("ml_submit") == 1, "the submit's answer is held")
    assert real_emu.jobs_created() == 1  # the job exists (and is billed) ...
    assert not answer.done()  # ... while its answer has not gone out
    assert real_emu.held() == 1 and real_emu.held("ml_fetch") == 0
    assert real_emu.release("ml_submit") == 1
    job = answer.result(timeout=WAIT).json()
    assert job["status"] in ("processing", "success")
    assert fetch(real_emu, job["id"]).json()["id"] == job["id"]  # the same job, fetchable
    assert real_emu.held() == 0 and real_emu.jobs_created() == 1


def test_any_scripted_answer_can_be_held_and_release_picks_the_endpoint(
        real_emu: ProviderEmulator, pool) -> None:
    url = uploaded_url(real_emu)
    real_emu.script("ml_submit", http_status=500, json={"status": "error", "message": "x"},
                    hold=True)
    real_emu.script("ml_fetch", hold=True)
    refused: Future = pool.submit(submit, real_emu, url)
    unknown: Future = pool.submit(fetch, real_emu, 1)
    until(lambda: real_emu.held() == 2, "both answers are held")
    assert real_emu.release("ml_fetch") == 1
    assert unknown.result(timeout=WAIT).json()["status"] == "error"
    assert not refused.done() and real_emu.held("ml_submit") == 1
    assert real_emu.release() == 1  # every endpoint's
    assert refused.result(timeout=WAIT).status_code == 500
    assert real_emu.jobs_created() == 0  # an error answer queued nothing


def test_reset_sends_what_was_held(real_emu: ProviderEmulator, pool) -> None:
    url = uploaded_url(real_emu)
    real_emu.script("ml_submit", hold=True)
    answer: Future = pool.submit(submit, real_emu, url)
    until(lambda: real_emu.held("ml_submit") == 1, "the submit's answer is held")
    real_emu.reset()
    assert answer.result(timeout=WAIT).status_code == 200  # nobody is left hanging
    assert real_emu.held() == 0


def test_a_client_that_gave_up_on_a_held_answer_leaves_the_emulator_serving(
        real_emu: ProviderEmulator) -> None:
    url = uploaded_url(real_emu)
    real_emu.script("ml_submit", hold=True)
    with pytest.raises(requests.Timeout):
        submit(real_emu, url, timeout=0.5)
    assert real_emu.held("ml_submit") == 1 and real_emu.jobs_created() == 1
    real_emu.release()
    assert submit(real_emu, url).json()["status"] in ("processing", "success")
    assert real_emu.jobs_created() == 2


def test_control_endpoints_release_and_count(real_emu: ProviderEmulator, pool) -> None:
    control = real_emu.api_url + "/_emulator"
    url = uploaded_url(real_emu)
    scripted = requests.post(control + "/script", json={"endpoint": "ml_submit", "hold": True},
                             timeout=5)
    assert scripted.json() == {"ok": True}
    answer: Future = pool.submit(submit, real_emu, url)
    until(lambda: requests.get(control + "/held", params={"endpoint": "ml_submit"},
                               timeout=5).json()["held"] == 1, "the answer is held")
    assert requests.get(control + "/jobs", timeout=5).json() == {"ok": True, "created": 1}
    assert KEY not in requests.get(control + "/jobs", timeout=5).text
    released = requests.post(control + "/release", json={"endpoint": "ml_submit"}, timeout=5)
    assert released.json() == {"ok": True, "released": 1}
    assert answer.result(timeout=WAIT).status_code == 200
    wrong = requests.post(control + "/release", json={"endpoint": "nope"}, timeout=5)
    assert wrong.status_code == 400 and "endpoint must be one of" in wrong.json()["error"]


@pytest.mark.parametrize("other", [{"drop": True}, {"silent": True}])
def test_hold_needs_an_answer_to_hold(emu: ProviderEmulator, other) -> None:
    with pytest.raises(ValueError, match="hold needs an answer"):
        emu.script("ml_submit", hold=True, **other)
