"""Several pack workers (separate processes, tests/pack_worker.py) on one account, one
provider emulator and one real Redis: what one paid for, the others reuse; the
account's limit holds across them; a killed worker's slots free within the lease;
two asked the same at once pay once; Redis stopped mid-run costs no run and is said.
Paid calls are counted at the emulator, never by the pack's counters."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from redis_server import (  # noqa: F401 (fixtures)
    RedisServer,
    fresh_redis,
    redis_or_skip,
    redis_server,
)

from object_removal.shared.redis_link import KEY_PREFIX
from support import AILAB_KEY, MODELSLAB_KEY

WORKER = Path(__file__).resolve().parent / "pack_worker.py"
WAIT = 120  # bounds on waits for the mechanism (processes start slowly on a loaded machine)

pytestmark = pytest.mark.timeout(600)


class Worker:
    """One pack process: commands in, status lines and results out."""

    def __init__(self, name: str, env: dict[str, str], folder: Path, *args: str) -> None:
        self.name = name
        self.log = folder / f"{name}.log"
        self._lines: queue.Queue[dict] = queue.Queue()
        self.statuses: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), *args], env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()
        self._next("ready")

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(json.loads(line))
        self._lines.put({"gone": True})

    def send(self, **command: object) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def result(self) -> dict:
        return self._next("result")["result"]

    def run(self, **command: object) -> dict:
        self.send(**command)
        return self.result()

    def wait_for_status(self, words: str) -> None:
        give_up = time.monotonic() + WAIT
        while not any(words in s for s in self.statuses):
            assert time.monotonic() < give_up, f"{self.name} never said {words!r}"
            try:
                self._take(timeout=0.1)
            except queue.Empty:
                pass

    def _next(self, kind: str) -> dict:
        give_up = time.monotonic() + WAIT
        while True:
            left = give_up - time.monotonic()
            assert left > 0, f"{self.name} gave no {kind}; its log:\n{self.log.read_text()}"
            try:
                line = self._take(timeout=left)
            except queue.Empty:
                continue
            if kind in line:
                return line

    def _take(self, timeout: float) -> dict:
        line = self._lines.get(timeout=timeout)
        assert "gone" not in line, f"{self.name} ended; its log:\n{self.log.read_text()}"
        if "status" in line:
            self.statuses.append(line["status"])
        return line

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.send(do="exit")
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()


@pytest.fixture
def workers(emulator, fresh_redis, tmp_path):
    """Start workers on the emulator and the test's Redis, each with its own cache folder
    (nothing shared but Redis); stopped after the test."""
    started: list[Worker] = []

    def start(name: str, *args: str, **env_extra: str) -> Worker:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
            "AILAB_BASE_URL": emulator.api_url, "MODELSLAB_BASE_URL": emulator.api_url,
            "AILAB_API_KEY": AILAB_KEY, "MODELSLAB_API_KEY": MODELSLAB_KEY,
            "OBJECT_REMOVAL_CACHE_DIR": str(tmp_path / name / "cache"),
            "OBJECT_REMOVAL_CONFIG": str(tmp_path / name / "config.ini"),
            "OBJECT_REMOVAL_REDIS_URL": fresh_redis.url, **env_extra,
        }
        worker = Worker(name, env, tmp_path, *args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def assert_nothing_secret_in(server: RedisServer, emulator) -> None:
    written = server.everything()
    assert written, "the workers wrote nothing to Redis"
    for key, value in written.items():
        assert key.startswith(KEY_PREFIX.encode())
        for secret in (AILAB_KEY, MODELSLAB_KEY, server.password, emulator.api_url):
            assert secret.encode() not in key + value, (key, secret)


def photos_at_the_emulator(emulator, endpoint: str = "ailab") -> Counter:
    return Counter(r.files["image"].data for r in emulator.requests(endpoint))


def timeline(emulator, endpoint: str = "ailab") -> str:
    """Each request's arrival (s after the first) and which photo it carried, in order:
    what a failure needs to tell a late worker from a limit learnt wrong."""
    requests = emulator.requests(endpoint)
    photo_numbers: dict[bytes, int] = {}
    first = requests[0].time if requests else 0.0
    lines = []
    for request in requests:
        number = photo_numbers.setdefault(request.files["image"].data, len(photo_numbers))
        lines.append(f"{request.time - first:.3f}s photo {number}")
    return "\n".join(lines)


def test_a_job_whose_wait_ran_out_on_one_worker_is_collected_on_another(
        emulator, workers, fresh_redis):
    emulator.behaviour.job_seconds = 5
    first, second = workers("first"), workers("second")
    timed_out = first.run(do="text", photos=[3], object="sofa", timeout=2)
    assert timed_out["error"] == "JobTimeoutError" and timed_out["handle"]
    # FetchResult on the other worker, with the handle: the original sent is in Redis.
    fetched = second.run(do="fetch", handle=timed_out["handle"], timeout=60)
    assert fetched["ok"] and "could not composite" not in second.statuses[-1]
    # The same workflow queued on the other worker: the same job, its result kept.
    again = second.run(do="text", photos=[3], object="sofa", timeout=60)
    assert again["ok"] and again["paid"] == 0 and again["digest"] == fetched["digest"]
    assert any("resumed" in s for s in second.statuses)
    assert len(emulator.requests("ml_submit")) == 1 and emulator.jobs_created() == 1
    # The mask path too: a job whose wait ran out, resumed by the other worker.
    ran_out = first.run(do="mask", provider="modelslab", photos=[4], seed=5, job_wait=2)
    assert ran_out["error"] == "JobTimeoutError"
    resumed = second.run(do="mask", provider="modelslab", photos=[4], seed=5, job_wait=60)
    assert resumed["ok"] and resumed["paid"] == 0
    assert len(emulator.requests("ml_mask_submit")) == 1 and emulator.jobs_created() == 2
    assert_nothing_secret_in(fresh_redis, emulator)


def test_a_result_paid_on_one_worker_is_reused_on_another_with_no_call(emulator, workers):
    first, second = workers("first"), workers("second")
    paid = first.run(do="mask", provider="ailab", photos=[5], seed=5)
    reused = second.run(do="mask", provider="ailab", photos=[5], seed=5)
    assert (paid["paid"], reused["paid"], reused["reused"]) == (1, 0, 1)
    assert reused["digest"] == paid["digest"] and "from cache" in second.statuses[-1]
    assert len(emulator.requests("ailab")) == 1


def test_two_workers_with_batches_of_eight_keep_to_an_account_allowing_four(
        emulator, workers, fresh_redis, record_property):
    """First the account's limit is learnt (both batches at once on a fresh account: no
    call refused twice), then both batches again: never more than four at the provider
    at once, none refused. The refusal's evidence is made to last the whole test, so
    nothing probes past four meanwhile.

    A slot taken counts as a call at the provider from then on, so the limit is learnt
    right when every worker's request arrives within one answer's time of taking its
    slot. The answers take 1.5 s here, so a worker would have to stall three times as
    long as before for that to matter (at 0.5 s, one CI run in many saw a call refused
    twice, most likely after such a stall)."""
    behaviour = {"ailab_concurrency": 4, "latency": 1.5}
    emulator.behaviour.update(behaviour)
    pair = [workers(name, "--evidence", "600") for name in ("first", "second")]
    for round_number in range(2):
        if round_number:
            emulator.reset()
            emulator.behaviour.update(behaviour)
        for number, worker in enumerate(pair):
            seeds = [100 * round_number + 10 * number + i for i in range(8)]
            worker.send(do="mask", provider="ailab", photos=seeds, seed=-1)
        results = [worker.result() for worker in pair]
        assert all(r["ok"] and r["paid"] == 8 for r in results), results
        sent = photos_at_the_emulator(emulator)
        assert len(sent) == 16 and max(sent.values()) <= 2, timeline(emulator)
        record_property(f"round_{round_number}_peak", emulator.peak_in_flight("ailab"))
        record_property(f"round_{round_number}_requests", sum(sent.values()))
    assert emulator.peak_in_flight("ailab") <= 4
    assert sum(sent.values()) == 16  # once learnt, no call was refused


def test_a_worker_killed_mid_call_frees_its_slots_within_the_lease(emulator, workers,
                                                                    fresh_redis):
    lease = 3.0
    env = {"AILAB_CONCURRENCY": "4"}  # the account's limit: the killed worker holds it all
    doomed = workers("doomed", "--lease", str(lease), **env)
    survivor = workers("survivor", "--lease", str(lease), **env)
    for _ in range(4):
        emulator.script("ailab", hold=True)
    doomed.send(do="mask", provider="ailab", photos=[20, 21, 22, 23], seed=-1)
    give_up = time.monotonic() + WAIT
    while emulator.held("ailab") < 4:
        assert time.monotonic() < give_up
        time.sleep(0.05)
    doomed.kill()
    client = fresh_redis.client()
    seconds, micros = client.time()
    killed_at_ms, killed_at = seconds * 1000 + micros // 1000, time.monotonic()
    (slots,) = client.keys(KEY_PREFIX + "limit:*:slots")
    ends = [end for _, end in client.zrange(slots, 0, -1, withscores=True)]
    assert len(ends) == 4  # the dead worker's, not renewed from now on
    assert all(end - killed_at_ms <= lease * 1000 for end in ends)
    last_end = killed_at + (max(ends) - killed_at_ms) / 1000
    emulator.release()  # the dead worker's answers go nowhere
    result = survivor.run(do="mask", provider="ailab", photos=[30, 31], seed=-1)
    assert result["ok"] and result["paid"] == 2
    survivors = [r.time for r in emulator.requests("ailab")][4:]
    assert len(survivors) == 2
    # Its calls waited for the dead worker's slots, which freed when their lease ended.
    assert min(survivors) >= last_end - 0.05


@pytest.mark.parametrize("path", ["ailab", "text"])
def test_two_workers_asked_the_same_at_once_make_one_paid_call(emulator, workers, path):
    emulator.behaviour.job_seconds = 0.3
    first, second = workers("first"), workers("second")
    command = ({"do": "mask", "provider": "ailab", "photos": [6], "seed": 5}
               if path == "ailab" else {"do": "text", "photos": [6], "object": "sofa",
                                        "timeout": 60})
    endpoint = "ailab" if path == "ailab" else "ml_submit"
    waiting = ("waiting for its result" if path == "ailab"
               else "waiting for the answer to an earlier submit")
    emulator.script(endpoint, hold=True)
    first.send(**command)
    give_up = time.monotonic() + WAIT
    while emulator.held(endpoint) < 1:
        assert time.monotonic() < give_up
        time.sleep(0.05)
    second.send(**command)
    second.wait_for_status(waiting)  # it waits for the first one's payment
    emulator.release()
    one, other = first.result(), second.result()
    assert one["ok"] and other["ok"] and one["digest"] == other["digest"]
    assert (one["paid"], other["paid"]) == (1, 0)
    assert len(emulator.requests(endpoint)) == 1


def test_redis_stopped_mid_run_the_runs_end_well_and_say_so(emulator, workers, fresh_redis):
    emulator.behaviour.job_seconds = 0.3
    first, second = workers("first"), workers("second")
    for _ in range(2):
        emulator.script("ailab", hold=True)
    first.send(do="mask", provider="ailab", photos=[7, 8], seed=5)
    give_up = time.monotonic() + WAIT
    while emulator.held("ailab") < 2:
        assert time.monotonic() < give_up
        time.sleep(0.05)
    fresh_redis.stop()
    emulator.release()
    result = first.result()
    assert result["ok"] and result["paid"] == 2
    # The other worker keeps working too, by name and by mask.
    text = second.run(do="text", photos=[9], object="sofa", timeout=60)
    assert text["ok"] and text["paid"] == 1
    for worker in (first, second):
        notes = [s for s in worker.statuses if s.startswith("shared store (Redis at")]
        assert len(notes) == 1, worker.statuses
        assert "without the shared store" in worker.statuses[-1]
        worker.stop()
        log = worker.log.read_text()
        assert log.count("unreachable") == 1, log
        assert fresh_redis.password not in log + "".join(worker.statuses)
