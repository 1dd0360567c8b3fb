"""The offline provider on real pixels: PatchMatch and Telea, the backend choice, and
holes and images of every shape. LaMa with a stand-in model and the helpers are in
test_inpaint_lama_and_helpers.py; the learned models' real architectures in
test_learned_models.py.

Nothing here mocks an algorithm; only the availability of packages is simulated.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from inpaint_scenes import (  # noqa: F401 (fixtures; fresh_probes is autouse)
    ENV_VAR,
    assert_outside_untouched,
    disc,
    disc_scene,
    fresh_probes,
    object_pixels_left,
    psnr,
    striped,
    with_object,
)

from object_removal.errors import ObjectRemovalError
from object_removal.inpainting import (
    LocalInpaintUnavailable,
    inpaint_locally,
    local_backend_name,
    patchmatch_backend,
    reset_backend_probes,
)
from object_removal.inpainting.native_patchmatch import load_native
from object_removal.inpainting.telea_backend import RADIUS
from object_removal.inpainting.work_units import units_started

# --- PatchMatch ---------------------------------------------------------------------------


def test_the_default_backend_is_the_best_that_can_run():
    # PatchMatch needs scipy (ComfyUI ships it); without it Telea is the best left.
    expected = "patchmatch" if patchmatch_backend.patchmatch_available() else "telea"
    assert local_backend_name() == expected


def test_patchmatch_removes_disc_from_stripes(disc_scene):
    clean, image, hole = disc_scene
    image_before, hole_before = image.copy(), hole.copy()

    result = inpaint_locally(image, hole, seed=0)

    assert_outside_untouched(result, image, hole)
    # 24.4 dB measured for seeds 0-2 alike (a fill shifted by one stripe scores 13 dB)
    assert psnr(result, clean, hole) >= 22
    assert object_pixels_left(result) == 0
    assert np.array_equal(image, image_before) and np.array_equal(hole, hole_before)


def test_patchmatch_same_seed_same_output(disc_scene):
    _, image, hole = disc_scene
    first = inpaint_locally(image, hole, seed=7, backend="patchmatch")
    second = inpaint_locally(image, hole, seed=7, backend="patchmatch")
    assert np.array_equal(first, second)


def test_patchmatch_seeds_hold_across_threads():
    """The native seed is global: concurrent calls must still each get their own seed."""
    clean = striped(160, 200)
    hole = disc((160, 200), 80, 100, 30)
    image = with_object(clean, hole)
    seeds = [1, 2, 3, 4]
    alone = [inpaint_locally(image, hole, seed=s) for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda s: inpaint_locally(image, hole, seed=s), seeds))
    assert all(np.array_equal(a, b) for a, b in zip(alone, together, strict=True))


def test_patchmatch_random_seed_runs(disc_scene):
    _, image, hole = disc_scene
    result = inpaint_locally(image, hole, seed=-1)
    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0


def test_patchmatch_at_reduced_scale(monkeypatch, disc_scene):
    """Crops above WORK_PIXELS are filled small; outside the hole stays exact."""
    clean, image, hole = disc_scene
    monkeypatch.setattr(patchmatch_backend, "WORK_PIXELS", 20_000)  # scale 0.5
    monkeypatch.setattr(patchmatch_backend, "REGULAR_WORK_PIXELS", 20_000)  # stripes' too
    result = inpaint_locally(image, hole, seed=0, backend="patchmatch")
    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0
    assert psnr(result, clean, hole) >= 14  # 17-18 dB measured: stripes blur at half size


def test_a_thin_hole_gets_a_larger_working_size():
    """A disc is filled at WORK_PIXELS; a tree trunk or a cable, whose width a reduced
    scale would shrink to a few pixels, at up to MAX_THIN_FACTOR times that."""
    base = patchmatch_backend.WORK_PIXELS
    assert patchmatch_backend.work_pixels(disc((300, 300), 150, 150, 60)) == base
    band = np.zeros((300, 300), bool)
    band[20:280, 142:158] = True  # 16 px wide, 260 px tall
    assert patchmatch_backend.work_pixels(band) == round(
        base * patchmatch_backend.MAX_THIN_FACTOR)
    assert patchmatch_backend.work_pixels(np.zeros((30, 30), bool)) == base


def test_a_thin_hole_keeps_the_grain_of_its_surroundings(monkeypatch):
    """Filled at a reduced scale, a thin band in fine grain comes back as a blurred
    stripe; at the larger working size a thin hole gets, more of the grain stays."""
    if load_native() is None:
        pytest.skip("the working size is pypatchmatch's; the numpy PatchMatch has its own")
    rng = np.random.default_rng(0)
    grain = rng.normal(0, 1, (300, 300)).astype(np.float32)
    grain = grain[:-1, :-1] + grain[1:, :-1] + grain[:-1, 1:] + grain[1:, 1:]  # 2 px grain
    picture = np.clip(128 + 40 * grain / grain.std(), 0, 255).astype(np.uint8)
    picture = np.repeat(picture[..., None], 3, axis=2)
    hole = np.zeros(picture.shape[:2], bool)
    hole[20:280, 142:158] = True
    beside = np.zeros_like(hole)
    beside[20:280, 120:180] = True
    beside &= ~hole

    def detail(values: np.ndarray, where: np.ndarray) -> float:
        grey = values.astype(np.float32).mean(axis=2)
        return float((grey - patchmatch_backend.box_blur(grey, 2))[where].std())

    monkeypatch.setattr(patchmatch_backend, "WORK_PIXELS", 20_000)  # the crop at scale ~0.47
    kept = []
    for factor in (1.0, patchmatch_backend.MAX_THIN_FACTOR):
        monkeypatch.setattr(patchmatch_backend, "MAX_THIN_FACTOR", factor)
        result = inpaint_locally(picture, hole, seed=0, backend="patchmatch")
        assert_outside_untouched(result, picture, hole)
        kept.append(detail(result, hole) / detail(picture, beside))
    assert kept[1] > kept[0] + 0.1  # 0.37 against 0.55 measured


def test_without_pypatchmatch_the_numpy_patchmatch_fills(monkeypatch, disc_scene):
    """Where pypatchmatch has no wheel (Python < 3.11, other platforms), or fails to
    load, the PatchMatch path runs its numpy PatchMatch instead of failing."""
    clean, image, hole = disc_scene
    hide_module(monkeypatch, "patchmatch")
    assert load_native() is None
    assert local_backend_name() == "patchmatch"
    started = units_started()
    result = inpaint_locally(image, hole, seed=0)
    assert units_started() - started > 10  # its many PatchMatch rounds, not one native call
    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0
    # 11-12 dB measured: this fallback's stripes lose their phase in places (a fill
    # shifted by one stripe scores 13 dB, the magenta disc 5 dB); the default path's
    # bound is test_patchmatch_removes_disc_from_stripes's.
    assert psnr(result, clean, hole) >= 10


# --- Telea ----------------------------------------------------------------------------------


def test_telea_forced_fills_plausibly(disc_scene):
    clean, image, hole = disc_scene
    result = inpaint_locally(image, hole, backend="telea")

    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0
    # Diffusion cannot continue stripes: 10.3 dB measured, still far above the
    # magenta disc itself, and the fill averages out to the stripes' colours.
    assert psnr(result, clean, hole) >= 9.5
    assert psnr(image, clean, hole) < 6
    assert np.abs(result[hole].mean(axis=0) - clean[hole].mean(axis=0)).max() < 25


def test_telea_restores_smooth_gradient():
    """Where Telea is the right tool: a smooth area comes back almost exactly."""
    y, x = np.mgrid[0:200, 0:300]
    clean = np.stack([x * 255 // 299, y * 255 // 199, (x + y) * 255 // 498], axis=2).astype(
        np.uint8
    )
    hole = disc((200, 300), 100, 150, 30)
    result = inpaint_locally(with_object(clean, hole), hole, backend="telea")
    assert psnr(result, clean, hole) >= 27  # 29.5 dB measured


def test_telea_on_crops_equals_whole_image():
    """The crop margin is wide enough for Telea to give what a whole-image call gives."""
    image = np.random.default_rng(3).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    hole = disc((240, 320), 120, 160, 40) | disc((240, 320), 20, 300, 12)
    whole = cv2.inpaint(image, hole.astype(np.uint8) * 255, RADIUS, cv2.INPAINT_TELEA)
    assert np.array_equal(inpaint_locally(image, hole, backend="telea"), whole)


# --- Backend choice -------------------------------------------------------------------------


def hide_module(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make `import name` raise ImportError, like an uninstalled package."""
    monkeypatch.setitem(sys.modules, name, None)
    reset_backend_probes()


def test_falls_back_to_telea_without_patchmatch(monkeypatch, disc_scene):
    _, image, hole = disc_scene
    hide_module(monkeypatch, "scipy")
    assert local_backend_name() == "telea"
    assert np.array_equal(
        inpaint_locally(image, hole), inpaint_locally(image, hole, backend="telea")
    )


def test_no_backend_says_what_to_install(monkeypatch, disc_scene):
    _, image, hole = disc_scene
    hide_module(monkeypatch, "scipy")
    hide_module(monkeypatch, "cv2")

    with pytest.raises(LocalInpaintUnavailable) as error:
        inpaint_locally(image, hole)
    assert "pip install scipy" in str(error.value)
    assert "pip install opencv-python-headless" in str(error.value)
    with pytest.raises(LocalInpaintUnavailable):
        local_backend_name()


def test_forced_backend_that_cannot_run(monkeypatch, disc_scene):
    _, image, hole = disc_scene
    with pytest.raises(LocalInpaintUnavailable, match=ENV_VAR):
        inpaint_locally(image, hole, backend="lama")
    hide_module(monkeypatch, "scipy")
    with pytest.raises(LocalInpaintUnavailable, match="pip install scipy"):
        inpaint_locally(image, hole, backend="patchmatch")
    with pytest.raises(ValueError, match="unknown backend"):
        inpaint_locally(image, hole, backend="magic")  # type: ignore[arg-type]


# --- Shapes of holes and images, for every built-in backend --------------------------------

BUILT_IN = ["patchmatch", "telea"]


@pytest.mark.parametrize("backend", BUILT_IN)
def test_several_separate_holes(backend):
    clean = striped(300, 400)
    obj = (
        disc((300, 400), 40, 40, 15)
        | disc((300, 400), 250, 350, 20)
        | disc((300, 400), 150, 200, 25)
        | disc((300, 400), 160, 240, 10)
    )
    image = with_object(clean, obj)
    result = inpaint_locally(image, obj, seed=1, backend=backend)
    assert_outside_untouched(result, image, obj)
    assert object_pixels_left(result) == 0


@pytest.mark.parametrize("backend", BUILT_IN)
@pytest.mark.parametrize(
    "box",
    [(0, 40, 0, 60), (100, 160, 340, 400), (260, 300, 0, 400)],
    ids=["corner", "edge", "band"],
)
def test_hole_touching_the_border(backend, box):
    clean = striped(300, 400)
    hole = np.zeros((300, 400), bool)
    y0, y1, x0, x1 = box
    hole[y0:y1, x0:x1] = True
    image = with_object(clean, hole)
    result = inpaint_locally(image, hole, backend=backend)
    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0


@pytest.mark.parametrize("backend", BUILT_IN)
def test_tiny_image(backend):
    clean = striped(30, 40, period=9)
    hole = disc((30, 40), 15, 20, 6)
    image = with_object(clean, hole)
    result = inpaint_locally(image, hole, backend=backend)
    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0


@pytest.mark.parametrize("backend", BUILT_IN)
def test_hole_covering_almost_everything(backend):
    """Only a 2 px frame is left: the hole is filled from it, nothing crashes."""
    clean = striped(64, 80)
    hole = np.ones((64, 80), bool)
    hole[2:-2, 2:-2] = False
    hole = ~hole  # everything but the frame
    image = with_object(clean, hole)
    result = inpaint_locally(image, hole, backend=backend)
    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0
    # both backends blend known pixels, so the fill keeps near the frame's colours
    # (PatchMatch's resampling between scales overshoots by a few levels)
    frame, fill = clean[~hole].astype(int), result[hole].astype(int)
    assert (fill >= frame.min(axis=0) - 16).all() and (fill <= frame.max(axis=0) + 16).all()


@pytest.mark.parametrize("backend", BUILT_IN)
def test_read_only_and_strided_inputs(backend):
    clean = striped(120, 160)
    hole = disc((120, 160), 60, 80, 20)
    image = with_object(clean, hole)
    flipped, flipped_hole = image[:, ::-1], hole[:, ::-1]  # views with negative strides
    flipped.setflags(write=False)
    result = inpaint_locally(flipped, flipped_hole, backend=backend)
    assert_outside_untouched(result, flipped, flipped_hole)
    assert object_pixels_left(result) == 0


def test_hole_covering_everything_is_refused():
    image = striped(20, 20)
    with pytest.raises(ObjectRemovalError, match="whole image"):
        inpaint_locally(image, np.ones((20, 20), bool))


def test_empty_hole_returns_a_copy_without_work(monkeypatch):
    image = striped(50, 60)
    hide_module(monkeypatch, "scipy")
    hide_module(monkeypatch, "cv2")  # no backend at all: proves no work is attempted
    result = inpaint_locally(image, np.zeros((50, 60), bool))
    assert np.array_equal(result, image) and result is not image


def test_non_bool_hole_and_bad_shapes():
    image = striped(50, 60)
    hole = disc((50, 60), 25, 30, 8)
    as_uint8 = inpaint_locally(image, hole.astype(np.uint8) * 255, seed=3)
    assert np.array_equal(as_uint8, inpaint_locally(image, hole, seed=3))
    with pytest.raises(ValueError, match="hole must be"):
        inpaint_locally(image, hole[:, :-1])
    with pytest.raises(ValueError, match="uint8"):
        inpaint_locally(image.astype(np.float32), hole)


