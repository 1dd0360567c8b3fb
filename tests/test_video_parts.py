"""The video path's parts on real photos: the camera's motion, shots, the robust blend,
narrow gaps, and how few keyframes cover what no frame shows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from video_clips import as_images, small_clip

from object_removal.video.camera_path import CameraPath, CameraTracker, map_points
from object_removal.video.keyframes import Unseen, choose_keyframes
from object_removal.video.motion import align, grey_for_motion
from object_removal.video.narrow_gaps import fill_from_around, split_narrow
from object_removal.video.propagation import robust_blend, search_order

SIZE = (180, 320)


def corner_error(found: np.ndarray, truth: np.ndarray, size=SIZE) -> float:
    height, width = size
    xs = np.array([0, width - 1, width - 1, 0, width / 2])
    ys = np.array([0, 0, height - 1, height - 1, height / 2])
    fx, fy = map_points(found, xs, ys)
    tx, ty = map_points(truth, xs, ys)
    return float(np.hypot(fx - tx, fy - ty).max())


def two_frames(camera: str, apart: int = 2):
    """Frames 0 and `apart` of a 16-frame clip (its whole move is a quarter of the
    picture, or a quarter more zoom, or 4 degrees), and the true motion between them."""
    clip = small_clip("object", camera, frames=16, size=SIZE)
    from video_scenes import _enlarged, camera_path, photo

    world = _enlarged(photo("coffee"), round(SIZE[0] * 1.45), round(SIZE[1] * 1.45))
    cameras = camera_path(camera, 16, tuple(world.shape[1:]), SIZE)
    truth = cameras[apart] @ np.linalg.inv(cameras[0])  # frame 0's pixels to the other's
    frames = as_images(clip.frames)
    holes = [torch.from_numpy(h) for h in clip.holes]
    return (grey_for_motion(frames[0], holes[0]), grey_for_motion(frames[apart], holes[apart]),
            truth)


@pytest.mark.parametrize("camera", ["pan", "zoom", "rotate"])
def test_the_cameras_motion_is_found_to_a_fraction_of_a_pixel(camera):
    """Two frames apart, a real object (masked) moving across, no guess to start from."""
    first, last, truth = two_frames(camera)
    found = align(first, last, SIZE)
    assert found.fits
    assert corner_error(found.homography, truth) < 0.2
    assert abs(found.gain - 1) < 0.01


def test_an_exposure_change_is_measured():
    first, last, truth = two_frames("pan")
    darker = (last[0] * 0.8, last[1])
    found = align(first, darker, SIZE)
    assert corner_error(found.homography, truth) < 0.3
    assert found.gain == pytest.approx(0.8, abs=0.01)


def test_another_scene_does_not_fit():
    first = small_clip("object", "still", frames=2, size=SIZE, index=0)
    other = small_clip("object", "still", frames=2, size=SIZE, index=1)  # another photo
    a = grey_for_motion(as_images(first.frames)[0], None)
    b = grey_for_motion(as_images(other.frames)[0], None)
    assert not align(a, b, SIZE).fits
    assert align(a, a, SIZE).fits


def test_a_cut_starts_a_new_shot_and_nothing_maps_across_it():
    first = small_clip("object", "pan", frames=6, size=SIZE, index=0)
    other = small_clip("object", "pan", frames=5, size=SIZE, index=1)
    frames = as_images(np.concatenate([first.frames, other.frames]))
    holes = np.concatenate([first.holes, other.holes])
    tracker = CameraTracker(SIZE)
    for frame, hole in zip(frames, holes, strict=True):
        tracker.add(grey_for_motion(frame, torch.from_numpy(hole)))
    path = tracker.path
    assert path.shots == (0,) * 6 + (1,) * 5
    assert list(path.shot_frames(7)) == list(range(6, 11))
    assert not path.same_shot(5, 6)
    assert search_order(7, path.shot_frames(7)) == [8, 6, 9, 10]  # ends included


def test_the_search_goes_nearest_first_then_thins_out_and_ends_at_the_shots_ends():
    order = search_order(40, range(0, 100))
    assert order[:4] == [41, 39, 42, 38]
    distances = [abs(f - 40) for f in order[:-1]]
    assert distances == sorted(distances)
    assert set(range(1, 9)) <= set(distances) and 9 not in distances
    assert max(b - a for a, b in zip(distances, distances[1:], strict=False)) <= 4
    assert len(order) < 50  # not all 99 others
    # what a pan hides longest only the shot's last (or first) frames show: searched
    assert order[-1] == 99 and 0 in order
    assert search_order(0, range(0, 48))[-1] == 47


def test_the_blend_is_the_mean_of_the_middle_values():
    nan = float("nan")
    found = torch.tensor([
        [1, nan, nan, nan, nan],
        [1, 3, nan, nan, nan],
        [1, 100, 2, nan, nan],       # an outlier is dropped
        [1, 2, 4, 100, nan],
        [0, 1, 2, 3, 250],           # middle three
        [nan, nan, nan, nan, nan],   # nothing found
    ], dtype=torch.float32)[:, :, None].repeat(1, 1, 3)
    taken = torch.tensor([1, 2, 3, 4, 5, 0])
    blended = robust_blend(found, taken)[:, 0]
    assert blended[:5].tolist() == [1, 2, 2, 3, 2]
    assert torch.isnan(blended[5])


def test_narrow_gaps_are_filled_from_around_and_wide_ones_left():
    unseen = np.zeros((60, 80), bool)
    unseen[10:50, 0:2] = True            # a 2 px strip along the left edge
    yy, xx = np.mgrid[0:60, 0:80]
    unseen |= (yy - 30) ** 2 + (xx - 50) ** 2 <= 12**2  # a disc of radius 12
    narrow, wide = split_narrow(unseen)
    assert narrow[10:50, 0:2].all() and not wide[:, :2].any()
    assert wide[30, 50] and wide[30, 40]
    picture = torch.zeros(60, 80, 3)
    picture[:] = torch.tensor([0.2, 0.5, 0.8])
    picture[torch.from_numpy(unseen)] = 1.0  # what was there (the object) is never used
    left = fill_from_around(picture, narrow, unknown=unseen)
    assert not left.any()
    assert torch.allclose(picture[torch.from_numpy(narrow)], torch.tensor([0.2, 0.5, 0.8]))
    assert bool((picture[torch.from_numpy(wide)] == 1.0).all())  # left for a keyframe


def test_a_logo_on_a_still_shot_needs_one_keyframe_per_reach():
    frames, size = 30, (40, 60)
    ys, xs = np.mgrid[10:20, 20:40]
    unseen = {t: Unseen(ys.ravel(), xs.ravel()) for t in range(frames)}
    still = CameraPath(tuple(np.eye(3) for _ in range(frames)), np.ones(frames),
                       (0,) * frames)
    assert len(choose_keyframes(unseen, still, size, reach=48)) == 1
    chosen = choose_keyframes(unseen, still, size, reach=5)
    assert len(chosen) == 3  # each serves 11 frames: 30 need three
    assert all(any(abs(t - k) <= 5 for k in chosen) for t in range(frames))


def test_unseen_ground_that_moves_on_needs_keyframes_along_the_way_and_no_more():
    """The camera pans 5 px a frame; every frame misses a 10 px wide spot of new ground
    at the same place on screen: a keyframe's fill serves only its neighbours (the spot
    moves out of it), so a keyframe every two or three frames; each point can be served
    by at most 9 of a keyframe's, so 60 points need at least 7."""
    frames, size = 20, (40, 200)
    pan = tuple(np.array([[1, 0, 5.0 * t], [0, 1, 0], [0, 0, 1]]) for t in range(frames))
    path = CameraPath(pan, np.ones(frames), (0,) * frames)
    ys, xs = np.mgrid[10:20, 20:30]
    unseen = {t: Unseen(ys.ravel(), xs.ravel()) for t in range(frames)}
    chosen = choose_keyframes(unseen, path, size, reach=48)
    assert 7 <= len(chosen) <= 10
    assert all(b - a <= 3 for a, b in zip(chosen, chosen[1:], strict=False))
