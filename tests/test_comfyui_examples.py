"""Every example workflow in real ComfyUI servers: each runs (or, needing a model file,
validates), is served as a template with its thumbnail, and the chained ones pass the
right things on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import requests
from comfyui_harness import (  # noqa: F401 (fixtures)
    PACK_NAME,
    REPO,
    Comfy,
    comfy,
    emulator,
    emulator_process,
    far_pixels,
    scene,
)
from PIL import Image

from support import photo_like

# Core video nodes of the newer ComfyUI declare some choices as dynamic combos (0.33's
# Save Video `format`): one widget value each, like a plain choice.
WIDGET_KINDS = ("INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "COMFY_DYNAMICCOMBO_V3")


def ui_to_api(workflow: dict, object_info: dict, image_name: str,
              video_name: str | None = None) -> dict:
    """The front end's "Save (API)" for the node kinds in our examples.

    Widget values are matched to the inputs in INPUT_TYPES order; a linked
    input takes its link. LoadImage gets `image_name` instead of example.png, LoadVideo
    `video_name` instead of example.mp4.
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
            is_widget = isinstance(kind, list) or kind in WIDGET_KINDS
            if is_widget and values:
                inputs[name] = values.pop(0)
                # Extra front-end-only widgets that follow some inputs.
                if (options.get("image_upload") or options.get("video_upload")
                        or options.get("control_after_generate") is True):
                    values.pop(0)
            if name in linked:
                _, source, slot, _, _, _ = linked[name]
                inputs[name] = [str(source), slot]
        if node["type"] == "LoadImage":
            inputs["image"] = image_name
        if node["type"] == "LoadVideo" and video_name is not None:
            inputs["file"] = video_name
        prompt[str(node["id"])] = {"class_type": node["type"], "inputs": inputs}
    return prompt


EXAMPLES = sorted((REPO / "example_workflows").glob("*.json"))
# Workflows as saved before TextObjectRemove and FetchResult had `composite` and a mask.
SAVED_BEFORE = sorted((REPO / "tests" / "fixtures" / "saved_before_mask_output").glob("*.json"))
# Examples whose model part needs a file the test machine lacks: they are validated only.
NEEDS_MODEL_FILE = {"CheckpointLoaderSimple"}


def needs_model_file(path: Path) -> bool:
    return any(n["type"] in NEEDS_MODEL_FILE for n in json.loads(path.read_text())["nodes"])


def needs_video(path: Path) -> bool:
    """Examples that load a video: test_comfyui_video.py runs them, with a clip."""
    return any(n["type"] == "LoadVideo" for n in json.loads(path.read_text())["nodes"])


RUNNABLE = [p for p in EXAMPLES if not needs_model_file(p) and not needs_video(p)] + SAVED_BEFORE


def assert_served_as_a_template(comfy: Comfy, path: Path) -> None:
    """The workflow, and the thumbnail the Templates dialog loads beside it (<stem>.jpg)."""
    base = f"{comfy.url}/api/workflow_templates/{PACK_NAME}/{path.stem}"
    served = requests.get(f"{base}.json", timeout=30)
    assert served.ok and served.json()["nodes"]
    thumbnail = requests.get(f"{base}.jpg", timeout=30)
    assert thumbnail.ok and thumbnail.headers["Content-Type"] == "image/jpeg"
    assert thumbnail.content == path.with_suffix(".jpg").read_bytes()


@pytest.mark.parametrize("path", RUNNABLE, ids=[
    f"saved_before:{p.stem}" if p in SAVED_BEFORE else p.stem for p in RUNNABLE])
def test_every_example_workflow_runs(comfy, emulator, path):
    emulator.behaviour.job_seconds = 1.0
    picture, rgb, hole = scene()
    flipped = Image.fromarray(np.asarray(picture)[::-1].copy())  # fresh input for each run
    name = comfy.upload(f"example_{path.stem}.png", flipped)
    info = requests.get(f"{comfy.url}/object_info", timeout=30).json()
    prompt = ui_to_api(json.loads(path.read_text()), info, name)
    entry = comfy.run(prompt)
    comfy.assert_success(entry)
    images = comfy.images(entry)
    # An example that upscales (core Upscale Image By) saves its result at that scale.
    factors = [n["inputs"]["scale_by"] for n in prompt.values()
               if n["class_type"] == "ImageScaleBy"]
    scaled = {(round(rgb.shape[0] * f), round(rgb.shape[1] * f), 3) for f in factors}
    assert images and all(pixels.shape in scaled | {rgb.shape} for pixels, _ in images)
    assert scaled <= {pixels.shape for pixels, _ in images}
    # Where Text Object Remove's mask feeds Mask Object Remove, the second provider was
    # asked to remove that area: some of the picture, not none of it nor all.
    chained = [node for node in prompt.values() if node["class_type"] == "MaskObjectRemove"
               and prompt[node["inputs"]["mask"][0]]["class_type"] == "TextObjectRemove"]
    for node in chained:
        assert node["inputs"]["provider"] == "ailab"
        (request,) = emulator.requests("ailab")
        with Image.open(io.BytesIO(request.files["mask"].data)) as sent:
            share = (np.asarray(sent.convert("L")) > 127).mean()
        assert 0.02 < share < 0.6, share
    if path in SAVED_BEFORE:
        return  # not an example any more: nothing is served under its name
    assert_served_as_a_template(comfy, path)


def test_the_core_mask_example_removes_a_bright_object_and_nothing_else(comfy, emulator):
    """Its core nodes mask what is near white: a lamp on a photo, not the photo."""
    rgb = photo_like(240, 320, seed=9)  # nowhere near white (red stays below 0.9)
    yy, xx = np.mgrid[0:240, 0:320]
    lamp = (yy - 90) ** 2 + (xx - 200) ** 2 <= 14 ** 2
    rgb[lamp] = 255
    name = comfy.upload("example_lamp.png", Image.fromarray(rgb))
    path = REPO / "example_workflows" / "core_mask_then_local_remove.json"
    info = requests.get(f"{comfy.url}/object_info", timeout=30).json()
    prompt = ui_to_api(json.loads(path.read_text()), info, name)
    entry = comfy.run(prompt)
    comfy.assert_success(entry)
    saved, shown = (next(i for i, n in prompt.items() if n["class_type"] == kind)
                    for kind in ("SaveImage", "PreviewImage"))
    (result,) = comfy.images_of(entry, saved)
    (mask,) = comfy.images_of(entry, shown)
    masked = mask[..., 0] > 127
    assert masked[lamp].all() and masked.mean() < 0.05  # the lamp grown by 6 px
    assert result[lamp].mean() < 200  # the lamp is gone
    far = far_pixels(masked, 15 + 2 + 3)  # dilate_size, then the feather
    assert np.array_equal(result[far], rgb[far])
    assert emulator.requests() == []  # offline: nothing sent anywhere


@pytest.mark.parametrize("path", [p for p in EXAMPLES if needs_model_file(p)],
                         ids=[p.stem for p in EXAMPLES if needs_model_file(p)])
def test_examples_that_need_a_model_validate(comfy, emulator, path):
    """Queued as is, ComfyUI refuses it only for the model file this machine lacks: every
    link, type and other value (the pack's mask output into core inpainting) validates."""
    picture, _, _ = scene()
    name = comfy.upload(f"example_{path.stem}.png", picture)
    info = requests.get(f"{comfy.url}/object_info", timeout=30).json()
    workflow = json.loads(path.read_text())
    prompt = ui_to_api(workflow, info, name)
    response = requests.post(f"{comfy.url}/prompt", json={"prompt": prompt}, timeout=30)
    assert response.status_code == 400, response.text
    errors = response.json()["node_errors"]
    loaders = {str(n["id"]) for n in workflow["nodes"] if n["type"] in NEEDS_MODEL_FILE}
    assert loaders and set(errors) == loaders, errors
    for node_id in loaders:
        (problem,) = errors[node_id]["errors"]
        assert problem["type"] == "value_not_in_list"
        assert problem["extra_info"]["input_name"] == "ckpt_name"
    assert emulator.requests() == []  # nothing ran, nothing was paid for
    assert_served_as_a_template(comfy, path)
