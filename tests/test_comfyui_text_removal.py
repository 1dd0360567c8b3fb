"""Text Object Remove and Fetch Result in real ComfyUI servers: end to end, big pictures
kept bit for bit, old prompts, failures, side-by-side jobs, Cancel, and no key anywhere."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import requests
from comfyui_harness import (  # noqa: F401 (fixtures)
    AILAB_KEY,
    MODELSLAB_KEY,
    comfy,
    emulator,
    emulator_process,
    mask_workflow,
    removal_figures,
    scene,
    text_workflow,
    uploaded_picture,
)
from PIL import Image

from provider_emulator import emulated_text_removal
from support import AILAB_KEY, MODELSLAB_KEY, photo_with_object


@pytest.mark.parametrize("wait", [True, False])
def test_text_removal_end_to_end(comfy, emulator, wait):
    emulator.behaviour.job_seconds = 1.5
    rgb = photo_with_object(240, 320, seed=5)
    name = comfy.upload(f"text_{wait}.png", Image.fromarray(rgb))
    entry = comfy.run(text_workflow(name, wait, object_name=f"ball {wait}"))
    comfy.assert_success(entry)
    (pixels,), (mask_pixels,) = comfy.images_of(entry, "3"), comfy.images_of(entry, "6")
    assert pixels.shape == rgb.shape == mask_pixels.shape
    figures = removal_figures(pixels, mask_pixels, rgb, emulator)
    assert figures["changed_outside_mask"] == 0
    assert figures["coverage"] >= 0.95 and figures["extra"] <= 0.5, figures
    assert len(emulator.requests("ml_submit")) == 1
    assert emulator.requests("ml_fetch")  # it went through `processing`
    assert emulator.keys_seen_on_cdn() == set()
    for request in emulator.requests():
        if request.endpoint.startswith("ml_"):
            assert request.key == MODELSLAB_KEY


def test_a_2000x1500_text_removal_keeps_every_pixel_outside_its_mask(comfy, emulator,
                                                                    record_property):
    """The issue's check: full size back, every pixel outside the returned mask the
    input's, the mask covering >= 95% of what the emulator replaced with <= 20% extra."""
    emulator.behaviour.job_seconds = 1.0
    rgb = photo_with_object(1500, 2000, seed=11)
    name = comfy.upload("text_2000x1500.png", Image.fromarray(rgb))
    entry = comfy.run(text_workflow(name, True, object_name="the sofa", composite=True),
                      timeout=240)
    comfy.assert_success(entry)
    (pixels,), (mask_pixels,) = comfy.images_of(entry, "3"), comfy.images_of(entry, "6")
    assert pixels.shape == (1500, 2000, 3) and mask_pixels.shape == (1500, 2000, 3)
    assert set(np.unique(mask_pixels)) <= {0, 255}
    figures = removal_figures(pixels, mask_pixels, rgb, emulator)
    for key, value in figures.items():
        record_property(key, value)
    print(f"2000x1500 through TextObjectRemove: pixels changed outside the mask "
          f"{figures['changed_outside_mask']}, coverage {figures['coverage']:.2%}, extra "
          f"{figures['extra']:.2%}, mask {figures['mask_share']:.2%} of the picture")
    assert figures["changed_outside_mask"] == 0
    assert figures["coverage"] >= 0.95 and figures["extra"] <= 0.20, figures
    assert not np.array_equal(pixels, rgb)  # something was removed

    # The same job with composite off: the provider's whole picture, resized (as before).
    off = comfy.run(text_workflow(name, True, object_name="the sofa", composite=False),
                    timeout=240)
    comfy.assert_success(off)
    (whole,), (off_mask,) = comfy.images_of(off, "3"), comfy.images_of(off, "6")
    provider = emulated_text_removal(uploaded_picture(emulator))
    expected = np.asarray(Image.fromarray(provider).resize((2000, 1500),
                                                           Image.Resampling.LANCZOS))
    assert np.abs(whole.astype(int) - expected.astype(int)).max() <= 1
    assert (whole != rgb).any(axis=-1).mean() > 0.5  # re-rendered everywhere
    assert np.array_equal(off_mask, mask_pixels)  # the mask still says what changed
    assert len(emulator.requests("ml_submit")) == 1  # the second run resumed the job


def test_a_prompt_saved_without_composite_runs_with_it_on(comfy, emulator):
    emulator.behaviour.job_seconds = 0.5
    rgb = photo_with_object(240, 320, seed=6)
    name = comfy.upload("no_composite_input.png", Image.fromarray(rgb))
    for wait in (True, False):
        workflow = text_workflow(name, wait, object_name=f"old prompt {wait}")
        assert all("composite" not in node["inputs"] for node in workflow.values())
        entry = comfy.run(workflow)
        comfy.assert_success(entry)
        (pixels,), (mask_pixels,) = comfy.images_of(entry, "3"), comfy.images_of(entry, "6")
        figures = removal_figures(pixels, mask_pixels, rgb, emulator)
        assert figures["changed_outside_mask"] == 0 and figures["coverage"] >= 0.95


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
    """The second job is submitted while the first one's poll answer is held back: one
    after the other, the held answer would never be released."""
    emulator.behaviour.job_seconds = 0.5
    emulator.script("ml_fetch", hold=True)
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
    prompt_id = comfy.queue(workflow)
    give_up = time.monotonic() + 60
    while not (emulator.held("ml_fetch") == 1 and len(emulator.requests("ml_submit")) == 2):
        assert time.monotonic() < give_up, "the second job was not submitted meanwhile"
        time.sleep(0.02)
    emulator.release()
    entry = comfy.wait(prompt_id)
    comfy.assert_success(entry)
    assert len(comfy.images(entry)) == 2
    record_property("side_by_side_seconds", round(entry["elapsed"], 2))


def test_cancel_stops_the_wait(comfy, emulator):
    """The prompt ends on Cancel while the provider's answer is still held back."""
    emulator.script("ailab", hold=True)
    picture, _, _ = scene()
    name = comfy.upload("cancel.png", picture)
    prompt_id = comfy.queue(mask_workflow(name, seed=99))
    try:
        while emulator.held("ailab") == 0:
            time.sleep(0.05)
        comfy.interrupt()
        entry = comfy.wait(prompt_id, timeout=60)
        assert comfy.error(entry)["kind"] == "execution_interrupted"
        assert emulator.held("ailab") == 1  # it ended without that answer
    finally:
        emulator.release()


def test_no_key_in_saved_pngs_history_or_log(comfy, emulator):
    picture, _, _ = scene()
    name = comfy.upload("secrets.png", picture)
    entry = comfy.run(mask_workflow(name, seed=21))
    comfy.assert_success(entry)
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
