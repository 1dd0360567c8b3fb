"""The pack inside a real ComfyUI server, with the provider emulator as the providers.

Runs where a ComfyUI checkout and its virtual environment exist (set up with
../shared/comfyui/comfy_setup.sh); anywhere else every test here is skipped
with the reason. Paths can be given with COMFYUI_DIR, COMFYUI_VENV and
COMFYUI_SCRIPTS (the folder holding comfy_up.sh / comfy_down.sh).
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
import torch
from PIL import Image

from object_removal.compositing import grow_mask
from provider_emulator import ProviderEmulator
from support import AILAB_KEY, MODELSLAB_KEY, photo_like

REPO = Path(__file__).resolve().parent.parent
PACK_NAME = "comfyui-object-removal"
COMFY_DIR = Path(os.environ.get("COMFYUI_DIR", Path.home() / "comfyui"))
COMFY_VENV = Path(os.environ.get("COMFYUI_VENV", Path.home() / "comfy-venv"))
SCRIPTS = Path(os.environ.get("COMFYUI_SCRIPTS", REPO.parent / "shared" / "comfyui"))


def _missing() -> str | None:
    if not (COMFY_DIR / "main.py").is_file():
        return f"no ComfyUI at {COMFY_DIR} (set COMFYUI_DIR; see ../shared/comfyui/README.md)"
    if not (COMFY_VENV / "bin" / "python").is_file():
        return f"no ComfyUI virtual environment at {COMFY_VENV} (set COMFYUI_VENV)"
    if not (SCRIPTS / "comfy_up.sh").is_file():
        return f"no comfy_up.sh in {SCRIPTS} (set COMFYUI_SCRIPTS)"
    return None


pytestmark = [
    pytest.mark.comfyui,
    pytest.mark.skipif(_missing() is not None, reason=f"real ComfyUI not set up: {_missing()}"),
    pytest.mark.timeout(300),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Comfy:
    """A ComfyUI server started by comfy_up.sh, and the calls the tests need."""

    def __init__(self, url: str, log: Path, config: Path) -> None:
        self.url = url
        self.log = log
        self.config = config
        self.left_behind: list[Path] = []  # files this test put into ComfyUI's folders

    def write_keys(self, ailab: str = AILAB_KEY, modelslab: str = MODELSLAB_KEY) -> None:
        # Keys live in the config file (re-read at every run), never in a workflow.
        self.config.write_text(f"[ailab]\napi_key = {ailab}\n[modelslab]\napi_key = {modelslab}\n")

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
        self.left_behind.append(COMFY_DIR / "input" / name)
        return name

    def run(self, prompt: dict, timeout: float = 120, client_id: str | None = None) -> dict:
        """Queue an API-format workflow; wait; return its history entry (+ elapsed)."""
        response = requests.post(f"{self.url}/prompt",
                                 json={"prompt": prompt,
                                       "client_id": client_id or uuid.uuid4().hex},
                                 timeout=30)
        assert response.status_code == 200, response.text
        prompt_id = response.json()["prompt_id"]
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            history = requests.get(f"{self.url}/history/{prompt_id}", timeout=30).json()
            entry = history.get(prompt_id)
            if entry and (entry["status"].get("completed")
                          or entry["status"].get("status_str") == "error"):
                entry["elapsed"] = time.monotonic() - started
                entry["prompt_id"] = prompt_id
                for output in entry.get("outputs", {}).values():
                    for item in output.get("images", []):
                        folder = COMFY_DIR / item.get("type", "output") / item.get("subfolder", "")
                        self.left_behind.append(folder / item["filename"])
                return entry
            time.sleep(0.1)
        raise AssertionError(f"workflow did not finish within {timeout} s")

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

    def error(self, entry: dict) -> dict:
        for kind, data in entry["status"]["messages"]:
            if kind in ("execution_error", "execution_interrupted"):
                return {"kind": kind, **data}
        raise AssertionError(f"no error in {entry['status']}")

    def alive(self) -> bool:
        return requests.get(f"{self.url}/object_info/MaskObjectRemove", timeout=10).ok


@pytest.fixture(scope="module")
def emulator_process():
    with ProviderEmulator(keys=(AILAB_KEY, MODELSLAB_KEY)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def comfy(emulator_process, tmp_path_factory):
    work = tmp_path_factory.mktemp("comfy")
    port = _free_port()
    config = work / "config.ini"
    env = {
        **os.environ,
        "AILAB_BASE_URL": emulator_process.api_url,
        "MODELSLAB_BASE_URL": emulator_process.api_url,
        "OBJECT_REMOVAL_CONFIG": str(config),
        "OBJECT_REMOVAL_CACHE_DIR": str(work / "cache"),
        "COMFY_DIR": str(COMFY_DIR),
        "COMFY_VENV": str(COMFY_VENV),
        "COMFY_LOG": str(work / "comfy.log"),
        "COMFY_PIDFILE": str(work / "comfy.pid"),
        "COMFY_PACK_NAME": PACK_NAME,
    }
    for name in ("AILAB_API_KEY", "MODELSLAB_API_KEY"):
        env.pop(name, None)
    server = Comfy(f"http://127.0.0.1:{port}", work / "comfy.log", config)
    server.write_keys()
    started = subprocess.run(["bash", str(SCRIPTS / "comfy_up.sh"), str(REPO), str(port)],
                             env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, f"ComfyUI did not start:\n{started.stderr[-4000:]}"
    try:
        yield server
    finally:
        subprocess.run(["bash", str(SCRIPTS / "comfy_down.sh"), str(port)], env=env,
                       capture_output=True, timeout=60)
        for path in server.left_behind:
            path.unlink(missing_ok=True)
            parent = path.parent
            if parent != COMFY_DIR / "output" and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()  # a subfolder a filename_prefix made


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


def test_the_nodes_are_listed_as_intended(comfy):
    info = requests.get(f"{comfy.url}/object_info", timeout=30).json()
    for name, display in (("MaskObjectRemove", "Mask Object Remove"),
                          ("TextObjectRemove", "Text Object Remove"),
                          ("FetchResult", "Fetch Result (ModelsLab)")):
        assert info[name]["display_name"] == display
        assert info[name]["description"]
        assert info[name]["python_module"].startswith("custom_nodes.")
    assert list(info["MaskObjectRemove"]["input"]["required"]) == [
        "image", "mask", "provider", "steps", "strength", "scale", "seed", "dilate_size",
        "quality", "composite"]
    script = requests.get(f"{comfy.url}/extensions/{PACK_NAME}/object_removal.js", timeout=30)
    assert script.ok and "registerExtension" in script.text
    templates = requests.get(f"{comfy.url}/workflow_templates", timeout=30).json()
    assert templates.get(PACK_NAME)


def test_mask_removal_end_to_end(comfy, emulator):
    picture, rgb, hole = scene()
    name = comfy.upload("scene.png", picture)
    entry = comfy.run(mask_workflow(name, seed=1))
    assert entry["status"]["status_str"] == "success", entry["status"]
    ((pixels, _),) = comfy.images(entry)
    assert pixels.shape == rgb.shape
    far = far_pixels(hole, 15 + 2 + 3)
    assert np.array_equal(pixels[far], rgb[far])
    inside = pixels[hole].astype(float)
    assert inside.std(axis=0).max() < 3  # the emulator's flat fill
    assert len(emulator.requests("ailab")) == 1


def test_a_batch_of_three_images_with_one_mask(comfy, emulator):
    picture, rgb, hole = scene()
    name = comfy.upload("scene.png", picture)
    workflow = mask_workflow(name, seed=2)
    workflow["4"] = {"class_type": "RepeatImageBatch", "inputs": {"image": ["1", 0], "amount": 3}}
    workflow["2"]["inputs"]["image"] = ["4", 0]
    entry = comfy.run(workflow)
    assert entry["status"]["status_str"] == "success", entry["status"]
    images = comfy.images(entry)
    assert len(images) == 3 and all(p.shape == rgb.shape for p, _ in images)
    # Three identical requests: paid once.
    assert len(emulator.requests("ailab")) == 1


def test_a_mask_of_another_size(comfy, emulator):
    picture, rgb, _ = scene()
    name = comfy.upload("scene.png", picture)
    small = np.zeros((60, 80), np.uint8)
    small[20:40, 30:50] = 255
    mask_name = comfy.upload("small_mask.png", Image.fromarray(small, "L"))
    workflow = mask_workflow(name, seed=3)
    workflow["5"] = {"class_type": "LoadImageMask",
                     "inputs": {"image": mask_name, "channel": "red"}}
    workflow["2"]["inputs"]["mask"] = ["5", 0]
    entry = comfy.run(workflow)
    assert entry["status"]["status_str"] == "success", entry["status"]
    ((pixels, _),) = comfy.images(entry)
    assert pixels.shape == rgb.shape
    (request,) = emulator.requests("ailab")
    with Image.open(io.BytesIO(request.files["mask"].data)) as sent:
        assert sent.size == (320, 240)


def test_a_rate_limited_first_answer_is_retried(comfy, emulator):
    picture, _, _ = scene()
    name = comfy.upload("scene.png", picture)
    emulator.script("ailab", code="EXCEEDING_LIMITS", retry_after=1)
    entry = comfy.run(mask_workflow(name, seed=11))
    assert entry["status"]["status_str"] == "success", entry["status"]
    assert len(emulator.requests("ailab")) == 2


def test_a_bad_key_is_a_clear_error_without_the_key(comfy, emulator):
    picture, _, _ = scene()
    name = comfy.upload("scene.png", picture)
    wrong = "wrong-key-for-the-test-42"
    comfy.write_keys(ailab=wrong)
    entry = comfy.run(mask_workflow(name, seed=12))
    error = comfy.error(entry)
    assert "Mask Object Remove" in error["exception_message"]
    assert "AILAB_API_KEY" in error["exception_message"]
    assert wrong not in json.dumps(entry)
    assert comfy.alive()


def test_local_provider_workflow(comfy, emulator):
    picture, rgb, hole = scene()
    name = comfy.upload("scene.png", picture)
    entry = comfy.run(mask_workflow(name, provider="local", dilate_size=4, seed=13))
    assert entry["status"]["status_str"] == "success", entry["status"]
    ((pixels, _),) = comfy.images(entry)
    far = far_pixels(hole, 4 + 2 + 3)
    assert np.array_equal(pixels[far], rgb[far])
    assert emulator.requests() == []  # offline: nothing sent anywhere


# Every provider added through the registry: (choice, the endpoint it pays, its key).
REGISTRY_PROVIDERS = [
    ("ailab-basic", "ailab_basic", AILAB_KEY),
    ("ailab-pro", "ailab_pro", AILAB_KEY),
    ("modelslab", "ml_mask_submit", MODELSLAB_KEY),
]


@pytest.mark.parametrize("provider,endpoint,key", REGISTRY_PROVIDERS,
                         ids=[p for p, _, _ in REGISTRY_PROVIDERS])
def test_each_added_provider_runs_end_to_end(comfy, emulator, provider, endpoint, key):
    emulator.behaviour.job_seconds = 1.0
    picture, rgb, hole = scene()
    name = comfy.upload(f"provider_{provider}.png", picture)
    entry = comfy.run(mask_workflow(name, provider=provider, seed=31, dilate_size=6))
    assert entry["status"]["status_str"] == "success", entry["status"]
    ((pixels, _),) = comfy.images(entry)
    assert pixels.shape == rgb.shape
    far = far_pixels(hole, 6 + 2 + 4 + 3)
    assert np.array_equal(pixels[far], rgb[far])
    assert not np.array_equal(pixels[hole], rgb[hole])
    assert len(emulator.requests(endpoint)) == 1
    # The key went to the API origin only, and only the key of this provider.
    for request in emulator.requests():
        assert request.endpoint == "cdn" or request.key == key
    assert emulator.keys_seen_on_cdn() == set()


def text_workflow(image_name: str, wait: bool, object_name: str = "sofa") -> dict:
    workflow = {
        "1": {"class_type": "LoadImage", "inputs": {"image": image_name}},
        "2": {"class_type": "TextObjectRemove",
              "inputs": {"image": ["1", 0], "object_name": object_name, "wait": wait,
                         "timeout": 60}},
    }
    if wait:
        workflow["3"] = {"class_type": "SaveImage",
                         "inputs": {"images": ["2", 0], "filename_prefix": "text_removal"}}
    else:
        workflow["4"] = {"class_type": "FetchResult", "inputs": {"job": ["2", 1], "timeout": 60}}
        workflow["3"] = {"class_type": "SaveImage",
                         "inputs": {"images": ["4", 0], "filename_prefix": "text_removal"}}
    return workflow


def assert_centre_filled(pixels: np.ndarray, rgb: np.ndarray) -> None:
    height, width = rgb.shape[:2]
    centre = pixels[height // 4 + 3: 3 * height // 4 - 3, width // 4 + 3: 3 * width // 4 - 3]
    assert centre.reshape(-1, 3).std(axis=0).max() < 2.5
    assert np.abs(centre.reshape(-1, 3).mean(0) - rgb.reshape(-1, 3).mean(0)).max() < 3


@pytest.mark.parametrize("wait", [True, False])
def test_text_removal_end_to_end(comfy, emulator, wait):
    emulator.behaviour.job_seconds = 1.5
    picture, rgb, _ = scene()
    name = comfy.upload(f"text_{wait}.png", picture)
    entry = comfy.run(text_workflow(name, wait, object_name=f"ball {wait}"))
    assert entry["status"]["status_str"] == "success", entry["status"]
    ((pixels, _),) = comfy.images(entry)
    assert pixels.shape == rgb.shape
    assert_centre_filled(pixels, rgb)
    assert len(emulator.requests("ml_submit")) == 1
    assert emulator.requests("ml_fetch")  # it went through `processing`
    assert emulator.keys_seen_on_cdn() == set()
    for request in emulator.requests():
        if request.endpoint.startswith("ml_"):
            assert request.key == MODELSLAB_KEY


def test_a_failed_job_is_a_clear_error_and_comfyui_stays_up(comfy, emulator):
    emulator.behaviour.job_outcome = "failed"
    emulator.behaviour.job_seconds = 0.5
    picture, _, _ = scene()
    name = comfy.upload("failing.png", picture)
    entry = comfy.run(text_workflow(name, True, object_name="doomed"))
    error = comfy.error(entry)
    assert "Text Object Remove" in error["exception_message"]
    assert "failed" in error["exception_message"]
    assert comfy.alive()


def test_fetch_result_sends_nothing_to_another_origin(comfy, emulator):
    workflow = {
        "1": {"class_type": "FetchResult",
              "inputs": {"job": f"{emulator.cdn_url}/api/v6/interior/fetch/130000000",
                         "timeout": 10}},
        "2": {"class_type": "SaveImage",
              "inputs": {"images": ["1", 0], "filename_prefix": "never"}},
    }
    entry = comfy.run(workflow)
    assert "not on the configured ModelsLab origin" in comfy.error(entry)["exception_message"]
    assert emulator.requests() == []


def test_two_jobs_run_side_by_side(comfy, emulator, record_property):
    emulator.behaviour.job_seconds = 3.0
    workflow = {}
    for n in (1, 2):
        picture, _, _ = scene()
        picture = Image.fromarray(np.asarray(picture)[:, ::-1].copy() if n == 2
                                  else np.asarray(picture))
        name = comfy.upload(f"side_{n}.png", picture)
        workflow[f"{n}0"] = {"class_type": "LoadImage", "inputs": {"image": name}}
        workflow[f"{n}1"] = {"class_type": "TextObjectRemove",
                             "inputs": {"image": [f"{n}0", 0], "object_name": f"thing {n}",
                                        "wait": False, "timeout": 60}}
        workflow[f"{n}2"] = {"class_type": "FetchResult",
                             "inputs": {"job": [f"{n}1", 1], "timeout": 60}}
        workflow[f"{n}3"] = {"class_type": "SaveImage",
                             "inputs": {"images": [f"{n}2", 0], "filename_prefix": f"side{n}"}}
    entry = comfy.run(workflow)
    assert entry["status"]["status_str"] == "success", entry["status"]
    assert len(comfy.images(entry)) == 2
    record_property("side_by_side_seconds", round(entry["elapsed"], 2))
    print(f"two 3 s jobs, submitted and collected in one prompt: {entry['elapsed']:.2f} s")
    assert entry["elapsed"] < 5.0


def test_cancel_stops_the_wait(comfy, emulator):
    emulator.behaviour.latency = 30
    picture, _, _ = scene()
    name = comfy.upload("cancel.png", picture)
    response = requests.post(f"{comfy.url}/prompt",
                             json={"prompt": mask_workflow(name, seed=99)}, timeout=30)
    prompt_id = response.json()["prompt_id"]
    while not emulator.requests("ailab"):
        time.sleep(0.05)
    started = time.monotonic()
    requests.post(f"{comfy.url}/interrupt", json={}, timeout=30)
    while True:
        entry = requests.get(f"{comfy.url}/history/{prompt_id}", timeout=30).json().get(prompt_id)
        if entry:
            break
        assert time.monotonic() - started < 5, "Cancel did not stop the wait"
        time.sleep(0.05)
    kinds = [kind for kind, _ in entry["status"]["messages"]]
    assert "execution_interrupted" in kinds
    emulator.behaviour.latency = 0


def test_no_key_in_saved_pngs_history_or_log(comfy, emulator):
    picture, _, _ = scene()
    name = comfy.upload("secrets.png", picture)
    entry = comfy.run(mask_workflow(name, seed=21))
    assert entry["status"]["status_str"] == "success", entry["status"]
    wrong = "another-wrong-key-for-the-log"
    comfy.write_keys(ailab=wrong)
    failed = comfy.run(mask_workflow(name, seed=22))
    assert comfy.error(failed)
    secrets = (AILAB_KEY, MODELSLAB_KEY, wrong)

    for _, text in comfy.images(entry):
        blob = json.dumps(text)
        assert "MaskObjectRemove" in blob  # the whole prompt is embedded ...
        assert not any(key in blob for key in secrets)  # ... but no key
    history = requests.get(f"{comfy.url}/history", timeout=30).text
    assert "AILAB_API_KEY" in history  # the error is there ...
    assert not any(key in history for key in secrets)  # ... without the key
    log = comfy.log.read_text(errors="replace")
    assert "Mask Object Remove" in log
    assert not any(key in log for key in secrets)


def ui_to_api(workflow: dict, object_info: dict, image_name: str) -> dict:
    """The front end's "Save (API)" for the node kinds in our examples.

    Widget values are matched to the inputs in INPUT_TYPES order; a linked
    input takes its link. LoadImage gets `image_name` instead of example.png.
    """
    links = {link[0]: link for link in workflow["links"]}
    prompt = {}
    for node in workflow["nodes"]:
        if node["type"] == "Note":
            continue
        spec = object_info[node["type"]]["input"]
        values = list(node.get("widgets_values", []))
        linked = {i["name"]: links[i["link"]] for i in node.get("inputs", []) if i.get("link")}
        inputs = {}
        for name, definition in {**spec.get("required", {}), **spec.get("optional", {})}.items():
            kind, options = definition[0], (definition[1] if len(definition) > 1 else {})
            is_widget = isinstance(kind, list) or kind in ("INT", "FLOAT", "STRING", "BOOLEAN",
                                                          "COMBO")
            if is_widget and values:
                inputs[name] = values.pop(0)
                # Extra front-end-only widgets that follow some inputs.
                if options.get("image_upload") or options.get("control_after_generate") is True:
                    values.pop(0)
            if name in linked:
                _, source, slot, _, _, _ = linked[name]
                inputs[name] = [str(source), slot]
        if node["type"] == "LoadImage":
            inputs["image"] = image_name
        prompt[str(node["id"])] = {"class_type": node["type"], "inputs": inputs}
    return prompt


EXAMPLES = sorted((REPO / "example_workflows").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_workflow_runs(comfy, emulator, path):
    emulator.behaviour.job_seconds = 1.0
    picture, rgb, hole = scene()
    flipped = Image.fromarray(np.asarray(picture)[::-1].copy())  # fresh input for each run
    name = comfy.upload(f"example_{path.stem}.png", flipped)
    info = requests.get(f"{comfy.url}/object_info", timeout=30).json()
    prompt = ui_to_api(json.loads(path.read_text()), info, name)
    entry = comfy.run(prompt)
    assert entry["status"]["status_str"] == "success", entry["status"]
    images = comfy.images(entry)
    assert images and all(pixels.shape == rgb.shape for pixels, _ in images)
    served = requests.get(f"{comfy.url}/api/workflow_templates/{PACK_NAME}/{path.name}",
                          timeout=30)
    assert served.ok and served.json()["nodes"]


class StatusListener:
    """The pack's status messages for one client, read from ComfyUI's websocket.

    A minimal RFC 6455 client on the standard library: the upgrade request, then
    unmasked frames from the server (text, binary previews, ping, close).
    """

    def __init__(self, url: str) -> None:
        self.client_id = uuid.uuid4().hex
        host, port = url.removeprefix("http://").split(":")
        self._socket = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self._socket.sendall(
            f"GET /ws?clientId={self.client_id} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        self._buffer = b""
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._socket.recv(4096)
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.statuses: list[dict] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self._socket.recv(65536)
            if not chunk:
                raise ConnectionError("websocket closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _read(self) -> None:
        try:
            while True:
                first, second = self._take(2)
                length = second & 0x7F
                if length == 126:
                    length = int.from_bytes(self._take(2), "big")
                elif length == 127:
                    length = int.from_bytes(self._take(8), "big")
                payload = self._take(length)
                opcode = first & 0x0F
                if opcode == 8:
                    return
                if opcode == 1:
                    message = json.loads(payload)
                    if message.get("type") == "comfyui-object-removal.status":
                        self.statuses.append(message["data"])
        except OSError:
            return

    def close(self) -> None:
        self._socket.close()


def test_local_provider_says_which_backend_ran(comfy, emulator):
    """The default `local` and an explicit backend choice run end to end, and the status
    line under the node (sent to the browser that queued the run) names the backend."""
    picture, rgb, hole = scene()
    name = comfy.upload("backend_choice.png", picture)
    listener = StatusListener(comfy.url)
    try:
        # (no OpenCV in these ComfyUI venvs, so local-telea would say to install it)
        for provider, label in (("local", "PatchMatch"), ("local-patchmatch", "PatchMatch")):
            workflow = mask_workflow(name, provider=provider, dilate_size=4, seed=41)
            entry = comfy.run(workflow, client_id=listener.client_id)
            last_message = entry["status"]["messages"][-1][1]
            assert entry["status"]["status_str"] == "success", last_message
            ((pixels, _),) = comfy.images(entry)
            far = far_pixels(hole, 4 + 2 + 3)
            assert np.array_equal(pixels[far], rgb[far])
            deadline = time.monotonic() + 10
            expected = {"node": "2", "text": f"{provider}: done with {label}"}
            while expected not in listener.statuses and time.monotonic() < deadline:
                time.sleep(0.1)
            assert expected in listener.statuses, listener.statuses
    finally:
        listener.close()
    assert emulator.requests() == []


class MidGreyMiGan(torch.nn.Module):
    """MI-GAN's calling convention (4 channels at 512 px in, -1..1 out); paints mid-grey."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2] != 512 or x.shape[3] != 512:
            raise RuntimeError("not at MI-GAN's size")
        return x[:, 1:4]


@pytest.mark.filterwarnings("ignore:`torch.jit.*:DeprecationWarning")
def test_a_model_in_models_inpaint_is_used_and_named(comfy, emulator):
    """A migan_traced.pt in ComfyUI's models/inpaint (as other packs keep it) serves
    local-migan, without any download, and the status names MI-GAN."""
    folder = COMFY_DIR / "models" / "inpaint"
    made_folder = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "migan_traced.pt"
    assert not model.exists(), f"{model} belongs to someone else; not overwriting it"
    torch.jit.save(torch.jit.script(MidGreyMiGan()), str(model))
    picture, rgb, hole = scene()
    name = comfy.upload("migan_choice.png", picture)
    listener = StatusListener(comfy.url)
    try:
        entry = comfy.run(mask_workflow(name, provider="local-migan", dilate_size=4, seed=42),
                          client_id=listener.client_id)
        assert entry["status"]["status_str"] == "success", entry["status"]
        ((pixels, _),) = comfy.images(entry)
        inner = ~grow_mask(torch.from_numpy(~hole), 4).numpy()  # away from the feathered rim
        assert (np.abs(pixels[inner].astype(int) - 128) <= 1).all()
        deadline = time.monotonic() + 10
        expected = {"node": "2", "text": "local-migan: done with MI-GAN"}
        while expected not in listener.statuses and time.monotonic() < deadline:
            time.sleep(0.1)
        assert expected in listener.statuses, listener.statuses
        assert not any("downloading" in s["text"] for s in listener.statuses)
    finally:
        listener.close()
        model.unlink(missing_ok=True)
        if made_folder:
            folder.rmdir()
