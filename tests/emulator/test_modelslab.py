"""ModelsLab base64_to_url and interior object_removal/fetch, time moved by a ManualClock."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import requests
from emulator_helpers import (
    FETCH,
    FIVE_MB,
    KEY,
    OTHER_KEY,
    SUBMIT,
    UPLOAD,
    fetch,
    image_bytes,
    padded_png,
    png_bytes,
    scene,
    submit,
    upload,
    uploaded_url,
)
from PIL import Image

from provider_emulator import ManualClock, ProviderEmulator, emulated_text_removal

# -- uploads ----------------------------------------------------------------------------------


def test_modelslab_upload_stores_on_the_cdn_origin(emu: ProviderEmulator) -> None:
    data = png_bytes(scene())
    response = upload(emu, data)
    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "success" and isinstance(payload["id"], int)
    url = payload["output"][0]
    assert url.startswith(emu.cdn_url + "/uploads/") and url.endswith(".png")
    download = requests.get(url, timeout=5)
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-Type"] == "image/png"
    assert emu.requests("ml_upload")[-1].key == KEY


def test_modelslab_upload_refusals(emu: ProviderEmulator) -> None:
    too_large = upload(emu, padded_png(FIVE_MB + 1))
    assert too_large.status_code == 200
    assert too_large.json()["status"] == "error"
    assert "exceeds 5 MB" in too_large.json()["message"]
    assert upload(emu, padded_png(FIVE_MB)).json()["status"] == "success"

    bad_key = upload(emu, png_bytes(scene()), key="sk-WRONG-9876")
    assert bad_key.status_code == 401
    assert bad_key.json()["status"] == "error" and "sk-WRONG-9876" not in bad_key.text
    no_key = requests.post(emu.api_url + UPLOAD, json={"base64_string": "aGk="}, timeout=5)
    assert no_key.status_code == 401

    for text in ("data:image/png;base64,@@@not base64@@@", "", "data:image/png,abc"):
        response = requests.post(emu.api_url + UPLOAD, timeout=5,
                                 json={"key": KEY, "base64_string": text})
        assert response.status_code == 200 and response.json()["status"] == "error"


def test_uploads_keep_their_content_type_and_reply_ids_grow(emu: ProviderEmulator) -> None:
    first = upload(emu, image_bytes(scene(), "JPEG")).json()
    second = upload(emu, png_bytes(scene())).json()
    assert second["id"] == first["id"] + 1
    assert first["output"][0].endswith(".jpg")
    jpeg = requests.get(first["output"][0], timeout=5)
    assert jpeg.headers["Content-Type"] == "image/jpeg"
    assert jpeg.content == image_bytes(scene(), "JPEG")


# -- interior jobs ----------------------------------------------------------------------------


def test_modelslab_job_processes_then_succeeds(emu: ProviderEmulator, clock: ManualClock) -> None:
    emu.behaviour.job_seconds = 0.3
    image = scene(100, 130)
    response = submit(emu, uploaded_url(emu, image))
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "processing"
    assert job["eta"] == 1 and job["tip"] and job["message"]
    assert job["fetch_result"] == f"{emu.api_url}{FETCH}{job['id']}"
    assert job["future_links"] == [f"{emu.cdn_url}/outputs/{job['id']}.png"]
    assert job["meta"]["object_name"] == "cup"
    assert requests.get(job["future_links"][0], timeout=5).status_code == 404
    assert fetch(emu, job["id"]).json()["status"] == "processing"

    clock.advance(0.25)
    assert fetch(emu, job["id"]).json()["status"] == "processing"  # not early
    assert requests.get(job["future_links"][0], timeout=5).status_code == 404
    clock.advance(0.1)
    done = requests.post(job["fetch_result"], json={"key": KEY}, timeout=5).json()
    assert done["status"] == "success" and done["id"] == job["id"]
    assert isinstance(done["generationTime"], float)
    assert done["output"] == done["proxy_links"] == job["future_links"]
    result = requests.get(done["output"][0], timeout=5)
    assert result.headers["Content-Type"] == "image/png"
    pixels = np.array(Image.open(io.BytesIO(result.content)).convert("RGB"))
    assert pixels.shape == (64, 128, 3)
    assert np.array_equal(pixels, emulated_text_removal(image))


def test_the_text_render_knob_picks_the_flat_answer(emu: ProviderEmulator) -> None:
    assert emu.behaviour.text_render == "realistic"  # the default: a whole re-render
    emu.behaviour.update({"job_seconds": 0, "text_render": "flat"})
    image = scene(100, 130)
    response = submit(emu, uploaded_url(emu, image)).json()
    result = requests.get(response["output"][0], timeout=5)
    pixels = np.array(Image.open(io.BytesIO(result.content)).convert("RGB"))
    assert np.array_equal(pixels, emulated_text_removal(image, render="flat"))
    assert not np.array_equal(pixels, emulated_text_removal(image, render="realistic"))


def test_modelslab_instant_success_and_same_size(emu: ProviderEmulator) -> None:
    emu.behaviour.update({"job_seconds": 0, "modelslab_output_size": "same"})
    response = submit(emu, uploaded_url(emu, scene(100, 130))).json()
    assert response["status"] == "success"
    result = requests.get(response["output"][0], timeout=5)
    assert Image.open(io.BytesIO(result.content)).size == (130, 100)


def test_modelslab_failed_outcome(emu: ProviderEmulator, clock: ManualClock) -> None:
    emu.behaviour.update({"job_seconds": 0.2, "job_outcome": "failed"})
    job = submit(emu, uploaded_url(emu)).json()
    assert job["status"] == "processing"
    clock.advance(0.25)
    failed = fetch(emu, job["id"]).json()
    assert failed == {"status": "failed", "id": job["id"], "message": "Failed, Try Again",
                      "output": ""}
    assert requests.get(job["future_links"][0], timeout=5).status_code == 404


def test_modelslab_submit_refusals(emu: ProviderEmulator) -> None:
    url = uploaded_url(emu)
    for name in ("", "   "):
        response = submit(emu, url, object_name=name)
        assert response.status_code == 200
        required = {"object_name": ["The object name field is required."]}
        assert response.json() == {"status": "error", "message": required}
    foreign = submit(emu, "https://example.com/photo.png").json()
    assert foreign == {"status": "error", "message": "init_image could not be downloaded"}
    assert submit(emu, emu.cdn_url + "/uploads/unknown.png").json()["status"] == "error"
    bad_key = submit(emu, url, key="sk-NOPE-5555")
    assert bad_key.status_code == 401 and "sk-NOPE-5555" not in bad_key.text
    not_json = requests.post(emu.api_url + SUBMIT, data=b"key=test-key", timeout=5)
    assert not_json.status_code == 400 and not_json.json()["status"] == "error"
    text_upload = upload(emu, b"not an image").json()["output"][0]
    unreadable = submit(emu, text_upload).json()
    assert unreadable == {"status": "error", "message": "init_image is not a readable image"}
    assert requests.get(emu.api_url + SUBMIT, timeout=5).status_code == 405


def test_modelslab_legacy_error_spelling(emu: ProviderEmulator) -> None:
    emu.behaviour.legacy_error_spelling = True
    for response in (fetch(emu, 1), upload(emu, b"x", key="wrong")):
        assert "messege" in response.json() and "message" not in response.json()
    assert fetch(emu, 1).json()["messege"] == "Request not found"


def test_modelslab_queue_limit(emu: ProviderEmulator, clock: ManualClock) -> None:
    emu.behaviour.update({"queue_limit": 2, "job_seconds": 0.5})
    url = uploaded_url(emu)
    assert submit(emu, url).json()["status"] == "processing"
    assert submit(emu, url).json()["status"] == "processing"
    refused = submit(emu, url)
    assert refused.status_code == 429
    body = refused.json()
    assert body["status"] == "error" and "queue limit" in body["message"]
    assert body["retry_after"] == 1 and refused.headers["Retry-After"] == "1"
    assert submit(emu, url, key=OTHER_KEY).json()["status"] == "processing"  # per key
    clock.advance(0.49)
    assert submit(emu, url).status_code == 429  # still full until the first one ends
    clock.advance(0.06)
    assert submit(emu, url).json()["status"] == "processing"


@pytest.mark.parametrize(
    ("shape", "expected"),
    [("list", [[], [], []]), ("string", ["", "", ""]), ("alternate", [[], "", []])],
)
def test_modelslab_processing_output_shapes(emu: ProviderEmulator, shape: str,
                                            expected: list[Any]) -> None:
    emu.behaviour.update({"processing_output": shape, "job_seconds": 30})
    job = submit(emu, uploaded_url(emu)).json()
    outputs = [job["output"], fetch(emu, job["id"]).json()["output"],
               fetch(emu, job["id"]).json()["output"]]
    assert outputs == expected


def test_modelslab_eta(emu: ProviderEmulator, clock: ManualClock) -> None:
    emu.behaviour.job_seconds = 7.2
    job = submit(emu, uploaded_url(emu)).json()
    assert job["eta"] == 8  # rounded up
    clock.advance(5)
    assert fetch(emu, job["id"]).json()["eta"] == 3  # what is left, by the emulator's clock
    emu.behaviour.eta = 42
    assert submit(emu, uploaded_url(emu)).json()["eta"] == 42


def test_modelslab_fetch_unknown_or_foreign_jobs(emu: ProviderEmulator) -> None:
    emu.behaviour.job_seconds = 0
    job = submit(emu, uploaded_url(emu)).json()
    not_found = {"status": "error", "message": "Request not found"}
    assert fetch(emu, job["id"] + 1000).json() == not_found
    assert fetch(emu, job["id"], key=OTHER_KEY).json() == not_found
    assert fetch(emu, "abc").json() == not_found
    assert fetch(emu, f"abc/{job['id']}").json() == not_found
    assert fetch(emu, job["id"]).json()["status"] == "success"
    assert fetch(emu, job["id"], key="wrong").status_code == 401


def test_modelslab_unknown_paths_answer_in_modelslab_style(emu: ProviderEmulator) -> None:
    response = requests.post(emu.api_url + "/api/v6/interior/nothing", json={"key": KEY},
                             timeout=5)
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Not found"}
    assert [r.endpoint for r in emu.requests()] == ["unknown"]
