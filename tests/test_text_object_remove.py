"""TextObjectRemove and FetchResult end to end through their node functions."""

import asyncio
import shutil
import threading
import time

import pytest
import torch

from object_removal.errors import Cancelled, JobTimeoutError
from object_removal.imaging.codec import resize_rgb
from object_removal.imaging.tensors import from_uint8, to_uint8
from object_removal.run_context import RunContext
from object_removal.text.job_handle import parse_job_reference
from object_removal.text.removal import collect_result, remove_by_text
from provider_emulator import emulated_text_removal, text_removal_area
from support import (
    AILAB_KEY,
    MODELSLAB_KEY,
    image_tensor,
    node_class,
    pack_module,
    photo_with_object,
    run,
)

TextObjectRemove = node_class("TextObjectRemove")
FetchResult = node_class("FetchResult")
# What the nodes raise: the pack's own copies of the error types.
node_errors = pack_module("object_removal.errors")


def text_remove(image, object_name="sofa", wait=True, timeout=60, **composite):
    return run(TextObjectRemove().remove(image, object_name, wait, timeout, **composite))


def fetch(job, timeout=60, **composite):
    image, _mask = run(FetchResult().fetch(job, timeout, **composite))
    return image


def fetch_both(job, timeout=60, **composite):
    return run(FetchResult().fetch(job, timeout, **composite))


def assert_removed(result, original, mask):
    """The emulator re-renders the whole picture and paints new content over the area it
    "found" (text_removal_area); compositing keeps the input everywhere else.

    These pictures are tiny, so the fixed minimum margins weigh much: the bounds on the
    mask's size are looser than the issue's figures, which test_text_compositing holds
    detection to on pictures of realistic sizes.
    """
    for i in range(original.shape[0]):
        image, before, changed = result[i], original[i], mask[i] > 0
        height, width = before.shape[:2]
        area = torch.from_numpy(text_removal_area(to_uint8(before)).mask(width, height))
        assert changed[area].float().mean() >= 0.95  # the mask covers what was replaced
        assert changed.float().sum() <= 1.6 * area.float().sum()  # ... and not much more
        assert torch.equal(image[~changed], before[~changed])  # elsewhere: the input, exactly
        assert (image[area] - before[area]).abs().mean() > 0.03  # the object area is new


def test_wait_returns_the_result_at_the_input_size_after_processing(settings, emulator):
    emulator.behaviour.job_seconds = 1.2
    image = image_tensor(photo_with_object(150, 210))
    result, job, mask = text_remove(image)
    assert result.shape == image.shape and result.dtype == torch.float32
    assert mask.shape == (1, 150, 210) and set(mask.unique().tolist()) == {0.0, 1.0}
    assert_removed(result, image, mask)
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
    image = image_tensor(photo_with_object(100, 130, seed=2))
    unchanged, job, mask = text_remove(image, wait=False)
    assert torch.equal(unchanged, image)
    assert mask.shape == (1, 100, 130) and not mask.any()  # nothing removed yet
    assert job.startswith("modelslab:") and "@130x100#" in job
    collected, collected_mask = fetch_both(job)
    assert collected.shape == image.shape
    assert_removed(collected, image, collected_mask)
    assert len(emulator.requests("ml_submit")) == 1


def test_a_batch_becomes_jobs_in_order(settings, emulator):
    emulator.behaviour.job_seconds = 0.5
    arrays = [photo_with_object(90, 120, seed=s) for s in range(3)]
    arrays[1] = arrays[1] // 2  # clearly different images
    images = image_tensor(*arrays)
    result, job, mask = text_remove(images)
    assert result.shape == (3, 90, 120, 3) and mask.shape == (3, 90, 120)
    assert_removed(result, images, mask)
    assert len(parse_job_reference(job, settings.modelslab.base_url).job_ids) == 3
    assert len(emulator.requests("ml_submit")) == 3


def test_a_failed_job_is_a_clear_error(settings, emulator):
    emulator.behaviour.job_outcome = "failed"
    emulator.behaviour.job_seconds = 0.3
    with pytest.raises(node_errors.ObjectRemovalError,
                       match=r"Text Object Remove: .*job \d+ .*failed"):
        text_remove(image_tensor(photo_with_object(80, 80)))


def test_timeout_gives_a_handle_that_fetch_result_collects(settings, emulator):
    emulator.behaviour.job_seconds = 2.5
    image = image_tensor(photo_with_object(80, 100))
    with pytest.raises(node_errors.JobTimeoutError) as error:
        text_remove(image, timeout=1)
    message = str(error.value)
    assert "FetchResult" in message
    handle = error.value.handle
    assert handle in message and handle.startswith("modelslab:")
    result, mask = fetch_both(handle)
    assert result.shape == image.shape
    assert_removed(result, image, mask)
    assert len(emulator.requests("ml_submit")) == 1


def test_queueing_the_same_job_again_resumes_it_without_a_second_bill(settings, emulator):
    emulator.behaviour.job_seconds = 2.0
    image = image_tensor(photo_with_object(80, 100))
    with pytest.raises(node_errors.JobTimeoutError):
        text_remove(image, timeout=1)
    result, _, mask = text_remove(image, timeout=30)
    assert_removed(result, image, mask)
    assert len(emulator.requests("ml_submit")) == 1
    assert len(emulator.requests("ml_upload")) == 1


def test_after_switching_accounts_the_other_accounts_job_is_not_resumed(
        settings, emulator, monkeypatch):
    """A job belongs to the account that paid for it: another key can neither read it nor
    be told it was paid for."""
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_with_object(80, 100, seed=8))
    _, job, _ = text_remove(image)
    first = parse_job_reference(job, settings.modelslab.base_url).job_ids[0]
    monkeypatch.setenv("MODELSLAB_API_KEY", AILAB_KEY)  # another account the emulator knows
    result, _, mask = text_remove(image)
    assert_removed(result, image, mask)
    assert [r.key for r in emulator.requests("ml_submit")] == [MODELSLAB_KEY, AILAB_KEY]
    assert not any(r.key == AILAB_KEY and r.path.endswith(f"/{first}")
                   for r in emulator.requests("ml_fetch"))
    monkeypatch.setenv("MODELSLAB_API_KEY", MODELSLAB_KEY)
    text_remove(image)  # back on the first account: its job is resumed, not paid again
    assert len(emulator.requests("ml_submit")) == 2


def test_a_failed_job_is_not_resumed(settings, emulator):
    emulator.behaviour.job_outcome = "failed"
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_with_object(80, 100))
    with pytest.raises(node_errors.ObjectRemovalError):
        text_remove(image)
    emulator.behaviour.job_outcome = "success"
    result, _, mask = text_remove(image)
    assert_removed(result, image, mask)
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
    image = image_tensor(photo_with_object(150, 210))
    _, job, _ = text_remove(image, wait=False)
    job_id = parse_job_reference(job, settings.modelslab.base_url).job_ids[0]
    assert fetch(job_id).shape == (1, 128, 192, 3)
    url = f"{emulator.api_url}/api/v6/interior/fetch/{job_id}"
    assert fetch(url).shape == (1, 128, 192, 3)


def test_collected_results_are_kept(settings, emulator):
    emulator.behaviour.job_seconds = 0
    _, job, _ = text_remove(image_tensor(photo_with_object(80, 100)), wait=False)
    first = fetch(job)
    emulator.reset()
    assert torch.equal(fetch(job), first)
    assert emulator.requests() == []


def test_an_empty_object_name_is_refused_before_any_call(settings, emulator):
    with pytest.raises(node_errors.ObjectRemovalError, match="object_name"):
        text_remove(image_tensor(photo_with_object(80, 80)), object_name="   ")
    assert emulator.requests() == []


def test_the_queue_limit_is_respected(settings, emulator, monkeypatch):
    from object_removal.config import load_settings

    monkeypatch.setenv("MODELSLAB_QUEUE_LIMIT", "2")
    emulator.behaviour.queue_limit = 2
    emulator.behaviour.job_seconds = 0.6
    images = image_tensor(*(photo_with_object(80, 80, seed=s) for s in range(4)))
    result, _, _ = run(remove_by_text(images, "sofa", wait=True, timeout=60, ctx=RunContext(),
                                      settings=load_settings()))
    assert result.shape == (4, 80, 80, 3)
    # Never over the limit: no submit was refused with 429.
    assert len(emulator.requests("ml_submit")) == 4


def test_jobs_run_side_by_side(settings, emulator):
    """Two submit-then-collect pairs in one event loop, as ComfyUI runs async nodes: the
    second job is submitted while the first one's poll answer is still held back."""
    emulator.behaviour.job_seconds = 0.5
    emulator.script("ml_fetch", hold=True)
    images = [image_tensor(photo_with_object(80, 80, seed=s)) for s in (1, 2)]

    def release_once_both_are_submitted():
        while not (emulator.held("ml_fetch") == 1 and len(emulator.requests("ml_submit")) == 2):
            time.sleep(0.01)
        emulator.release()

    async def pair(image):
        _, job, _ = await TextObjectRemove().remove(image, "sofa", False, 60)
        result, _ = await FetchResult().fetch(job, 60)
        return result

    async def both():
        return await asyncio.gather(*(pair(image) for image in images))

    threading.Thread(target=release_once_both_are_submitted, daemon=True).start()
    results = run(both())  # one after the other, the held poll would never be released
    assert all(r.shape == (1, 80, 80, 3) for r in results)


def test_cancel_stops_polling_at_once(settings, emulator):
    emulator.behaviour.job_seconds = 30  # without Cancel, the run would end with the job
    ctx = RunContext()
    threading.Timer(0.5, ctx.cancel).start()
    with pytest.raises(Cancelled):
        run(remove_by_text(image_tensor(photo_with_object(80, 80)), "sofa", wait=True, timeout=60,
                           ctx=ctx, settings=settings))
    polls = len(emulator.requests("ml_fetch"))
    time.sleep(1.5)  # past the next poll the schedule would have made
    assert len(emulator.requests("ml_fetch")) == polls  # no poll after Cancel


def test_fetch_result_timeout_names_the_job(settings, emulator):
    emulator.behaviour.job_seconds = 30
    _, job, _ = text_remove(image_tensor(photo_with_object(80, 80)), wait=False)
    with pytest.raises(JobTimeoutError, match="Run FetchResult again later") as error:
        run(collect_result(job, timeout=1, ctx=RunContext(), settings=settings))
    assert error.value.handle == job


def provider_picture(image):
    """What the emulator answered for `image` (uploaded losslessly: the same pixels)."""
    return emulated_text_removal(to_uint8(image[0]))


def statuses():
    lines = []
    return lines, RunContext(on_status=lines.append)


def test_composite_off_returns_the_providers_whole_picture_as_before(settings, emulator):
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_with_object(120, 170, 1))
    result, _, mask = text_remove(image, composite=False)
    expected = from_uint8(resize_rgb(provider_picture(image), 170, 120))
    assert torch.equal(result[0], expected)
    composited, _, same_mask = text_remove(image)  # the same job, composited this time
    assert torch.equal(mask, same_mask) and mask.any()
    assert not torch.equal(composited, result)
    assert len(emulator.requests("ml_submit")) == 1


def test_the_status_line_says_what_was_composited(settings, emulator):
    emulator.behaviour.job_seconds = 0
    lines, ctx = statuses()
    _, job, mask = run(remove_by_text(image_tensor(photo_with_object(120, 170, 2)), "sofa",
                                      wait=True, timeout=60, ctx=ctx, settings=settings))
    assert lines[-1].startswith(f"done, composited the changed {mask.mean().item():.1%}")
    assert "; 1 paid call (billed per image): " in lines[-1]
    assert lines[-1].endswith(job)


def test_fetch_result_with_a_bare_id_cannot_composite_and_says_so(settings, emulator):
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_with_object(150, 210, 3))
    _, job, _ = text_remove(image, wait=False)
    job_id = parse_job_reference(job, settings.modelslab.base_url).job_ids[0]
    for composite in (True, False):
        lines, ctx = statuses()
        result, mask = run(collect_result(job_id, timeout=60, ctx=ctx, settings=settings,
                                          composite=composite))
        assert torch.equal(result[0], from_uint8(provider_picture(image)))
        assert mask.shape == (1, 128, 192) and not mask.any()
        if composite:
            assert lines[-1] == ("done, could not composite (a bare job id or URL names no "
                                 "original): the provider's whole image")


def test_a_handle_from_before_originals_were_kept_still_collects_as_before(settings, emulator):
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_with_object(150, 210, 4))
    _, job, _ = text_remove(image, wait=False)
    old_handle = job.split("#")[0]
    lines, ctx = statuses()
    result, mask = run(collect_result(old_handle, timeout=60, ctx=ctx, settings=settings))
    assert torch.equal(result[0], from_uint8(resize_rgb(provider_picture(image), 210, 150)))
    assert not mask.any()
    assert "made before they were kept" in lines[-1]


def test_fetch_result_composites_into_the_kept_original_in_a_later_run(settings, emulator):
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_with_object(150, 210, 5))
    _, job, _ = text_remove(image, wait=False)
    # Only the handle text crosses into the later run: no tensor, no Python state.
    result, mask = fetch_both(job)
    assert_removed(result, image, mask)
    off, off_mask = fetch_both(job, composite=False)
    assert torch.equal(off[0], from_uint8(resize_rgb(provider_picture(image), 210, 150)))
    assert torch.equal(off_mask, mask)


def test_when_the_original_is_gone_fetch_result_says_so(settings, emulator):
    emulator.behaviour.job_seconds = 0
    image = image_tensor(photo_with_object(150, 210, 6))
    _, job, _ = text_remove(image, wait=False)
    shutil.rmtree(settings.cache_dir / "originals")
    lines, ctx = statuses()
    result, mask = run(collect_result(job, timeout=60, ctx=ctx, settings=settings))
    assert torch.equal(result[0], from_uint8(resize_rgb(provider_picture(image), 210, 150)))
    assert not mask.any()
    assert "the original is no longer kept" in lines[-1]


def test_encoding_decoding_and_hashing_run_off_the_event_loop(settings, emulator,
                                                              monkeypatch):
    """ComfyUI's server answers on the event loop: a batch's PNGs and hashes are made in a
    worker thread (the mechanism, not a timing)."""
    from object_removal.jobs import modelslab as jobs_module
    from object_removal.stores import originals as originals_module
    from object_removal.text import removal as removal_module

    threads: dict[str, set[int]] = {}

    def watched(module, name):
        original = getattr(module, name)

        def call(*args, **kwargs):
            threads.setdefault(name, set()).add(threading.get_ident())
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, call)

    watched(removal_module, "encode_within_bytes")
    watched(removal_module, "decode_image")
    watched(jobs_module, "request_key")
    watched(originals_module, "request_key")
    emulator.behaviour.job_seconds = 0
    loop_thread = threading.get_ident()  # asyncio.run runs the loop in this thread
    images = image_tensor(photo_with_object(90, 120, 1), photo_with_object(90, 120, 2))
    run(remove_by_text(images, "sofa", wait=True, timeout=60, ctx=RunContext(),
                       settings=settings))
    assert set(threads) == {"encode_within_bytes", "decode_image", "request_key"}
    assert all(loop_thread not in used for used in threads.values()), threads
