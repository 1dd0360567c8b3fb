"""How many calls go out at once, as users feel it (issue 16's figures).

    python benchmarks/bench_concurrency.py [--runs N] [--comfyui VERSION=DIR:VENV ...]

Against the provider emulator in its own process (1 s per AILabTools call):
- a batch of 8 in a fresh process, and right after two refusals of a single call
  (target: within 20% of the fresh batch: a lone call's refusal says nothing of the
  account's limit);
- a batch of 8 against an account that allows only 2 calls at once (target: no call
  refused more than once), its time, and the limit learnt.
The same figures in the pack's engine (this process) and, with --comfyui (or the
COMFYUI_TARGETS the tests use), inside real ComfyUI servers, timed by ComfyUI's own
execution_start / execution_success timestamps. Medians of --runs runs. Nothing here
is tuned: the rule's one constant (how long a refusal's evidence holds, 30 s) was set
before these figures were taken.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from bench_speed_cost import KEY, Emulator, disc, photo, tensor  # noqa: E402 (beside this file)
from PIL import Image  # noqa: E402

from object_removal.concurrency import account_limit, forget_limits  # noqa: E402
from object_removal.config import AILAB_CEILING, AILAB_START, load_settings  # noqa: E402
from object_removal.mask.parameters import MaskInputs  # noqa: E402
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask  # noqa: E402
from object_removal.run_context import RunContext  # noqa: E402

LATENCY = 1.0
SHARED = Path(os.environ.get("COMFYUI_SCRIPTS", REPO.parent / "shared" / "comfyui"))
if not (SHARED / "comfy_up.sh").is_file():
    SHARED = Path("/work/shared/comfyui")
ROWS: list[tuple[str, str, str]] = []


def row(figure: str, value: str, note: str = "") -> None:
    ROWS.append((figure, value, note))
    print(f"{figure:64} {value:>10}  {note}", flush=True)


def refusals_per_call(emu: Emulator) -> int:
    """The most times one call (one picture) was sent before it went through, minus one."""
    sent = Counter(r["files"].get("image") for r in emu.requests("ailab"))
    return max(sent.values()) - 1


# --- in the engine ------------------------------------------------------------------------------


def engine_batch(settings) -> float:
    images = tensor(*(photo(256, 256, seed) for seed in range(8)))
    options = MaskRemovalOptions(inputs=MaskInputs(seed=-1))
    loop = asyncio.new_event_loop()
    try:
        started = time.perf_counter()
        loop.run_until_complete(remove_by_mask(images, disc(256, 256, 30), options,
                                               RunContext(), settings=settings))
        return time.perf_counter() - started
    finally:
        loop.close()


def lone_call_refused_twice(emu: Emulator, settings) -> None:
    emu.script("ailab", code="EXCEEDING_LIMITS")
    emu.script("ailab", code="EXCEEDING_LIMITS")
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(remove_by_mask(
            tensor(photo(128, 128, 99)), disc(128, 128, 20),
            MaskRemovalOptions(inputs=MaskInputs(seed=-1)), RunContext(), settings=settings))
    finally:
        loop.close()


def engine_figures(emu: Emulator, settings, runs: int) -> None:
    fresh, after = [], []
    forget_limits()
    emu.behave(latency=LATENCY)
    engine_batch(settings)  # warm-up: imports, first encodes
    for _ in range(runs):
        forget_limits()
        emu.reset()
        emu.behave(latency=LATENCY)
        fresh.append(engine_batch(settings))
        forget_limits()
        emu.reset()
        emu.behave(latency=LATENCY)
        lone_call_refused_twice(emu, settings)
        after.append(engine_batch(settings))
    report("engine", fresh, after)
    times, worst = [], 0
    for _ in range(runs):
        forget_limits()
        emu.reset()
        emu.behave(latency=LATENCY, ailab_concurrency=2)
        times.append(engine_batch(settings))
        worst = max(worst, refusals_per_call(emu))
    learnt = account_limit("ailab", settings.ailab.base_url, KEY, start=AILAB_START,
                           ceiling=AILAB_CEILING).limit
    row("engine: batch of 8, account allowing 2 at once", f"{statistics.median(times):.2f} s",
        f"most refusals of one call: {worst} (target 1); limit learnt: {learnt}")
    emu.reset()


def report(where: str, fresh: list[float], after: list[float]) -> None:
    fresh_s, after_s = statistics.median(fresh), statistics.median(after)
    row(f"{where}: batch of 8, 1 s per call, fresh", f"{fresh_s:.2f} s",
        f"runs {', '.join(f'{t:.2f}' for t in fresh)}")
    row(f"{where}: the same right after two refusals of a single call", f"{after_s:.2f} s",
        f"{after_s / fresh_s:.2f}x the fresh batch (target at most 1.20x); runs "
        f"{', '.join(f'{t:.2f}' for t in after)}")


# --- in a real ComfyUI --------------------------------------------------------------------------


class Comfy:
    """A real ComfyUI started by the shared comfy_up.sh, the pack linked into it."""

    def __init__(self, version: str, directory: Path, venv: Path, emu: Emulator,
                 work: Path) -> None:
        self.version = version
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = work / "config.ini"
        config.write_text(f"[ailab]\napi_key = {KEY}\n[modelslab]\napi_key = {KEY}\n")
        config.chmod(0o600)
        self.env = {**os.environ, "AILAB_BASE_URL": emu.api_url,
                    "MODELSLAB_BASE_URL": emu.api_url, "OBJECT_REMOVAL_CONFIG": str(config),
                    "OBJECT_REMOVAL_CACHE_DIR": str(work / "cache"), "COMFY_DIR": str(directory),
                    "COMFY_VENV": str(venv), "COMFY_LOG": str(work / "comfy.log"),
                    "COMFY_PIDFILE": str(work / "comfy.pid"),
                    "COMFY_PACK_NAME": "comfyui-object-removal"}
        for name in ("AILAB_API_KEY", "MODELSLAB_API_KEY"):
            self.env.pop(name, None)
        started = subprocess.run(["bash", str(SHARED / "comfy_up.sh"), str(REPO),
                                  str(self.port)], env=self.env, capture_output=True,
                                 text=True, timeout=180)
        if started.returncode != 0:
            raise RuntimeError(f"ComfyUI {version} did not start: {started.stderr[-2000:]}")
        self.directory = directory
        self.uploaded: list[Path] = []  # removed again on stop

    def stop(self) -> None:
        subprocess.run(["bash", str(SHARED / "comfy_down.sh"), str(self.port)], env=self.env,
                       capture_output=True, timeout=60)
        for path in self.uploaded:
            path.unlink(missing_ok=True)

    def _call(self, path: str, body: object = None, data: bytes | None = None,
              headers: dict | None = None) -> dict:
        payload = data if data is not None else (None if body is None
                                                  else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=payload,
                                         headers=headers or {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def upload(self, name: str, rgb: np.ndarray) -> str:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, "PNG")
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
                f"filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n").encode() + \
            buffer.getvalue() + f"\r\n--{boundary}\r\nContent-Disposition: form-data; " \
            f"name=\"overwrite\"\r\n\r\ntrue\r\n--{boundary}--\r\n".encode()
        reply = self._call("/upload/image", data=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        self.uploaded.append(self.directory / "input" / reply["name"])
        return reply["name"]

    def run_seconds(self, prompt: dict) -> float:
        """Queue, wait, and return ComfyUI's own execution time (start to success)."""
        prompt_id = self._call("/prompt", {"prompt": prompt})["prompt_id"]
        for _ in range(1200):
            entry = self._call(f"/history/{prompt_id}").get(prompt_id)
            if entry and entry["status"].get("completed"):
                stamps = {kind: data.get("timestamp") for kind, data in
                          entry["status"]["messages"]}
                return (stamps["execution_success"] - stamps["execution_start"]) / 1000
            if entry and entry["status"].get("status_str") == "error":
                raise RuntimeError(f"ComfyUI {self.version}: {entry['status']['messages']}")
            time.sleep(0.1)
        raise RuntimeError("the prompt did not end within 120 s")


def workflow(names: list[str]) -> dict:
    """LoadImage per picture, batched by core ImageBatch nodes, one mask (the first's)."""
    prompt: dict = {f"l{i}": {"class_type": "LoadImage", "inputs": {"image": name}}
                    for i, name in enumerate(names)}
    batch = ["l0", 0]
    for i in range(1, len(names)):
        prompt[f"b{i}"] = {"class_type": "ImageBatch",
                           "inputs": {"image1": batch, "image2": [f"l{i}", 0]}}
        batch = [f"b{i}", 0]
    prompt["remove"] = {"class_type": "MaskObjectRemove", "inputs": {
        "image": batch, "mask": ["l0", 1], "provider": "ailab", "steps": 30,
        "strength": 0.8, "scale": 7.0, "seed": -1, "dilate_size": 15, "quality": "M",
        "composite": True}}
    prompt["preview"] = {"class_type": "PreviewImage", "inputs": {"images": ["remove", 0]}}
    return prompt


def comfyui_figures(emu: Emulator, target: str, runs: int) -> None:
    version, _, places = target.partition("=")
    directory, _, venv = places.partition(":")
    alpha = np.full((256, 256), 255, np.uint8)
    yy, xx = np.mgrid[0:256, 0:256]
    alpha[(yy - 128) ** 2 + (xx - 128) ** 2 <= 30 ** 2] = 0  # LoadImage: MASK = 1 - alpha
    with tempfile.TemporaryDirectory() as work:
        emu.reset()
        comfy = Comfy(version, Path(directory), Path(venv), emu, Path(work))
        try:
            names = [comfy.upload(f"bench_concurrency_{i}.png",
                                  np.dstack([photo(256, 256, i), alpha])) for i in range(8)]
            emu.behave(latency=LATENCY)
            comfy.run_seconds(workflow(names))  # warm-up (ComfyUI's first run loads more)
            fresh = [comfy.run_seconds(workflow(names)) for _ in range(runs)]
            emu.script("ailab", code="EXCEEDING_LIMITS")
            emu.script("ailab", code="EXCEEDING_LIMITS")
            comfy.run_seconds(workflow(names[:1]))
            after = [comfy.run_seconds(workflow(names)) for _ in range(runs)]
            report(f"ComfyUI {version}", fresh, after)
            emu.reset()
            emu.behave(latency=LATENCY, ailab_concurrency=2)
            seconds = comfy.run_seconds(workflow(names))
            row(f"ComfyUI {version}: batch of 8, account allowing 2 at once",
                f"{seconds:.2f} s", f"most refusals of one call: {refusals_per_call(emu)} "
                "(target 1)")
        finally:
            comfy.stop()
            emu.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--comfyui", action="append", default=[], metavar="VERSION=DIR:VENV",
                        help="also measure inside this real ComfyUI (repeatable; default: "
                             "COMFYUI_TARGETS if set)")
    args = parser.parse_args()
    targets = args.comfyui or [t for t in os.environ.get("COMFYUI_TARGETS", "").split(";")
                               if t.strip()]
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    emu = Emulator()
    try:
        with tempfile.TemporaryDirectory() as cache:
            os.environ.update({
                "AILAB_BASE_URL": emu.api_url, "AILAB_API_KEY": KEY,
                "MODELSLAB_BASE_URL": emu.api_url, "MODELSLAB_API_KEY": KEY,
                "OBJECT_REMOVAL_CACHE_DIR": cache, "OBJECT_REMOVAL_CONFIG": "",
            })
            print(f"{'figure':64} {'measured':>10}  note")
            engine_figures(emu, load_settings(), args.runs)
            for target in targets:
                comfyui_figures(emu, target, args.runs)
    finally:
        emu.stop()
    print("\n| figure | measured | note |\n|---|---|---|")
    for figure, value, note in ROWS:
        print(f"| {figure} | {value} | {note} |")


if __name__ == "__main__":
    main()
