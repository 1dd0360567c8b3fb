"""ModelsLab image_editing object_removal (by mask) and its own fetch endpoint."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import requests
from emulator_helpers import (
    FETCH,
    KEY,
    MASK_FETCH,
    MASK_SUBMIT,
    OTHER_KEY,
    decoded,
    download,
    fetch,
    mask_fetch,
    mask_submit,
    noisy,
    square_mask,
    submit,
    upload,
    uploaded_url,
)
from PIL import Image

from provider_emulator import ManualClock, ProviderEmulator, emulated_mask_job_removal

NOT_FOUND = {"status": "error", "message": "Request not found"}


def uploaded_pair(emu: ProviderEmulator, image: np.ndarray, mask: np.ndarray) -> tuple[str, str]:
    return uploaded_url(emu, image), uploaded_url(emu, mask)


def test_mask_job_processes_then_succeeds_with_the_exact_result(
    emu: ProviderEmulator, clock: ManualClock
) -> None:
    emu.behaviour.job_seconds = 2
    image, mask = noisy(100, 130), square_mask(100, 130, (30, 40, 70, 90))
    init_url, mask_url = uploaded_pair(emu, image, mask)
    response = mask_submit(emu, init_url, mask_url, track_id=7)
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "processing" and job["eta"] == 2
    assert job["fetch_result"] == f"{emu.api_url}{MASK_FETCH}{job['id']}"
    assert job["future_links"] == [f"{emu.cdn_url}/outputs/{job['id']}.png"]
    assert job["meta"]["init_image"] == init_url and job["meta"]["mask_image"] == mask_url
    assert job["meta"]["track_id"] == 7 and (job["meta"]["W"], job["meta"]["H"]) == (128, 64)
    assert "object_name" not in job["meta"]
    assert download(job["future_links"][0]).status_code == 404
    assert mask_fetch(emu, job["id"]).json()["status"] == "processing"

    clock.advance(1.5)
    assert mask_fetch(emu, job["id"]).json()["status"] == "processing"
    clock.advance(0.5)
    done = requests.post(job["fetch_result"], json={"key": KEY}, timeout=5).json()
    assert done["status"] == "success" and done["id"] == job["id"]
    assert done["output"] == done["proxy_links"] == job["future_links"]
    result = download(done["output"][0])
    assert result.status_code == 200 and result.headers["Content-Type"] == "image/png"
    out = decoded(result.content)
    assert out.shape == (64, 128, 3)
    assert np.array_equal(out, emulated_mask_job_removal(image, mask, "multiple_of_64"))

    (submitted,) = emu.requests("ml_mask_submit")
    assert submitted.key == KEY and submitted.json["mask_image"] == mask_url
    assert [r.key for r in emu.requests("ml_mask_fetch")] == [KEY, KEY, KEY]
    assert emu.requests("ml_submit") == [] and emu.requests("ml_fetch") == []
    assert emu.keys_seen_on_cdn() == set()


def test_mask_job_with_a_smaller_mask_and_the_same_size(emu: ProviderEmulator) -> None:
    emu.behaviour.update({"job_seconds": 0, "modelslab_output_size": "same"})
    image = noisy(90, 120)
    mask = square_mask(45, 60, (10, 10, 30, 40))
    done = mask_submit(emu, *uploaded_pair(emu, image, mask)).json()
    assert done["status"] == "success"
    out = decoded(download(done["output"][0]).content)
    assert out.shape == (90, 120, 3)
    assert np.array_equal(out, emulated_mask_job_removal(image, mask, "same"))
    full = np.array(Image.fromarray(mask).resize((120, 90), Image.Resampling.NEAREST)) >= 128
    assert np.array_equal(out[~full], image[~full])  # only the mask changed


def test_mask_is_read_as_grey_and_white_means_remove(emu: ProviderEmulator) -> None:
    emu.behaviour.update({"job_seconds": 0, "modelslab_output_size": "same"})
    image = noisy(64, 64)
    grey = square_mask(64, 64, (20, 20, 40, 40))
    rgb_mask = np.stack([grey] * 3, axis=-1)
    rgb_mask[0:10, 0:10] = (255, 0, 0)  # red is dark grey (76): kept
    done = mask_submit(emu, *uploaded_pair(emu, image, rgb_mask)).json()
    out = decoded(download(done["output"][0]).content)
    assert np.array_equal(out, emulated_mask_job_removal(image, grey, "same"))
    assert not np.array_equal(out[20:40, 20:40], image[20:40, 20:40])
    assert np.array_equal(out[0:10, 0:10], image[0:10, 0:10])


def test_queue_limit_is_shared_with_interior_jobs(emu: ProviderEmulator,
                                                  clock: ManualClock) -> None:
    emu.behaviour.update({"queue_limit": 2, "job_seconds": 1})
    image, mask = noisy(), square_mask()
    init_url, mask_url = uploaded_pair(emu, image, mask)
    assert submit(emu, init_url).json()["status"] == "processing"
    assert mask_submit(emu, init_url, mask_url).json()["status"] == "processing"
    for refused in (mask_submit(emu, init_url, mask_url), submit(emu, init_url)):
        assert refused.status_code == 429
        assert refused.json()["status"] == "error" and "queue limit" in refused.json()["message"]
        assert refused.json()["retry_after"] == 1 and refused.headers["Retry-After"] == "1"
    assert mask_submit(emu, init_url, mask_url, key=OTHER_KEY).json()["status"] == "processing"
    clock.advance(1)
    assert mask_submit(emu, init_url, mask_url).json()["status"] == "processing"


def test_a_job_is_fetched_only_at_its_own_kind_of_fetch(emu: ProviderEmulator) -> None:
    emu.behaviour.job_seconds = 0
    init_url, mask_url = uploaded_pair(emu, noisy(), square_mask())
    interior = submit(emu, init_url).json()
    masked = mask_submit(emu, init_url, mask_url).json()
    assert interior["status"] == masked["status"] == "success"
    assert masked["id"] != interior["id"]
    assert mask_fetch(emu, interior["id"]).json() == NOT_FOUND
    assert fetch(emu, masked["id"]).json() == NOT_FOUND
    assert mask_fetch(emu, masked["id"]).json()["status"] == "success"
    assert fetch(emu, interior["id"]).json()["status"] == "success"
    assert mask_fetch(emu, masked["id"], key=OTHER_KEY).json() == NOT_FOUND
    assert mask_fetch(emu, "abc").json() == NOT_FOUND
    assert mask_fetch(emu, masked["id"], key="wrong").status_code == 401
    assert requests.post(f"{emu.api_url}{FETCH}{masked['id']}", json={"key": KEY},
                         timeout=5).json() == NOT_FOUND


def test_mask_job_failed_outcome(emu: ProviderEmulator, clock: ManualClock) -> None:
    emu.behaviour.update({"job_seconds": 0.5, "job_outcome": "failed"})
    job = mask_submit(emu, *uploaded_pair(emu, noisy(), square_mask())).json()
    assert job["status"] == "processing"
    clock.advance(0.5)
    failed = mask_fetch(emu, job["id"]).json()
    assert failed == {"status": "failed", "id": job["id"], "message": "Failed, Try Again",
                      "output": ""}
    assert download(job["future_links"][0]).status_code == 404


@pytest.mark.parametrize(
    ("shape", "expected"),
    [("list", [[], [], []]), ("string", ["", "", ""]), ("alternate", [[], "", []])],
)
def test_mask_job_processing_output_shapes_and_eta(emu: ProviderEmulator, shape: str,
                                                   expected: list[Any]) -> None:
    emu.behaviour.update({"processing_output": shape, "job_seconds": 30, "eta": 9})
    job = mask_submit(emu, *uploaded_pair(emu, noisy(), square_mask())).json()
    fetched = [mask_fetch(emu, job["id"]).json() for _ in range(2)]
    assert [job["output"], *(f["output"] for f in fetched)] == expected
    assert [job["eta"], *(f["eta"] for f in fetched)] == [9, 9, 9]


def test_mask_job_refusals(emu: ProviderEmulator) -> None:
    init_url, mask_url = uploaded_pair(emu, noisy(), square_mask())
    required = {"status": "error", "message": {"mask_image": ["The mask image field is required."]}}
    for missing in (None, "", "  "):
        assert mask_submit(emu, init_url, missing).json() == required
    body = {"key": KEY, "init_image": init_url}
    assert requests.post(emu.api_url + MASK_SUBMIT, json=body, timeout=5).json() == required

    foreign = "https://example.com/photo.png"
    assert mask_submit(emu, foreign, mask_url).json() == {
        "status": "error", "message": "init_image could not be downloaded"}
    assert mask_submit(emu, init_url, foreign).json() == {
        "status": "error", "message": "mask_image could not be downloaded"}
    assert mask_submit(emu, init_url, emu.cdn_url + "/uploads/unknown.png").json() == {
        "status": "error", "message": "mask_image could not be downloaded"}
    text_url = upload(emu, b"not an image").json()["output"][0]
    assert mask_submit(emu, init_url, text_url).json() == {
        "status": "error", "message": "mask_image is not a readable image"}
    assert mask_submit(emu, text_url, mask_url).json() == {
        "status": "error", "message": "init_image is not a readable image"}

    bad_key = mask_submit(emu, init_url, mask_url, key="sk-NOPE-5555")
    assert bad_key.status_code == 401 and "sk-NOPE-5555" not in bad_key.text
    not_json = requests.post(emu.api_url + MASK_SUBMIT, data=b"key=test-key", timeout=5)
    assert not_json.status_code == 400 and not_json.json()["status"] == "error"
    assert emu.requests("ml_mask_fetch") == []
    emu.behaviour.legacy_error_spelling = True
    assert mask_submit(emu, foreign, mask_url).json() == {
        "status": "error", "messege": "init_image could not be downloaded"}
