"""Real ComfyUI servers for the tests, with the provider emulator as the providers.

Each test module that imports `comfy` runs once per ComfyUI in COMFYUI_TARGETS
("0.3.64=<dir>:<venv>;0.33.0=..."), which scripts/comfyui_for_tests.sh sets up and
prints (CI does this for 0.3.64 and 0.33.0), or else in the one at COMFYUI_DIR /
COMFYUI_VENV. The pack's requirements.txt is installed into that ComfyUI's
environment first, as ComfyUI-Manager would (pip leaves what is already satisfied
alone). Where no ComfyUI is set up, or the requirements cannot be installed, the
tests are skipped with the reason, unless OBJECT_REMOVAL_REQUIRE_COMFYUI=1 (CI),
which makes that a failure. A run that fails shows the node's own error message.
COMFYUI_SCRIPTS is the folder holding comfy_up.sh and comfy_down.sh (default
../shared/comfyui).
"""

from __future__ import annotations

import base64
import io
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import requests
import torch
from PIL import Image

from object_removal.imaging.compositing import grow_mask
from provider_emulator import ProviderEmulator, text_removal_area
from support import AILAB_KEY, MODELSLAB_KEY, photo_like

REPO = Path(__file__).resolve().parent.parent
PACK_NAME = "comfyui-object-removal"
SCRIPTS = Path(os.environ.get("COMFYUI_SCRIPTS", REPO.parent / "shared" / "comfyui"))
if not (SCRIPTS / "comfy_up.sh").is_file():
    SCRIPTS = Path("/work/shared/comfyui")


@dataclass(frozen=True)
class Target:
    """One real ComfyUI: its version, its folder and its virtual environment."""

    version: str
    directory: Path
    venv: Path

    def missing(self) -> str | None:
        if not (self.directory / "main.py").is_file():
            return f"no ComfyUI at {self.directory}"
        if not (self.venv / "bin" / "python").is_file():
            return f"no ComfyUI virtual environment at {self.venv}"
        if not (SCRIPTS / "comfy_up.sh").is_file():
            return f"no comfy_up.sh in {SCRIPTS} (set COMFYUI_SCRIPTS)"
        return self.install_requirements()

    def install_requirements(self) -> str | None:
        """The pack's requirements in this ComfyUI's environment, as ComfyUI-Manager
        installs them (once a session); what went wrong, if anything. Constraints the
        environment was built with (its pinned torch) are kept."""
        if self.venv not in _INSTALLED:
            _INSTALLED[self.venv] = self._pip_install()
        return _INSTALLED[self.venv]

    def _pip_install(self) -> str | None:
        command = [str(self.venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                   "--disable-pip-version-check", "-r", str(REPO / "requirements.txt")]
        constraints = self.venv / "harness-constraints.txt"
        if constraints.is_file():
            command += ["-c", str(constraints)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return f"installing the pack's requirements into {self.venv} took over 10 minutes"
        if done.returncode != 0:
            return (f"the pack's requirements could not be installed into {self.venv}: "
                    f"{(done.stderr or done.stdout)[-1500:]}")
        return None


_INSTALLED: dict[Path, str | None] = {}


def _targets() -> list[Target]:
    listed = os.environ.get("COMFYUI_TARGETS", "").strip()
    if listed:
        found = []
        for item in filter(None, listed.split(";")):
            version, _, places = item.partition("=")
            directory, _, venv = places.partition(":")
            found.append(Target(version, Path(directory), Path(venv)))
        return found
    directory = Path(os.environ.get("COMFYUI_DIR", Path.home() / "comfyui"))
    venv = Path(os.environ.get("COMFYUI_VENV", Path.home() / "comfy-venv"))
    return [Target("local", directory, venv)]


TARGETS = _targets()
REQUIRED = os.environ.get("OBJECT_REMOVAL_REQUIRE_COMFYUI") == "1"

pytestmark = [pytest.mark.comfyui, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Comfy:
    """A ComfyUI server started by comfy_up.sh, and the calls the tests need."""

    def __init__(self, url: str, log: Path, config: Path, directory: Path) -> None:
        self.url = url
        self.log = log
        self.config = config
        self.directory = directory
        self.left_behind: list[Path] = []  # files this test put into ComfyUI's folders

    def write_keys(self, ailab: str = AILAB_KEY, modelslab: str = MODELSLAB_KEY,
                   extra: str = "") -> None:
        # Keys live in the config file (re-read at every run), never in a workflow.
        self.config.write_text(f"[ailab]\napi_key = {ailab}\n[modelslab]\napi_key = {modelslab}\n"
                               + extra)
        self.config.chmod(0o600)

    def upload(self, name: str, image: Image.Image) -> str:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        response = requests.post(
            f"{self.url}/upload/image",
            files={"image": (name, buffer.getvalue(), "image/png")},
            data={"overwrite": "true", "type": "input"}, timeout=30,
        )
        response.raise_for_status()
        name = response.json()["name"]
        self.left_behind.append(self.directory / "input" / name)
        return name

    def run(self, prompt: dict, timeout: float = 120, client_id: str | None = None) -> dict:
        """Queue an API-format workflow; wait; return its history entry (+ elapsed)."""
        started = time.monotonic()
        return self.wait(self.queue(prompt, client_id), timeout, started)

    def queue(self, prompt: dict, client_id: str | None = None) -> str:
        """Queue an API-format workflow; its prompt id."""
        response = requests.post(f"{self.url}/prompt",
                                 json={"prompt": prompt,
                                       "client_id": client_id or uuid.uuid4().hex},
                                 timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["prompt_id"]

    def interrupt(self) -> None:
        """ComfyUI's Cancel button."""
        requests.post(f"{self.url}/interrupt", json={}, timeout=30).raise_for_status()

    def wait(self, prompt_id: str, timeout: float = 120, started: float | None = None) -> dict:
        """The history entry of a queued prompt once it ended (+ elapsed since `started`)."""
        started = time.monotonic() if started is None else started
        while time.monotonic() - started < timeout:
            history = requests.get(f"{self.url}/history/{prompt_id}", timeout=30).json()
            entry = history.get(prompt_id)
            if entry and (entry["status"].get("completed")
                          or entry["status"].get("status_str") == "error"):
                entry["elapsed"] = time.monotonic() - started
                entry["prompt_id"] = prompt_id
                for output in entry.get("outputs", {}).values():
                    for item in output.get("images", []):
                        folder = (self.directory / item.get("type", "output")
                                  / item.get("subfolder", ""))
                        self.left_behind.append(folder / item["filename"])
                return entry
            time.sleep(0.1)
        raise AssertionError(f"workflow did not finish within {timeout} s; the server's "
                             f"log ends:\n{self.log.read_text(errors='replace')[-2000:]}")

    def assert_success(self, entry: dict) -> None:
        """The run succeeded; else fail with what the failing node said, whole."""
        if entry["status"].get("status_str") == "success":
            return
        for kind, data in entry["status"].get("messages", []):
            if kind == "execution_error":
                trace = "".join(data.get("traceback") or [])[-1500:]
                raise AssertionError(
                    f"{data.get('node_type')} (node {data.get('node_id')}) failed: "
                    f"{data.get('exception_type')}: {data.get('exception_message')}\n{trace}")
            if kind == "execution_interrupted":
                raise AssertionError(f"the run was interrupted at node {data.get('node_id')}")
        raise AssertionError(f"the run did not succeed: {entry['status']}")

    def images(self, entry: dict) -> list[tuple[np.ndarray, dict]]:
        """Every saved image of a run: (pixels, PNG text chunks)."""
        found = []
        for output in entry["outputs"].values():
            for item in output.get("images", []):
                response = requests.get(f"{self.url}/view", params=item, timeout=30)
                response.raise_for_status()
                with Image.open(io.BytesIO(response.content)) as image:
                    found.append((np.asarray(image.convert("RGB")), dict(image.text)))
        return found

    def images_of(self, entry: dict, node_id: str) -> list[np.ndarray]:
        """The pixels saved by one output node of a run."""
        found = []
        for item in entry["outputs"].get(node_id, {}).get("images", []):
            response = requests.get(f"{self.url}/view", params=item, timeout=30)
            response.raise_for_status()
            with Image.open(io.BytesIO(response.content)) as image:
                found.append(np.asarray(image.convert("RGB")))
        return found

    def error(self, entry: dict) -> dict:
        for kind, data in entry["status"]["messages"]:
            if kind in ("execution_error", "execution_interrupted"):
                return {"kind": kind, **data}
        raise AssertionError(f"the run did not fail: {entry['status'].get('status_str')}, "
                             f"messages {[kind for kind, _ in entry['status']['messages']]}")

    def alive(self) -> bool:
        return requests.get(f"{self.url}/object_info/MaskObjectRemove", timeout=10).ok


@pytest.fixture(scope="module")
def emulator_process():
    with ProviderEmulator(keys=(AILAB_KEY, MODELSLAB_KEY)) as emulator:
        yield emulator


def require(target: Target) -> None:
    """Skip (or, where CI requires real ComfyUIs, fail) when `target` is not set up."""
    missing = target.missing()
    if missing:
        message = f"real ComfyUI {target.version} not set up: {missing} (see " \
                  "scripts/comfyui_for_tests.sh)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def running_comfy(target: Target, emulator: ProviderEmulator, work: Path,
                  extra_args: Sequence[str] = ()) -> Iterator[Comfy]:
    """ComfyUI `target` with the pack, its providers the emulator, started by comfy_up.sh
    with `extra_args` for main.py; stopped and cleaned up after."""
    port = _free_port()
    config = work / "config.ini"
    env = {
        **os.environ,
        "AILAB_BASE_URL": emulator.api_url,
        "MODELSLAB_BASE_URL": emulator.api_url,
        "OBJECT_REMOVAL_CONFIG": str(config),
        "OBJECT_REMOVAL_CACHE_DIR": str(work / "cache"),
        "COMFY_DIR": str(target.directory),
        "COMFY_VENV": str(target.venv),
        "COMFY_LOG": str(work / "comfy.log"),
        "COMFY_PIDFILE": str(work / "comfy.pid"),
        "COMFY_PACK_NAME": PACK_NAME,
    }
    for name in ("AILAB_API_KEY", "MODELSLAB_API_KEY"):
        env.pop(name, None)
    server = Comfy(f"http://127.0.0.1:{port}", work / "comfy.log", config, target.directory)
    server.write_keys()
    command = ["bash", str(SCRIPTS / "comfy_up.sh"), str(REPO), str(port)]
    if extra_args:
        command += ["--", *extra_args]
    started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, f"ComfyUI did not start:\n{started.stderr[-4000:]}"
    try:
        yield server
    finally:
        subprocess.run(["bash", str(SCRIPTS / "comfy_down.sh"), str(port)], env=env,
                       capture_output=True, timeout=60)
        for path in server.left_behind:
            path.unlink(missing_ok=True)
            parent = path.parent
            if (parent != target.directory / "output" and parent.is_dir()
                    and not any(parent.iterdir())):
                parent.rmdir()  # a subfolder a filename_prefix made


@pytest.fixture(scope="module", params=TARGETS, ids=[t.version for t in TARGETS])
def comfy(request, emulator_process, tmp_path_factory):
    target: Target = request.param
    require(target)
    with running_comfy(target, emulator_process, tmp_path_factory.mktemp("comfy")) as server:
        yield server


@pytest.fixture
def emulator(emulator_process, comfy):
    emulator_process.reset()
    comfy.write_keys()
    yield emulator_process


def scene() -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """A photo-like picture whose alpha marks a disc (LoadImage's MASK = 1 - alpha)."""
    rgb = photo_like(240, 320, seed=5)
    yy, xx = np.mgrid[0:240, 0:320]
    hole = (yy - 120) ** 2 + (xx - 150) ** 2 <= 30 ** 2
    alpha = np.where(hole, 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), rgb, hole


def mask_workflow(image_name: str, **overrides) -> dict:
    inputs = {"provider": "ailab", "steps": 30, "strength": 0.8, "scale": 7.0, "seed": 0,
              "dilate_size": 15, "quality": "M", "composite": True, **overrides}
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image_name}},
        "2": {"class_type": "MaskObjectRemove",
              "inputs": {"image": ["1", 0], "mask": ["1", 1], **inputs}},
        "3": {"class_type": "SaveImage",
              "inputs": {"images": ["2", 0], "filename_prefix": "object_removal_test"}},
    }


def far_pixels(hole: np.ndarray, reach: int) -> np.ndarray:
    return ~grow_mask(torch.from_numpy(hole), reach).numpy()


STATUS = "comfyui-object-removal.status"


def text_workflow(image_name: str, wait: bool, object_name: str = "sofa",
                  composite: bool | None = None) -> dict:
    """LoadImage -> TextObjectRemove [-> FetchResult] -> SaveImage "3", and the mask
    through core MaskToImage -> SaveImage "6". `composite` None leaves the input out, as
    in a prompt saved before it existed."""
    options = {} if composite is None else {"composite": composite}
    workflow = {
        "1": {"class_type": "LoadImage", "inputs": {"image": image_name}},
        "2": {"class_type": "TextObjectRemove",
              "inputs": {"image": ["1", 0], "object_name": object_name, "wait": wait,
                         "timeout": 120, **options}},
    }
    source = "2"
    if not wait:
        workflow["4"] = {"class_type": "FetchResult",
                         "inputs": {"job": ["2", 1], "timeout": 120, **options}}
        source = "4"
    mask_slot = 2 if wait else 1
    workflow["3"] = {"class_type": "SaveImage",
                     "inputs": {"images": [source, 0], "filename_prefix": "text_removal"}}
    workflow["5"] = {"class_type": "MaskToImage", "inputs": {"mask": [source, mask_slot]}}
    workflow["6"] = {"class_type": "SaveImage",
                     "inputs": {"images": ["5", 0], "filename_prefix": "text_removal_mask"}}
    return workflow


def uploaded_picture(emulator) -> np.ndarray:
    """The picture the pack sent to the emulator (what its re-render was made from)."""
    data_url = emulator.requests("ml_upload")[-1].json["base64_string"]
    with Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))) as sent:
        return np.asarray(sent.convert("RGB"))


def removal_figures(pixels, mask_pixels, rgb, emulator) -> dict:
    """What the issue asks of a composited text removal, measured on the saved files."""
    height, width = rgb.shape[:2]
    mask = mask_pixels[..., 0] > 127
    replaced = text_removal_area(uploaded_picture(emulator)).mask(width, height)
    return {
        "changed_outside_mask": int((pixels != rgb).any(axis=-1)[~mask].sum()),
        "coverage": float((mask & replaced).sum() / replaced.sum()),
        "extra": float((mask & ~replaced).sum() / replaced.sum()),
        "mask_share": float(mask.mean()),
    }
