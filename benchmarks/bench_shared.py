"""What sharing through Redis costs and buys (issue 20's figures).

    python benchmarks/bench_shared.py [--runs N] [--rounds R]

A real redis-server (Debian's) on a free port of 127.0.0.1, started and stopped here;
the provider emulator in its own process (1 s per AILabTools call for the batches).
- What Redis adds per paid call: the store work one AILabTools call makes (result
  looked up, payment claimed, a slot of the account's limit taken, the success
  reported, the slot given back, the result kept, the claim given back), with Redis
  minus without it, for a small result and a 1 MP one (target: at most 5 ms); and
  one Redis round trip alone.
- A reused 1 MP result from Redis: reading it (target: at most 100 ms), and a whole
  MaskObjectRemove run of a 1 MP photo whose result another worker paid for, next
  to the same run reusing this worker's own disk cache.
- Batches across worker processes (tests/pack_worker.py, each with its own cache
  folder, Redis shared): 8 on each of two workers against an account allowing 4 at
  once, once the limit is learnt; one worker with 8 against an account allowing 8
  (the issue's comparison); one worker with 16 against 4 (the same work through the
  same limit in one process); and two workers without Redis (each learning alone).
  With the most calls the emulator saw at once and the calls it refused.
Medians of --runs (store figures: of 30 calls each run) and --rounds; the machine's
load average is printed with the figures. Nothing here is tuned on these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import numpy as np  # noqa: E402
import torch  # noqa: E402
from bench_speed_cost import KEY, Emulator, disc, photo, tensor  # noqa: E402 (beside this file)
from PIL import Image  # noqa: E402
from redis_server import RedisServer  # noqa: E402 (tests/)

from object_removal.config import load_settings  # noqa: E402
from object_removal.mask.parameters import MaskInputs  # noqa: E402
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask  # noqa: E402
from object_removal.run_context import RunContext  # noqa: E402
from object_removal.shared import (  # noqa: E402
    account_limit,
    forget_shared_state,
    payment_claims,
    result_store,
)
from object_removal.shared.redis_link import link_for  # noqa: E402
from object_removal.stores.result_cache import request_key  # noqa: E402

LATENCY = 1.0
WORKER = REPO / "tests" / "pack_worker.py"
ROWS: list[tuple[str, str, str]] = []


def row(figure: str, value: str, note: str = "") -> None:
    ROWS.append((figure, value, note))
    print(f"{figure:66} {value:>10}  {note}", flush=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def png_of(height: int, width: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo(height, width, seed=3)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


# --- store work per paid call ---------------------------------------------------------


def store_work(settings, data: bytes, calls: int) -> float:
    """Seconds of store work per paid call, the median of `calls` calls."""
    results = result_store(settings, None, "ailab")
    claims = payment_claims(settings, None, "ailab")
    limit = account_limit(settings, None, "ailab", settings.ailab.base_url, KEY,
                          start=12, ceiling=32)
    times = []
    for _ in range(calls):
        key = request_key(os.urandom(16))
        started = time.perf_counter()
        assert results.get(key) is None
        assert claims.claim(key)
        call = limit.call()
        with call.attempt(hold=True):
            call.succeeded()
        call.done()
        results.put(key, data)
        claims.release(key)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def store_figures(redis_url: str, runs: int) -> None:
    sizes = {"a 30 KB result": png_of(96, 128), "a 1 MP result": png_of(1000, 1000)}
    for label, data in sizes.items():
        without, shared = [], []
        for _ in range(runs):  # alternated, so a drift of the machine hits both alike
            os.environ.pop("OBJECT_REMOVAL_REDIS_URL", None)
            without.append(store_work(load_settings(), data, 30))
            os.environ["OBJECT_REMOVAL_REDIS_URL"] = redis_url
            shared.append(store_work(load_settings(), data, 30))
        added = [s - w for s, w in zip(shared, without, strict=True)]
        row(f"Redis added per paid call, {label} ({len(data) / 1e6:.2f} MB)",
            f"{statistics.median(added) * 1000:.2f} ms",
            f"with {statistics.median(shared) * 1000:.1f} ms, without "
            f"{statistics.median(without) * 1000:.1f} ms; runs "
            f"{', '.join(f'{a * 1000:.1f}' for a in added)} (target: at most 5 ms added)")
    link = link_for(load_settings().shared)
    trips = []
    for _ in range(200):
        started = time.perf_counter()
        link.run(lambda client: client.ping(), None)
        trips.append(time.perf_counter() - started)
    row("one Redis round trip (PING)", f"{statistics.median(trips) * 1000:.2f} ms")


# --- Redis memory per MB of cap ----------------------------------------------------------------


def memory_figures(redis: RedisServer, cap_mb: int = 64) -> None:
    """Fill the results' pool to its cap (each write past it drops the oldest) and read
    what Redis uses for it: the figure to size `maxmemory` by."""
    from object_removal.config import SharedSettings
    from object_removal.shared.redis_link import RedisLink
    from object_removal.shared.results import SharedResults
    from object_removal.stores.result_cache import ResultCache

    for label, data in (("1 MP results", png_of(1000, 1000)),
                        ("30 KB results", png_of(96, 128))):
        client = redis.client()
        client.flushall()
        before = client.info("memory")["used_memory"]
        link = RedisLink(SharedSettings(redis.url, "bench", cap_mb << 20))
        with tempfile.TemporaryDirectory() as folder:
            pool = SharedResults(link, "results", cap_mb << 20, ResultCache(Path(folder)), None)
            for _ in range(int(1.5 * (cap_mb << 20) / len(data))):  # past the cap
                pool._shared_put(request_key(os.urandom(16)), data)  # Redis' part of a put
        used = client.info("memory")["used_memory"] - before
        kept = int(client.get("object-removal:v1:result:results:total"))
        row(f"Redis memory for a {cap_mb} MB cap full of {label}",
            f"{used / (1 << 20):.1f} MB", f"{used / kept:.3f} bytes per byte kept "
            f"({kept / (1 << 20):.1f} MB kept)")
        client.flushall()


# --- a reused 1 MP result -----------------------------------------------------------------


def removal(settings, image, mask) -> float:
    loop = asyncio.new_event_loop()
    try:
        started = time.perf_counter()
        loop.run_until_complete(remove_by_mask(
            image, mask, MaskRemovalOptions(inputs=MaskInputs(seed=5)), RunContext(),
            settings=settings))
        return time.perf_counter() - started
    finally:
        loop.close()


def reuse_figures(redis_url: str, emu: Emulator, cache_root: Path, runs: int) -> None:
    os.environ["OBJECT_REMOVAL_REDIS_URL"] = redis_url
    data = png_of(1000, 1000)
    key = request_key("a 1 MP result")
    result_store(load_settings(), None, "ailab").put(key, data)
    reads = []
    for number in range(runs * 10):
        os.environ["OBJECT_REMOVAL_CACHE_DIR"] = str(cache_root / f"reader-{number}")
        fresh = result_store(load_settings(), None, "ailab")  # nothing on this worker's disk
        started = time.perf_counter()
        assert fresh.get(key) == data
        reads.append(time.perf_counter() - started)
    row(f"a reused 1 MP result read from Redis ({len(data) / 1e6:.2f} MB)",
        f"{statistics.median(reads) * 1000:.1f} ms", "target: at most 100 ms")

    emu.reset()
    image, mask = tensor(photo(1000, 1000, seed=7)), disc(1000, 1000, 120)
    os.environ["OBJECT_REMOVAL_CACHE_DIR"] = str(cache_root / "payer")
    removal(load_settings(), image, mask)  # paid by one worker
    from_redis, from_disk = [], []
    for number in range(runs):
        os.environ["OBJECT_REMOVAL_CACHE_DIR"] = str(cache_root / f"other-{number}")
        from_redis.append(removal(load_settings(), image, mask))  # another worker: Redis
        os.environ["OBJECT_REMOVAL_CACHE_DIR"] = str(cache_root / "payer")
        os.environ.pop("OBJECT_REMOVAL_REDIS_URL")
        from_disk.append(removal(load_settings(), image, mask))  # the payer, without Redis
        os.environ["OBJECT_REMOVAL_REDIS_URL"] = redis_url
    calls = len(emu.requests("ailab"))
    row("whole run reusing a 1 MP result another worker paid for",
        f"{statistics.median(from_redis) * 1000:.0f} ms",
        f"the payer's own run again, from its disk without Redis "
        f"{statistics.median(from_disk) * 1000:.0f} ms;"
        f" paid calls at the emulator: {calls} (1 expected)")


# --- batches across worker processes ----------------------------------------------------------


class Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), "--evidence", "600"], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._line("ready")

    def send(self, **command: object) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def result(self) -> dict:
        return self._line("result")["result"]

    def _line(self, kind: str) -> dict:
        for line in self.process.stdout:
            message = json.loads(line)
            if kind in message:
                return message
        raise RuntimeError("the worker ended")

    def stop(self) -> None:
        self.send(do="exit")
        self.process.wait(30)


def peak(emu: Emulator) -> int:
    with urllib.request.urlopen(emu.api_url + "/_emulator/in_flight?vendor=ailab",
                                timeout=30) as answer:
        return json.loads(answer.read())["peak"]


def batch_rounds(emu: Emulator, workers: list[Worker], per_worker: int, allowed: int,
                 rounds: int, first_seed: int) -> tuple[list[float], list[int], list[int]]:
    """Rounds of one batch on each worker at once: (seconds, peaks, refusals) per round."""
    seconds, peaks, refused = [], [], []
    for number in range(rounds):
        emu.reset()
        emu.behave(latency=LATENCY, ailab_concurrency=allowed)
        started = time.perf_counter()
        for index, worker in enumerate(workers):
            seeds = [first_seed + 1000 * number + 100 * index + i for i in range(per_worker)]
            worker.send(do="mask", provider="ailab", photos=seeds, seed=-1)
        results = [worker.result() for worker in workers]
        seconds.append(time.perf_counter() - started)
        assert all(r["ok"] and r["paid"] == per_worker for r in results), results
        peaks.append(peak(emu))
        refused.append(len(emu.requests("ailab")) - per_worker * len(workers))
    return seconds, peaks, refused


def scenario(emu: Emulator, redis: RedisServer | None, cache_root: Path, name: str,
             workers: int, per_worker: int, allowed: int, rounds: int) -> float:
    env_base = {"PATH": os.environ["PATH"], "HOME": str(cache_root),
                "AILAB_BASE_URL": emu.api_url, "MODELSLAB_BASE_URL": emu.api_url,
                "AILAB_API_KEY": KEY, "MODELSLAB_API_KEY": KEY,
                "OBJECT_REMOVAL_CONFIG": str(cache_root / "none.ini")}
    if redis is not None:
        redis.client().flushall()  # a fresh account: nothing learnt
        env_base["OBJECT_REMOVAL_REDIS_URL"] = redis.url
    started = [Worker({**env_base, "OBJECT_REMOVAL_CACHE_DIR": str(cache_root / f"{name}-{n}")})
               for n in range(workers)]
    try:
        learnt = batch_rounds(emu, started, per_worker, allowed, 1, first_seed=0)
        seconds, peaks, refused = batch_rounds(emu, started, per_worker, allowed, rounds,
                                               first_seed=50_000)
    finally:
        for worker in started:
            worker.stop()
    median = statistics.median(seconds)
    row(f"{name}", f"{median:.2f} s",
        f"rounds {', '.join(f'{s:.2f}' for s in seconds)}; most at once {max(peaks)}; "
        f"refused {sum(refused)} (learning round: {learnt[0][0]:.2f} s, refused "
        f"{learnt[2][0]}, most at once {learnt[1][0]})")
    return median


def batch_figures(emu: Emulator, redis: RedisServer, cache_root: Path, rounds: int) -> None:
    shared = scenario(emu, redis, cache_root, "two workers x 8, account allowing 4, Redis",
                      2, 8, 4, rounds)
    alone_8 = scenario(emu, redis, cache_root, "one worker x 8, account allowing 8",
                       1, 8, 8, rounds)
    alone_16 = scenario(emu, redis, cache_root, "one worker x 16, account allowing 4",
                        1, 16, 4, rounds)
    scenario(emu, None, cache_root, "two workers x 8, account allowing 4, no Redis",
             2, 8, 4, rounds)
    row("two workers x 8 at 4 / one worker x 8 at 8 (the issue's comparison)",
        f"{shared / alone_8:.2f}x",
        "16 calls through 4 slots take 4 round trips, 8 through 8 one: a 4 s floor against 1 s")
    row("two workers x 8 at 4 / one worker x 16 at 4 (same work, same limit)",
        f"{shared / alone_16:.2f}x", "target: at most 1.10x")
    row("two workers x 8 at 4 / the floor (4 rounds of 1 s)", f"{shared / (4 * LATENCY):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per store figure (median)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per batch figure")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    np.random.seed(0)
    emu = Emulator()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        redis = RedisServer(root / "redis").start()
        try:
            os.environ.update({
                "AILAB_BASE_URL": emu.api_url, "AILAB_API_KEY": KEY,
                "MODELSLAB_BASE_URL": emu.api_url, "MODELSLAB_API_KEY": KEY,
                "OBJECT_REMOVAL_CACHE_DIR": str(root / "cache"),
                "OBJECT_REMOVAL_CONFIG": str(root / "none.ini"),
            })
            print(f"{'figure':66} {'measured':>10}  note\nat start: {load()}")
            store_figures(redis.url, args.runs)
            memory_figures(redis)
            forget_shared_state()
            reuse_figures(redis.url, emu, root, args.runs)
            forget_shared_state()
            batch_figures(emu, redis, root, args.rounds)
            print(f"at end: {load()}")
        finally:
            redis.stop()
            emu.stop()
    print("\n| figure | measured | note |\n|---|---|---|")
    for figure, value, note in ROWS:
        print(f"| {figure} | {value} | {note} |")


if __name__ == "__main__":
    main()
