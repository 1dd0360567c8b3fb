"""TextObjectRemove and FetchResult end to end through their node functions."""

import asyncio
import threading
import time

import pytest
import torch

from object_removal.errors import Cancelled, JobTimeoutError
from object_removal.job_handle import parse_job_reference
from object_removal.run_context import RunContext
from object_removal.text_removal import collect_result, remove_by_text
from support import AILAB_KEY, MODELSLAB_KEY, image_tensor, node_class, pack_module, photo_like, run

TextObjectRemove = node_class("TextObjectRemove")
FetchResult = node_class("FetchResult")
# What the nodes raise: the pack's own copies of the error types.
node_errors = pack_module("object_removal.errors")


def text_remove(image, object_name="sofa", wait=True, timeout=60):
    return run(TextObjectRemove().remove(image, object_name, wait, timeout))


def fetch(job, timeout=60):
    (image,) = run(FetchResult().fetch(job, timeout))
    return image


def centre_box(height, width):
    return slice(height // 4 + 2, 3 * height // 4 - 2), slice(width // 4 + 2, 3 * width // 4 - 2)


def assert_removed(result, original):
    """The emulator fills the centre box with the image's mean colour, at its own size."""
    height, width = original.shape[1:3]
    rows, cols = centre_box(height, width)
    centre = result[0, rows, cols] * 255
    assert centre.std(dim=(0, 1)).max() < 2.5
    mean = original[0].mean(dim=(0, 1)) * 255
    assert (centre.mean(dim=(0, 1)) - mean).abs().max() < 3
    corner = (result[0, : height // 8, : width // 8] - original[0, : height // 8, : width // 8])
    assert corner.abs().mean() < 0.04  # resampled, otherwise the input


def test_wait_returns_the_result_at_the_input_size_after_processing(settings, emulator):
    emulator.behaviour.job_seconds = 1.2
    image = image_tensor(photo_like(150, 210))
    result, job = text_remove(image)
    assert result.shape == image.shape and result.dtype == torch.float32
    assert_removed(result, image)
    reference = parse_job_reference(job, settings.modelslab.base_url)
    assert reference.size == (210, 150) and len(reference.job_ids) == 1
    assert len(emulator.requests("ml_fetch")) >= 1  # it went through `processing`
    assert emulator.keys_seen_on_cdn() == set()
    for request in emulator.requests():
        if request.endpoint.startswith("ml_"):
            assert request.key == MODELSLAB_KEY
        assert AILAB_KEY not in request.body.decode("latin-1")


def test_submit_now_collect_later_gives_the_same_result(settings, emulator):
    emulator.behaviour.job_seconds = 0.8
    image = image_tensor(photo_like(100, 130, seed=2))
    unchanged, job = text_remove(image, wait=False)
    assert torch.equal(unchanged, image)
    assert job.startswith("modelslab:") and job.endswith("@130x100")
    collected = fetch(job)
    assert collected.shape == image.shape
    assert_removed(collected, image)
    assert len(emulator.requests("ml_submit")) == 1


def test_a_batch_becomes_jobs_in_order(settings, emulator):
    emulator.behaviour.job_seconds = 0.5
    arrays = [photo_like(90, 120, seed=s) for s in range(3)]
    arrays[1] = arrays[1] // 2  # clearly different images
    images = image_tensor(*arrays)
    result, job = text_remove(images)
    assert result.shape == (3, 90, 120, 3)
    for i in range(3):
        assert_removed(result[i: i + 1], images[i: i + 1])
    assert len(parse_job_reference(job, settings.modelslab.base_url).job_ids) == 3
    assert len(emulator.requests("ml_submit")) == 3


def test_a_failed_job_is_a_clear_error(settings, emulator):
    emulator.behaviour.job_outcome = "failed"
    emulator.behaviour.job_seconds = 0.3
    with pytest.raises(node_errors.ObjectRemovalError,
                       match=r"Text Object Remove: .*job \d+ .*failed"):
        text_remove(image_tensor(photo_like(80, 80)))


def test_timeout_gives_a_handle_that_fetch_result_collects(settings, emulator):
    emulator.behaviour.job_seconds = 2.5
    image = image_tensor(photo_like(80, 100))
    with pytest.raises(node_errors.JobTimeoutError) as error:
        text_remove(image, timeout=1)
    message = str(error.value)
    assert "FetchResult" in message
    handle = error.value.handle
    assert handle in message and handle.startswith("modelslab:")
    result = fetch(handle)
    assert result.shape == image.shape
    assert_removed(result, image)
    assert len(emulator.requests("ml_submit")) == 1


def test_queueing_the_same_job_again_resumes_it_without_a_second_bill(settings, emulator):
    emulator.behaviour.job_seconds = 2.0
    image = image_tensor(photo_like(80, 100))
    with pytest.raises(node_errors.JobTimeoutError):
        text_remove(image, timeout=1)
    result, _ = text_remove(image, timeout=30)
    assert_removed(result, image)
    assert len(emulator.requests("ml_submit")) == 1
    assert len(emulator.requests("ml_upload")) == 1


def test_a_failed_job_is_not_resumed(settings, emulator):
    emulator.behaviour.job_outcome = "failed"
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_like(80, 100))
    with pytest.raises(node_errors.ObjectRemovalError):
        text_remove(image)
    emulator.behaviour.job_outcome = "success"
    result, _ = text_remove(image)
    assert_removed(result, image)
    assert len(emulator.requests("ml_submit")) == 2


def test_fetch_result_refuses_other_origins_and_sends_nothing(settings, emulator):
    for job in (emulator.cdn_url + "/api/v6/interior/fetch/130000000",
                "https://evil.example/api/v6/interior/fetch/130000000"):
        with pytest.raises(node_errors.ObjectRemovalError,
                           match="not on the configured ModelsLab origin"):
            fetch(job)
    assert emulator.requests() == []


def test_fetch_result_with_a_bare_id_or_url_returns_the_providers_size(settings, emulator):
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_like(150, 210))
    _, job = text_remove(image, wait=False)
    job_id = parse_job_reference(job, settings.modelslab.base_url).job_ids[0]
    assert fetch(job_id).shape == (1, 128, 192, 3)
    url = f"{emulator.api_url}/api/v6/interior/fetch/{job_id}"
    assert fetch(url).shape == (1, 128, 192, 3)


def test_collected_results_are_kept(settings, emulator):
    emulator.behaviour.job_seconds = 0
    _, job = text_remove(image_tensor(photo_like(80, 100)), wait=False)
    first = fetch(job)
    emulator.reset()
    assert torch.equal(fetch(job), first)
    assert emulator.requests() == []


def test_an_empty_object_name_is_refused_before_any_call(settings, emulator):
    with pytest.raises(node_errors.ObjectRemovalError, match="object_name"):
        text_remove(image_tensor(photo_like(80, 80)), object_name="   ")
    assert emulator.requests() == []


def test_the_queue_limit_is_respected(settings, emulator, monkeypatch):
    from object_removal.config import load_settings

    monkeypatch.setenv("MODELSLAB_QUEUE_LIMIT", "2")
    emulator.behaviour.queue_limit = 2
    emulator.behaviour.job_seconds = 0.6
    images = image_tensor(*(photo_like(80, 80, seed=s) for s in range(4)))
    result, _ = run(remove_by_text(images, "sofa", wait=True, timeout=60, ctx=RunContext(),
                                   settings=load_settings()))
    assert result.shape == (4, 80, 80, 3)
    # Never over the limit: no submit was refused with 429.
    assert len(emulator.requests("ml_submit")) == 4


def test_jobs_run_side_by_side(settings, emulator):
    """Two submit-then-collect pairs in one event loop, as ComfyUI runs async nodes."""
    emulator.behaviour.job_seconds = 3.0
    images = [image_tensor(photo_like(80, 80, seed=s)) for s in (1, 2)]

    async def pair(image):
        _, job = await TextObjectRemove().remove(image, "sofa", False, 60)
        (result,) = await FetchResult().fetch(job, 60)
        return result

    async def both():
        return await asyncio.gather(*(pair(image) for image in images))

    started = time.monotonic()
    results = run(both())
    elapsed = time.monotonic() - started
    assert all(r.shape == (1, 80, 80, 3) for r in results)
    assert elapsed < 5.0, f"took {elapsed:.1f} s: the jobs did not overlap"


def test_cancel_stops_polling_at_once(settings, emulator):
    emulator.behaviour.job_seconds = 30
    ctx = RunContext()
    threading.Timer(0.5, ctx.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        run(remove_by_text(image_tensor(photo_like(80, 80)), "sofa", wait=True, timeout=60,
                           ctx=ctx, settings=settings))
    assert time.monotonic() - started < 2


def test_fetch_result_timeout_names_the_job(settings, emulator):
    emulator.behaviour.job_seconds = 30
    _, job = text_remove(image_tensor(photo_like(80, 80)), wait=False)
    with pytest.raises(JobTimeoutError, match="Run FetchResult again later") as error:
        run(collect_result(job, timeout=1, ctx=RunContext(), settings=settings))
    assert error.value.handle == job
