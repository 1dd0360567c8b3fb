"""Video Object Remove in real ComfyUI servers: the example workflow with ComfyUI's core
video nodes (Load Video, Get Video Components, Create Video, Save Video) runs offline
and with `ailab` against the emulator, and the emulator sees exactly the paid calls the
status line announced before the first one. The servers and fixtures: comfyui_harness.py."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
import torch
from comfyui_harness import (  # noqa: F401 (fixtures)
    REPO,
    TARGETS,
    comfy,
    emulator,
    emulator_process,
)
from PIL import Image
from test_comfyui_examples import assert_served_as_a_template, ui_to_api
from video_clips import small_clip
from ws_listener import MessageListener

from object_removal.imaging.compositing import grow_mask

STATUS = "comfyui-object-removal.status"
EXAMPLE = REPO / "example_workflows" / "video_object_remove.json"
VIDEO_FILE = Path(__file__).resolve().parent / "video_file.py"
FRAMES, SIZE = 16, (180, 320)


def comfy_python(comfy) -> str:
    """The Python of the ComfyUI under test: it has PyAV."""
    venv = next(t.venv for t in TARGETS if t.directory == comfy.directory)
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module")
def clip():
    """A still shot with a logo burnt in: no frame shows what is under it."""
    return small_clip("overlay", "still", frames=FRAMES, size=SIZE, index=1)


@pytest.fixture
def uploaded(comfy, clip, tmp_path):
    """The clip as an H.264 MP4 and a picture whose transparency marks the logo (Load
    Image's MASK = 1 - alpha), both in ComfyUI's input folder."""
    np.save(tmp_path / "frames.npy", clip.frames)
    video = tmp_path / "logo_clip.mp4"
    subprocess.run([comfy_python(comfy), str(VIDEO_FILE), "write", str(tmp_path / "frames.npy"),
                    str(video)], check=True, timeout=120)
    response = requests.post(f"{comfy.url}/upload/image",
                             files={"image": (video.name, video.read_bytes(), "video/mp4")},
                             data={"overwrite": "true", "type": "input"}, timeout=30)
    response.raise_for_status()
    video_name = response.json()["name"]
    comfy.left_behind.append(comfy.directory / "input" / video_name)
    alpha = np.where(clip.masks[0], 0, 255).astype(np.uint8)
    mask_name = comfy.upload("logo_mask.png",
                             Image.fromarray(np.dstack([clip.frames[0], alpha]), "RGBA"))
    return video_name, mask_name


def saved_frames(comfy, entry: dict, tmp_path: Path) -> np.ndarray:
    """The frames of the video Save Video wrote, decoded."""
    files = [item for output in entry["outputs"].values() for item in output.get("images", [])]
    (item,) = files
    assert item["filename"].endswith(".mp4")
    response = requests.get(f"{comfy.url}/view", params=item, timeout=30)
    response.raise_for_status()
    video = tmp_path / "saved.mp4"
    video.write_bytes(response.content)
    subprocess.run([comfy_python(comfy), str(VIDEO_FILE), "read", str(video),
                    str(tmp_path / "saved.npy")], check=True, timeout=120)
    return np.load(tmp_path / "saved.npy")


@pytest.mark.parametrize("provider", ["local", "ailab"])
def test_the_video_example_removes_the_logo_and_pays_what_it_announced(
        comfy, emulator, uploaded, clip, tmp_path, provider):
    video_name, mask_name = uploaded
    info = requests.get(f"{comfy.url}/object_info", timeout=30).json()
    prompt = ui_to_api(json.loads(EXAMPLE.read_text()), info, mask_name, video_name)
    (remove,) = [n for n in prompt.values() if n["class_type"] == "VideoObjectRemove"]
    remove["inputs"]["provider"] = provider
    client_id = uuid.uuid4().hex
    listener = MessageListener(comfy.url, client_id)
    try:
        entry = comfy.run(prompt, timeout=240, client_id=client_id)
        assert entry["status"]["status_str"] == "success", entry["status"]
        announced = listener.wait_for(STATUS, lambda data: "paid call" in data["text"])
        done = listener.wait_for(STATUS, lambda data: ": done" in data["text"])
    finally:
        listener.close()
    calls = emulator.requests("ailab")
    # The status line said how many paid calls, before the first; the emulator saw that many.
    assert announced["text"].startswith(f"{provider}: {len(calls)} paid call")
    assert announced["text"].endswith(f"for {FRAMES} frames (1 keyframe)")
    if provider == "ailab":
        assert len(calls) == 1  # the logo hides the same ground all along: one keyframe
        assert done["text"].endswith("1 paid call, 20 credits") and done["state"] == "paid"
    else:
        assert emulator.requests() == []  # offline: nothing sent anywhere
        assert done["state"] == "free"

    frames = saved_frames(comfy, entry, tmp_path)
    assert frames.shape == clip.frames.shape  # every frame, at the clip's size
    logo = clip.masks[0]
    far = ~grow_mask(torch.from_numpy(logo), 10 + 4).numpy()  # dilate_size, and codec blur
    for saved, original in zip(frames, clip.frames, strict=True):
        difference = np.abs(saved.astype(float) - original.astype(float)).mean(axis=-1)
        assert difference[far].mean() < 6  # away from the logo: two H.264 encodings' loss only
        assert difference[logo].mean() > 20  # the logo is gone
    assert_served_as_a_template(comfy, EXAMPLE)
