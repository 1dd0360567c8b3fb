"""The offline provider on real pixels: PatchMatch, Telea and the LaMa path (with a tiny
TorchScript stand-in for the weights), the crop/stitch helpers, and the backend choice.
The learned models' real architectures are in test_learned_models.py.

Nothing here mocks an algorithm; only the availability of packages is simulated.
"""

from __future__ import annotations

import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from object_removal.errors import ObjectRemovalError
from object_removal.inpainting import (
    LocalInpaintUnavailable,
    ModelLoadError,
    inpaint_locally,
    learned_models,
    local_backend_name,
    patchmatch_backend,
    reset_backend_probes,
    smoothing,
)
from object_removal.inpainting.crop_stitch import (
    crop_box_around,
    hole_bbox,
    hole_clusters,
    paste_hole,
)
from object_removal.inpainting.learned_backend import feather_weights_in_hole
from object_removal.inpainting.model_files import find_model_file
from object_removal.inpainting.telea_backend import RADIUS

# torch 2.13 deprecates TorchScript, but LaMa's big-lama.pt is TorchScript: the stand-in
# model must be one too.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*:DeprecationWarning")

ENV_VAR = "OBJECT_REMOVAL_LAMA_MODEL"


def find_lama_weights() -> Path | None:
    return find_model_file("lama")


def hole_interior(hole: np.ndarray) -> np.ndarray:
    """The hole less its feathered rim, where a model's fill is pasted unblended."""
    return feather_weights_in_hole(hole) == 1

OBJECT_COLOUR = (255, 0, 255)  # magenta: in none of the backgrounds below
STRIPE_COLOURS = np.array([[200, 60, 40], [40, 120, 200], [230, 220, 90]], np.uint8)


def striped(height: int, width: int, period: int = 18) -> np.ndarray:
    """Diagonal stripes of three colours, crossed by darker horizontal bands every 30 px."""
    y, x = np.mgrid[0:height, 0:width]
    image = STRIPE_COLOURS[((x + y) % period) * 3 // period]
    band = (y % 30) < 8
    image[band] //= 2
    return image


def disc(shape: tuple[int, int], cy: int, cx: int, radius: float) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (y - cy) ** 2 + (x - cx) ** 2 <= radius**2


def psnr(result: np.ndarray, clean: np.ndarray, where: np.ndarray) -> float:
    """PSNR in dB over the pixels `where`, all channels, peak 255."""
    diff = result[where].astype(np.float64) - clean[where].astype(np.float64)
    return float(10 * np.log10(255**2 / max(np.mean(diff**2), 1e-12)))


def with_object(clean: np.ndarray, obj: np.ndarray) -> np.ndarray:
    image = clean.copy()
    image[obj] = OBJECT_COLOUR
    return image


def object_pixels_left(result: np.ndarray) -> int:
    return int((result == OBJECT_COLOUR).all(axis=2).sum())


def assert_outside_untouched(result: np.ndarray, image: np.ndarray, hole: np.ndarray) -> None:
    assert result.shape == image.shape and result.dtype == np.uint8
    assert np.array_equal(result[~hole], image[~hole])


@pytest.fixture(scope="module")
def disc_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """512 x 512 stripes with a solid disc of radius 60; the hole is the disc grown by 4 px."""
    clean = striped(512, 512)
    image = with_object(clean, disc((512, 512), 256, 256, 60))
    return clean, image, disc((512, 512), 256, 256, 64)


@pytest.fixture(autouse=True)
def fresh_probes():
    """Tests that hide packages must not leave a cached answer for the next test."""
    reset_backend_probes()
    yield
    reset_backend_probes()


# --- PatchMatch ---------------------------------------------------------------------------


def test_the_default_backend_is_the_best_that_can_run():
    # pypatchmatch has wheels for Python >= 3.11 only; elsewhere Telea is the best left.
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
    result = inpaint_locally(image, hole, seed=0, backend="patchmatch")
    assert_outside_untouched(result, image, hole)
    assert object_pixels_left(result) == 0
    assert psnr(result, clean, hole) >= 14  # 17-18 dB measured: stripes blur at half size


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
    hide_module(monkeypatch, "patchmatch")
    assert local_backend_name() == "telea"
    assert np.array_equal(
        inpaint_locally(image, hole), inpaint_locally(image, hole, backend="telea")
    )


def test_no_backend_says_what_to_install(monkeypatch, disc_scene):
    _, image, hole = disc_scene
    hide_module(monkeypatch, "patchmatch")
    hide_module(monkeypatch, "cv2")

    with pytest.raises(LocalInpaintUnavailable) as error:
        inpaint_locally(image, hole)
    assert "pip install pypatchmatch" in str(error.value)
    assert "pip install opencv-python-headless" in str(error.value)
    with pytest.raises(LocalInpaintUnavailable):
        local_backend_name()


def test_forced_backend_that_cannot_run(monkeypatch, disc_scene):
    _, image, hole = disc_scene
    with pytest.raises(LocalInpaintUnavailable, match=ENV_VAR):
        inpaint_locally(image, hole, backend="lama")
    hide_module(monkeypatch, "patchmatch")
    with pytest.raises(LocalInpaintUnavailable, match="pip install pypatchmatch"):
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
    hide_module(monkeypatch, "patchmatch")
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


# --- crop_stitch ----------------------------------------------------------------------------


def test_crop_box_around_clips_to_the_image():
    hole = np.zeros((100, 120), bool)
    hole[10:20, 100:110] = True
    assert hole_bbox(hole) == (10, 20, 100, 110)
    assert crop_box_around(hole, 16, hole.shape) == (0, 36, 84, 120)
    assert hole_bbox(np.zeros((5, 5), bool)) is None


def test_hole_clusters_split_far_holes_and_merge_near_ones():
    hole = np.zeros((400, 400), bool)
    hole[10:20, 10:20] = True  # far from the rest
    hole[300:310, 300:310] = True
    hole[300:310, 330:340] = True  # 20 px from its neighbour: same crop
    boxes = sorted(hole_clusters(hole, margin=16))
    assert boxes == [(0, 36, 0, 36), (284, 326, 284, 356)]


def test_hole_clusters_merge_boxes_that_grow_into_each_other():
    hole = np.zeros((400, 400), bool)
    hole[100:200, 10:110] = True  # big hole, wants a big margin
    hole[140:150, 150:160] = True  # 40 px away: separate by the base margin only
    assert len(hole_clusters(hole, margin=10)) == 2
    boxes = hole_clusters(hole, margin=10, margin_rule=lambda box: 50)
    assert boxes == [(50, 250, 0, 210)]


def test_hole_clusters_keep_interlocking_holes_together():
    ring = disc((200, 200), 100, 100, 80) & ~disc((200, 200), 100, 100, 70)
    dot = disc((200, 200), 100, 100, 5)
    assert hole_clusters(ring | dot, margin=4) == [(16, 185, 16, 185)]


def test_paste_hole_writes_only_hole_pixels():
    dst = np.zeros((10, 10, 3), np.uint8)
    hole = np.zeros((10, 10), bool)
    hole[4:6, 4:6] = True
    paste_hole(dst, np.full((6, 6, 3), 9, np.uint8), hole, (2, 8, 2, 8))
    assert dst.sum() == 4 * 3 * 9 and (dst[4:6, 4:6] == 9).all()


# --- LaMa with a stand-in TorchScript model -------------------------------------------------


class MeanFill(torch.nn.Module):
    """Behaves like LaMa at the interface and checks what LaMa requires of its input."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if image.shape[2] % 8 != 0 or image.shape[3] % 8 != 0:
            raise RuntimeError("image not padded to a multiple of 8")
        if max(image.shape[2], image.shape[3]) > 1024:
            raise RuntimeError("crop not scaled down to 1024")
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise RuntimeError("mask is not binary")
        known = 1.0 - mask
        total = (image * known).sum(dim=(2, 3), keepdim=True)
        count = known.sum(dim=(2, 3), keepdim=True).clamp(min=1.0)
        return image * known + total / count * mask


def save_mean_fill(path: Path) -> Path:
    torch.jit.save(torch.jit.script(MeanFill()), str(path))
    return path


@pytest.fixture
def lama_weights(tmp_path, monkeypatch) -> Path:
    path = save_mean_fill(tmp_path / "big-lama.pt")
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


def two_colour_scene(height: int, width: int) -> np.ndarray:
    """Uniform green, with a red block on the right that a small hole's crop must not see."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = (20, 180, 60)
    image[:, width - 100 :] = (220, 30, 30)
    return image


def test_lama_fills_from_the_crop_only(lama_weights):
    image = two_colour_scene(600, 700)
    hole = np.zeros((600, 700), bool)
    hole[100:161, 100:163] = True  # crop 189 x 191: needs padding
    hole[0:30, 300:340] = True  # touches the top border
    image[hole] = OBJECT_COLOUR
    assert local_backend_name() == "lama"

    result = inpaint_locally(image, hole)

    assert_outside_untouched(result, image, hole)
    # the whole image's mean would be tinted by the red block; the crop's mean is green
    assert (result[hole_interior(hole)] == (20, 180, 60)).all()
    # the outer FEATHER pixels blend into what was there (the magenta object, here)
    edge = result[hole & ~hole_interior(hole)].astype(int)
    assert (edge[:, 1] > 0).all() and (edge[:, 1] < 180).all()


def test_lama_scales_down_large_crops(lama_weights):
    image = np.empty((1300, 1100, 3), np.uint8)
    image[:] = (90, 90, 200)
    hole = np.zeros((1300, 1100), bool)
    hole[150:1150, 150:950] = True
    image[hole] = OBJECT_COLOUR

    result = inpaint_locally(image, hole)

    assert_outside_untouched(result, image, hole)
    assert np.abs(result[hole_interior(hole)].astype(int) - (90, 90, 200)).max() <= 1


def test_lama_found_in_comfyui_models_folder(tmp_path, monkeypatch):
    """Unregistered folder names raise in ComfyUI; models/inpaint is then tried directly."""
    folder = tmp_path / "models" / "inpaint"
    folder.mkdir(parents=True)
    (folder / "notes.pt").write_bytes(b"not lama")
    weights = save_mean_fill(folder / "big-lama.pt")
    save_mean_fill(folder / "lama-other.pt")

    def get_folder_paths(name: str) -> list[str]:
        raise KeyError(name)

    fake = types.SimpleNamespace(
        get_folder_paths=get_folder_paths, models_dir=str(tmp_path / "models")
    )
    monkeypatch.setitem(sys.modules, "folder_paths", fake)

    assert find_lama_weights() == weights
    image = two_colour_scene(200, 300)
    hole = disc((200, 300), 100, 80, 20)
    result = inpaint_locally(image, hole)
    assert_outside_untouched(result, image, hole)


def test_lama_weights_named_otherwise_in_a_registered_folder(tmp_path, monkeypatch):
    folder = tmp_path / "lama_models"
    folder.mkdir()
    weights = save_mean_fill(folder / "LaMa_fp32.pt")
    fake = types.SimpleNamespace(
        get_folder_paths=lambda name: [str(folder)] if name == "lama" else []
    )
    monkeypatch.setitem(sys.modules, "folder_paths", fake)
    assert find_lama_weights() == weights


def test_broken_lama_weights_give_a_clear_error(tmp_path, monkeypatch):
    broken = tmp_path / "big-lama.pt"
    broken.write_bytes(b"this is not a TorchScript archive")
    monkeypatch.setenv(ENV_VAR, str(broken))
    image = two_colour_scene(100, 200)
    hole = disc((100, 200), 50, 50, 10)

    with pytest.raises(ModelLoadError) as error:
        inpaint_locally(image, hole)
    message = str(error.value)
    assert str(broken) in message and "TorchScript" in message
    assert len(message.splitlines()) == 1  # not a page of C++ trace


def test_missing_lama_weights_named_in_error(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "big-lama.pt"
    monkeypatch.setenv(ENV_VAR, str(missing))
    assert local_backend_name() == "lama"  # the user asked for it: no silent fallback
    with pytest.raises(ModelLoadError, match="nowhere"):
        inpaint_locally(two_colour_scene(100, 200), disc((100, 200), 50, 50, 10))


class WrongShape(torch.nn.Module):
    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image[:, :1]


def test_model_that_is_not_lama_gives_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "lama-wrong.pt"
    torch.jit.save(torch.jit.script(WrongShape()), str(path))
    monkeypatch.setenv(ENV_VAR, str(path))
    with pytest.raises(ModelLoadError, match="lama-wrong.pt"):
        inpaint_locally(two_colour_scene(100, 200), disc((100, 200), 50, 50, 10))


def test_lama_model_is_loaded_once(lama_weights, monkeypatch):
    image = two_colour_scene(100, 200)
    hole = disc((100, 200), 50, 50, 10)
    inpaint_locally(image, hole)
    loads = []
    real_load = learned_models.load_net
    monkeypatch.setattr(learned_models, "load_net", lambda *a: loads.append(a) or real_load(*a))
    inpaint_locally(image, hole)
    assert loads == []


# --- the PatchMatch path's helpers ----------------------------------------------------------


def test_smooth_fill_keeps_known_pixels_and_continues_a_gradient():
    y, x = np.mgrid[0:120, 0:160].astype(np.float32)
    ramp = np.stack([x, y, x + y], axis=-1)
    hole = disc((120, 160), 60, 80, 25)
    filled = smoothing.smooth_fill(np.where(hole[..., None], 999.0, ramp), ~hole)
    assert np.array_equal(filled[~hole], ramp[~hole])
    assert np.abs(filled[hole] - ramp[hole]).mean() < 6  # a smooth guess, not the 999s


def test_the_source_band_follows_the_hole_size():
    hole = np.zeros((400, 400), bool)
    hole[190:210, 190:210] = True  # radius of its area 11 px: 2 x 11 < the minimum band, 24 px
    far = patchmatch_backend.source_band_mask(hole)
    assert not far[hole].any()
    assert not far[200, 209 + 24] and far[200, 209 + 25]  # the last hole column is 209
    big = np.zeros((400, 400), bool)
    big[100:300, 100:300] = True  # radius 113: band 226 px reaches every corner
    assert not patchmatch_backend.source_band_mask(big).any()


def test_low_frequency_matching_removes_a_colour_cast_but_keeps_texture():
    clean = striped(200, 200)
    hole = disc((200, 200), 100, 100, 40)
    cast = clean.astype(int)
    cast[hole] += 40  # a fill of the right texture in the wrong shade
    fixed = patchmatch_backend.match_low_frequencies(np.clip(cast, 0, 255).astype(np.uint8),
                                                     clean, hole)
    assert np.array_equal(fixed[~hole], clean[~hole])
    assert psnr(fixed, clean, hole) > psnr(np.clip(cast, 0, 255).astype(np.uint8), clean,
                                           hole) + 6
