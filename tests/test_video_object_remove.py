"""Video Object Remove end to end, on small clips made from real photos (the benchmark's
clip maker), against the provider emulator over HTTP: what the frames show is filled
from them, what none shows costs one call per keyframe, announced before it, held
against the budget, and never paid twice."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from video_clips import as_images, as_masks, psnr, small_clip, to_u8

from object_removal.errors import Cancelled, ObjectRemovalError
from object_removal.run_context import RunContext
from object_removal.video import clip as clip_module
from object_removal.video.parameters import VideoInputs
from object_removal.video.removal import VideoRemovalOptions, remove_from_clip
from support import node_class, pack_module, run

VideoObjectRemove = node_class("VideoObjectRemove")
NodeError = pack_module("object_removal.errors").ObjectRemovalError


def remove(images, masks, provider="ailab", statuses=None, budget=None, **inputs):
    ctx = RunContext(on_status=(statuses.append if statuses is not None else None))
    options = VideoRemovalOptions(provider=provider, budget=budget,
                                  inputs=VideoInputs(dilate_size=4, **inputs))
    return run(remove_from_clip(images, masks, options, ctx)), ctx


def test_a_still_shot_gets_its_true_background_back_from_the_other_frames(settings, emulator):
    clip = small_clip("object", "still")
    images = as_images(clip.frames)
    result, ctx = remove(images, as_masks(clip.masks))
    out = to_u8(result.images)
    assert result.images.shape == images.shape and result.mask.shape == clip.masks.shape
    changed = result.mask.numpy() > 0
    assert np.array_equal(changed, clip.holes)  # the masks grown by dilate_size
    # outside the grown masks: the input, bit for bit
    assert torch.equal(result.images[~torch.from_numpy(changed)],
                       images[~torch.from_numpy(changed)])
    # the object moves, so every frame's hole was seen elsewhere: the exact background
    assert psnr(out, clip.truth, clip.holes) > 45
    assert emulator.requests() == []  # nothing left to generate: nothing sent
    assert ctx.spend.paid_calls == 0


def test_a_panning_shot_is_filled_from_the_frames_that_show_it(settings, emulator):
    clip = small_clip("object", "pan", frames=20)
    result, _ = remove(as_images(clip.frames), as_masks(clip.masks))
    assert psnr(to_u8(result.images), clip.truth, clip.holes & clip.seen_elsewhere) > 33
    assert len(emulator.requests("ailab")) <= 1


def test_exposure_flicker_is_evened_out(settings, emulator):
    clip = small_clip("object", "still", "exposure", index=1)
    result, _ = remove(as_images(clip.frames), as_masks(clip.masks))
    # each frame's fill is as bright as that frame, not as the ones it came from
    assert psnr(to_u8(result.images), clip.truth, clip.holes) > 38


def test_a_fixed_logo_costs_one_call_announced_before_it_and_is_steady(settings, emulator):
    clip = small_clip("overlay", "still", index=1)
    one_mask = as_masks(clip.masks[:1])  # one drawn mask for every frame
    statuses: list[str] = []
    result, ctx = remove(as_images(clip.frames), one_mask, statuses=statuses)
    (request,) = emulator.requests("ailab")
    announced = next(i for i, s in enumerate(statuses) if "paid call" in s)
    assert statuses[announced] == "ailab: 1 paid call for 16 frames (1 keyframe)"
    assert any("keyframe 1 of 1" in s for s in statuses[announced + 1:])
    assert ctx.spend.paid_calls == 1 and ctx.spend.credits == 20
    # the same generated fill in every frame: nothing flickers on a still shot
    out = result.images.numpy()
    hole = clip.holes[0]
    assert np.abs(np.diff(out[:, hole], axis=0)).max() < 0.01 / 255  # float rounding only
    assert not np.allclose(out[0][hole], clip.frames[0][hole] / 255, atol=0.05)


def test_running_the_same_clip_again_pays_nothing(settings, emulator):
    clip = small_clip("overlay", "still", index=1)
    images, masks = as_images(clip.frames), as_masks(clip.masks)
    first, _ = remove(images, masks, seed=5)
    statuses: list[str] = []
    again, ctx = remove(images, masks, seed=5, statuses=statuses)
    assert len(emulator.requests("ailab")) == 1
    assert "ailab: 0 paid calls for 16 frames (1 keyframe)" in statuses
    assert ctx.spend.paid_calls == 0 and ctx.spend.reused == 1
    assert torch.equal(first.images, again.images)
    # seed -1 asks for new fills: paid again
    remove(images, masks, seed=-1)
    assert len(emulator.requests("ailab")) == 2


def test_the_node_tells_comfyui_a_random_seed_changes_its_output():
    """ComfyUI answers from its own cache while IS_CHANGED returns the same as before."""
    changed = VideoObjectRemove.IS_CHANGED
    assert changed(seed=-1) != changed(seed=-1)
    assert changed(seed=5) == changed(seed=5) == changed(seed=0)
    assert changed(seed=None) == changed(seed=None)  # a linked seed: ComfyUI's cache holds
    # ComfyUI passes every widget it has, and links as None.
    assert changed(images=None, mask=None, provider="local", dilate_size=10, seed=5,
                   fill_reach=48, unique_id="3") == changed(seed=5)


def test_the_budget_refuses_a_clip_before_anything_is_sent(settings, emulator):
    clip = small_clip("overlay", "still", index=1)
    with pytest.raises(ObjectRemovalError, match="budget of 10 credits.*nothing was sent"):
        remove(as_images(clip.frames), as_masks(clip.masks), budget=10)
    assert emulator.requests() == []


def test_an_empty_mask_sends_nothing_and_needs_no_key(emulator):
    clip = small_clip("object", "still")
    images = as_images(clip.frames)
    statuses: list[str] = []
    result, _ = remove(images, torch.zeros(1, *clip.frames.shape[1:3]), statuses=statuses)
    assert torch.equal(result.images, images) and result.images is not images
    assert float(result.mask.sum()) == 0
    assert statuses == ["nothing to remove: the mask is empty"]
    assert emulator.requests() == []


def test_cancel_stops_the_clip_within_a_frame(settings, emulator):
    clip = small_clip("object", "pan")
    seen_after_cancel = []

    def progress(done: float, total: float) -> None:
        if ctx.cancel_requested():
            seen_after_cancel.append(done)
        elif done >= 5:
            ctx.cancel()

    ctx = RunContext(on_progress=progress)
    options = VideoRemovalOptions(provider="ailab", inputs=VideoInputs(dilate_size=4))
    with pytest.raises(Cancelled):
        run(remove_from_clip(as_images(clip.frames), as_masks(clip.masks), options, ctx))
    assert seen_after_cancel == []  # not one more frame's work was reported
    assert emulator.requests() == []


def test_a_scene_cut_is_not_bridged(settings, emulator):
    first = small_clip("object", "still", frames=10, index=0)
    second = small_clip("object", "still", frames=10, index=1)
    frames = np.concatenate([first.frames, second.frames])
    masks = np.concatenate([first.masks, second.masks])
    truth = np.concatenate([first.truth, second.truth])
    holes = np.concatenate([first.holes, second.holes])
    result, _ = remove(as_images(frames), as_masks(masks))
    # filled from each shot's own frames (from the other shot it would be another photo)
    assert psnr(to_u8(result.images), truth, holes) > 40


@pytest.mark.parametrize("problem,expected", [
    ("counts", "got 16 frames and 3 masks"),
    ("shape", "another shape"),
    ("nan", "NaN"),
    ("memory", "needs about .* GB of memory"),
])
def test_bad_input_is_a_clear_error_naming_the_node(emulator, monkeypatch, problem, expected):
    clip = small_clip("object", "still")
    images, masks = as_images(clip.frames), as_masks(clip.masks)
    if problem == "counts":
        masks = masks[:3]
    elif problem == "shape":
        masks = torch.ones(16, 50, 50)
    elif problem == "nan":
        images = images.clone()
        images[3, 10, 10, 0] = float("nan")
    else:
        pack_clip = pack_module("object_removal.video.clip")
        monkeypatch.setattr(pack_clip, "available_bytes", lambda: 1 << 20)
    with pytest.raises(NodeError, match=expected) as caught:
        run(VideoObjectRemove().remove(images, masks, "ailab", 4, 0, 48))
    assert str(caught.value).startswith("Video Object Remove: ")
    assert emulator.requests() == []


def test_the_memory_needed_is_the_output_and_the_holes_and_little_more():
    """81 frames at 1280x720: the output copy (0.9 GB), the per-frame holes, the mask
    output and the working margin stay under twice the clip's float tensor."""
    clip_bytes = 81 * 720 * 1280 * 3 * 4
    needed = clip_module.needed_bytes(81, 720, 1280, per_frame_masks=True)
    assert clip_bytes < needed < 2 * clip_bytes


def test_the_node_returns_frames_and_mask(settings, emulator):
    clip = small_clip("object", "still")
    images, mask = run(VideoObjectRemove().remove(
        as_images(clip.frames), as_masks(clip.masks), "local", 4, 0, 48))
    assert images.shape == clip.frames.shape and mask.shape == clip.masks.shape
    assert emulator.requests() == []
