"""Speed and cost as users feel them, in one run on this machine (issue 12's figures).

    python benchmarks/bench_speed_cost.py [--quick]

Every figure goes through the pack's real code and the provider emulator over HTTP on
127.0.0.1, run as a separate process (so its own work does not share this one's
interpreter), scripted through its control endpoints. The node's overhead is set
against two paths measured in the same run: the floor any pack must spend on a 1 MP
image (JPEG q95 encode, base64 both ways, JPEG decode of the reply, one float blend)
and a typical pack's naive PNG path.
--quick skips the 60 s polling figure.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from bench_pipeline import median_seconds  # noqa: E402 (beside this file)
from PIL import Image  # noqa: E402

from object_removal.concurrency import forget_limits  # noqa: E402
from object_removal.config import load_settings  # noqa: E402
from object_removal.errors import Cancelled, ObjectRemovalError  # noqa: E402
from object_removal.imaging.codec import decode_image, encode_jpeg  # noqa: E402
from object_removal.mask.parameters import MaskInputs  # noqa: E402
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask  # noqa: E402
from object_removal.run_context import RunContext  # noqa: E402
from object_removal.stores.result_cache import ResultCache, request_key  # noqa: E402
from object_removal.text.removal import remove_by_text  # noqa: E402
from provider_emulator import emulated_removal  # noqa: E402

KEY = "bench-key-0123456789"
ROWS: list[tuple[str, str, str]] = []


class Emulator:
    """`python -m provider_emulator` in its own process, driven over /_emulator/."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "provider_emulator", "--port", "0", "--cdn-port", "0",
             "--key", KEY], cwd=REPO, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if "API (AILabTools and ModelsLab):" in line:
                self.api_url = line.split()[-1]
                break

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)

    def _call(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api_url + "/_emulator/" + path, data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def script(self, endpoint: str, **fields: object) -> None:
        self._call("POST", "script", {"endpoint": endpoint, **fields})

    def behave(self, **changes: object) -> None:
        self._call("POST", "behaviour", changes)

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def requests(self, endpoint: str) -> list[dict]:
        return self._call("GET", f"requests?endpoint={endpoint}")  # type: ignore[return-value]


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([120 + 80 * np.sin(xx / 37 + seed) * np.cos(yy / 53),
                     100 + 60 * np.cos(xx / 23 + yy / 41), 90 + 50 * np.sin((xx + yy) / 61)], -1)
    noise = np.random.default_rng(seed).normal(0, 6, (height, width, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def disc(height: int, width: int, radius: int) -> torch.Tensor:
    yy, xx = np.mgrid[0:height, 0:width]
    inside = (yy - height // 2) ** 2 + (xx - width // 2) ** 2 <= radius * radius
    return torch.from_numpy(inside.astype(np.float32))


def tensor(*arrays: np.ndarray) -> torch.Tensor:
    return torch.stack([torch.from_numpy(a.astype(np.float32) / 255.0) for a in arrays])


def in_a_loop(coroutine):
    """Awaited the way ComfyUI awaits a node: in a running loop (not asyncio.run, whose
    signal handling costs more than the work measured here)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def row(figure: str, value: str, note: str = "") -> None:
    ROWS.append((figure, value, note))
    print(f"{figure:58} {value:>14}  {note}", flush=True)


# --- batches ----------------------------------------------------------------------------------


def batch_of_eight(emu: Emulator, settings) -> None:
    forget_limits()
    emu.reset()
    emu.behave(latency=1.0)
    images = tensor(*(photo(256, 256, seed) for seed in range(8)))
    options = MaskRemovalOptions(inputs=MaskInputs(seed=-1))
    started = time.perf_counter()
    in_a_loop(remove_by_mask(images, disc(256, 256, 30), options, RunContext(),
                             settings=settings))
    row("8 images, 1 s per request, default settings", f"{time.perf_counter() - started:.2f} s",
        f"{len(emu.requests('ailab'))} requests")
    emu.reset()


# --- overhead at 1 MP --------------------------------------------------------------------------


def overhead(emu: Emulator, settings) -> None:
    forget_limits()
    rgb, mask = photo(1000, 1000), disc(1000, 1000, 100)
    image = tensor(rgb)
    result = emulated_removal(rgb, mask.numpy() >= 0.5, 15, 0, 0)
    reply_jpeg = encode_jpeg(result)
    reply = {"error_code": 0,
             "data": {"binary_data_base64": [base64.b64encode(reply_jpeg).decode()]}}
    options = MaskRemovalOptions(inputs=MaskInputs(seed=-1))

    def node() -> None:
        emu.script("ailab", json=reply)  # an instant provider: the answer is ready
        in_a_loop(remove_by_mask(image, mask, options, RunContext(), settings=settings))

    node()
    node_seconds = median_seconds(node, runs=9)
    weights = torch.rand(1000, 1000, 1)
    original = torch.from_numpy(rgb.astype(np.float32) / 255)

    def floor() -> None:
        sent = base64.b64encode(encode_jpeg(rgb, 95))
        back = decode_image(base64.b64decode(sent))
        result = torch.from_numpy(back.astype(np.float32) / 255)
        _ = original + (result - original) * weights

    def naive_png() -> None:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="PNG")
        sent = base64.b64encode(buffer.getvalue())
        back = np.asarray(Image.open(io.BytesIO(base64.b64decode(sent))).convert("RGB"))
        result = torch.from_numpy(back.astype(np.float32) / 255)
        _ = original + (result - original) * weights

    floor_seconds, png_seconds = median_seconds(floor, runs=9), median_seconds(naive_png, runs=9)
    row("node time per 1 MP image, instant provider", f"{node_seconds * 1000:.0f} ms",
        f"{node_seconds / floor_seconds:.2f}x the floor")
    row("  floor: JPEG q95, base64 both ways, decode, blend", f"{floor_seconds * 1000:.0f} ms")
    row("  naive PNG path of a typical pack", f"{png_seconds * 1000:.0f} ms",
        f"{png_seconds / floor_seconds:.2f}x the floor")
    emu.reset()


# --- polling -----------------------------------------------------------------------------------


def pick_up(emu: Emulator, settings, job_seconds: float, eta: int | None) -> tuple:
    forget_limits()
    emu.reset()
    emu.behave(job_seconds=job_seconds, eta=eta, modelslab_output_size="same")
    image = tensor(photo(64, 64, int(job_seconds * 10) + (eta or 0)))
    started = time.perf_counter()
    in_a_loop(remove_by_text(image, f"thing {time.time()}", wait=True, timeout=600,
                             ctx=RunContext(), settings=settings))
    elapsed = time.perf_counter() - started
    submitted = emu.requests("ml_submit")[0]["time"]
    ready = submitted + job_seconds
    last_fetch = emu.requests("ml_fetch")[-1]["time"]
    return last_fetch - ready, len(emu.requests("ml_fetch")), elapsed


def polling(emu: Emulator, settings, quick: bool) -> None:
    for label, job, eta in (("eta right (6 s job, eta 6)", 6, 6),
                            ("eta too low (6 s job, eta 1)", 6, 1),
                            ("eta too high (4 s job, eta 20)", 4, 20)):
        late, polls, _ = pick_up(emu, settings, job, eta)
        allowed = 1.0 if "right" in label else max(1.0, 0.25 * job)
        row(f"pick-up after ready, {label}", f"{late:.2f} s",
            f"{polls} polls; target {allowed:.1f} s")
    if not quick:
        _, polls, _ = pick_up(emu, settings, 60, 60)
        row("polls per job of 60 s, eta right", f"{polls}", "target at most 20")
    emu.reset()


# --- reuse, cancel, cache ----------------------------------------------------------------------


def rerun(emu: Emulator, settings) -> None:
    forget_limits()
    emu.reset()
    image, mask = tensor(photo(512, 512, 3)), disc(512, 512, 60)
    options = MaskRemovalOptions(inputs=MaskInputs(seed=5))
    in_a_loop(remove_by_mask(image, mask, options, RunContext(), settings=settings))
    before = len(emu.requests("ailab"))
    statuses: list[str] = []
    seconds = median_seconds(lambda: in_a_loop(remove_by_mask(
        image, mask, options, RunContext(on_status=statuses.append), settings=settings)), runs=5)
    calls = len(emu.requests("ailab")) - before
    row("re-run of a paid request", f"{seconds * 1000:.0f} ms",
        f"{calls} calls; status: {statuses[-1]!r}")
    emu.reset()


def cancel_latency(emu: Emulator, settings) -> None:
    image, mask = tensor(photo(128, 128, 9)), disc(128, 128, 20)
    phases: dict[str, Callable[[], None]] = {
        "the call": lambda: emu.behave(latency=30),
        "a backoff": lambda: emu.script("ailab", code="EXCEEDING_LIMITS", retry_after=30),
        "a submit's answer (held back)": lambda: emu.script("ml_submit", hold=True),
        "a poll wait": lambda: emu.behave(job_seconds=60),
        "a download": lambda: (emu.behave(job_seconds=0),
                               emu.script("cdn", trickle=1.0), emu.script("cdn", trickle=1.0)),
    }
    worst = 0.0
    for phase, arrange in phases.items():
        forget_limits()
        emu.reset()
        arrange()
        ctx = RunContext()
        if phase in ("a submit's answer (held back)", "a poll wait", "a download"):
            work = remove_by_text(image, f"cancel {phase}", wait=True, timeout=120, ctx=ctx,
                                  settings=settings)
        else:
            work = remove_by_mask(image, mask, MaskRemovalOptions(inputs=MaskInputs(seed=-1)),
                                  ctx, settings=settings)
        cancelled_at: list[float] = []

        def press(ctx: RunContext = ctx, pressed: list[float] = cancelled_at) -> None:
            pressed.append(time.perf_counter())
            ctx.cancel()

        threading.Timer(1.5, press).start()
        try:
            in_a_loop(work)
        except Cancelled:
            pass
        took = time.perf_counter() - cancelled_at[0]
        worst = max(worst, took)
        row(f"Cancel to end, during {phase}", f"{took:.2f} s")
    row("Cancel to end, worst phase", f"{worst:.2f} s", "target at most 1 s")
    emu.reset()


def deadline_overrun(emu: Emulator, settings) -> None:
    """How long after its `timeout` a text removal ends when the provider trickles (the
    tests check the deadline's mechanism; this is the figure users feel)."""
    image = tensor(photo(96, 96, 11))
    phases: dict[str, Callable[[], None]] = {
        "a submit answered 1 byte a second": lambda: emu.script("ml_submit", trickle=1.0),
        "polls answered 1 byte a second": lambda: (
            emu.behave(job_seconds=60),
            [emu.script("ml_fetch", trickle=1.0) for _ in range(10)]),
        "a download 1 byte a second": lambda: (
            emu.behave(job_seconds=0), emu.script("cdn", trickle=1.0),
            emu.script("cdn", trickle=1.0)),
    }
    worst = 0.0
    timeout = 3
    for phase, arrange in phases.items():
        forget_limits()
        emu.reset()
        arrange()
        started = time.perf_counter()
        try:
            in_a_loop(remove_by_text(image, f"deadline {phase} {time.time()}", wait=True,
                                     timeout=timeout, ctx=RunContext(), settings=settings))
        except ObjectRemovalError:
            pass
        over = time.perf_counter() - started - timeout
        worst = max(worst, over)
        row(f"timeout to end, {phase}", f"{over:+.2f} s")
    row("timeout to end, worst phase", f"{worst:+.2f} s", "target at most 1 s")
    emu.reset()


def cache_writes() -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = ResultCache(Path(folder))
        data = encode_jpeg(photo(48, 48, 1))
        started = time.perf_counter()
        for number in range(10_000):
            cache.put(request_key(str(number)), data)
        row("10,000 writes to the result cache (small images)",
            f"{time.perf_counter() - started:.2f} s", f"{len(data)} bytes each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 60 s polling figure")
    args = parser.parse_args()
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    emu = Emulator()
    with tempfile.TemporaryDirectory() as cache:
        os.environ.update({
            "AILAB_BASE_URL": emu.api_url, "AILAB_API_KEY": KEY,
            "MODELSLAB_BASE_URL": emu.api_url, "MODELSLAB_API_KEY": KEY,
            "OBJECT_REMOVAL_CACHE_DIR": cache, "OBJECT_REMOVAL_CONFIG": "",
        })
        settings = load_settings()
        print(f"{'figure':58} {'measured':>14}  note")
        batch_of_eight(emu, settings)
        overhead(emu, settings)
        polling(emu, settings, args.quick)
        rerun(emu, settings)
        cancel_latency(emu, settings)
        deadline_overrun(emu, settings)
        cache_writes()
    emu.stop()
    print("\n| figure | measured | note |\n|---|---|---|")
    for figure, value, note in ROWS:
        print(f"| {figure.strip()} | {value} | {note} |")


if __name__ == "__main__":
    main()
