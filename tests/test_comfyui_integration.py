"""Mask Object Remove in real ComfyUI servers: the nodes as listed, removal end to end,
batches, other mask sizes, retries, bad keys, every provider of the registry.
The servers and fixtures: comfyui_harness.py."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import requests
from comfyui_harness import (  # noqa: F401 (fixtures)
    AILAB_KEY,
    MODELSLAB_KEY,
    PACK_NAME,
    comfy,
    emulator,
    emulator_process,
    far_pixels,
    mask_workflow,
    scene,
)
from PIL import Image

from support import AILAB_KEY, MODELSLAB_KEY


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
    # Appended outputs and an optional input: saved workflows keep their links and widgets.
    for name, outputs in (("TextObjectRemove", ["IMAGE", "STRING", "MASK"]),
                          ("FetchResult", ["IMAGE", "MASK"])):
        assert info[name]["output"] == outputs
        assert list(info[name]["input"]["optional"]) == ["composite"]
        assert info[name]["input"]["optional"]["composite"][1]["default"] is True
    assert info["TextObjectRemove"]["output_name"] == ["image", "job", "mask"]
    script = requests.get(f"{comfy.url}/extensions/{PACK_NAME}/object_removal.js", timeout=30)
    assert script.ok and "registerExtension" in script.text
    templates = requests.get(f"{comfy.url}/workflow_templates", timeout=30).json()
    assert templates.get(PACK_NAME)


def test_mask_removal_end_to_end(comfy, emulator):
    picture, rgb, hole = scene()
    name = comfy.upload("scene.png", picture)
    entry = comfy.run(mask_workflow(name, seed=1))
    comfy.assert_success(entry)
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
    comfy.assert_success(entry)
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
    comfy.assert_success(entry)
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
    comfy.assert_success(entry)
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
    comfy.assert_success(entry)
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
    comfy.assert_success(entry)
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
