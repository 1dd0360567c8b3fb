"""The offline provider's LaMa path (with a tiny TorchScript stand-in for the weights),
the crop/stitch helpers and the PatchMatch path's helpers, on real pixels."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from inpaint_scenes import (  # noqa: F401 (fixtures; fresh_probes is autouse)
    ENV_VAR,
    OBJECT_COLOUR,
    assert_outside_untouched,
    disc,
    fresh_probes,
    hole_interior,
    psnr,
    striped,
)

from object_removal.inpainting import (
    ModelLoadError,
    inpaint_locally,
    learned_models,
    local_backend_name,
    patchmatch_backend,
    smoothing,
    surroundings,
)
from object_removal.inpainting.crop_stitch import (
    crop_box_around,
    hole_bbox,
    hole_clusters,
    paste_hole,
)
from object_removal.inpainting.model_files import find_model_file

# torch 2.13 deprecates TorchScript, but LaMa's big-lama.pt is TorchScript: the stand-in
# model must be one too.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*:DeprecationWarning")

def find_lama_weights() -> Path | None:
    return find_model_file("lama")


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


def backdrop_with_a_face(face_gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grey backdrop with a skin-coloured disc (the "face") `face_gap` px left of a
    large square hole; (rgb, hole, face)."""
    rgb = np.full((300, 400, 3), 150, np.uint8)
    rgb += np.random.default_rng(0).integers(0, 12, rgb.shape, dtype=np.uint8)  # grain
    face = disc((300, 400), 150, 150 - face_gap, 60)
    rgb[face] = (224, 172, 140)
    hole = np.zeros((300, 400), bool)
    hole[60:240, 210:390] = True  # radius of its area 102 px: a band of 2 radii would reach it
    return rgb, hole, face


def sources_of(rgb: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(colour classes, allowed sources) as the PatchMatch path computes them."""
    smooth = surroundings.smoothed_known(rgb, hole)
    classes = surroundings.colour_classes(smooth, hole)
    return classes, surroundings.allowed_sources(rgb, classes, hole)


def test_only_the_surface_around_the_hole_may_be_copied():
    rgb, hole, face = backdrop_with_a_face(face_gap=25)  # its edge 25 px from the hole
    _, allowed = sources_of(rgb, hole)
    # behind its edge, though well within reach (its outermost pixels, blurred into
    # the backdrop, may be reached)
    assert not allowed[smoothing.erode(face, 1)].any()
    assert not allowed[hole].any()
    backdrop_within_a_radius = smoothing.dilate(hole, 100) & ~hole & ~smoothing.dilate(face, 3)
    assert allowed[backdrop_within_a_radius].mean() > 0.98


def test_a_face_holding_a_fair_share_of_the_ring_is_a_source_continued_only_near_it():
    rgb, hole, face = backdrop_with_a_face(face_gap=-55)  # the disc reaches into the ring
    face &= ~hole
    classes, allowed = sources_of(rgb, hole)
    assert allowed[face].mean() > 0.99  # it holds 16 % of the ring: a surface around the hole
    structure = surroundings.hole_classes(classes, hole)
    skin = classes[face].max()
    # the structure layer continues the face only near where it touches the hole
    assert 0 < (structure[hole] == skin).mean() < 0.2


def test_a_neighbour_touching_a_short_stretch_of_the_ring_is_not_a_source():
    rgb, hole, _ = backdrop_with_a_face(face_gap=300)  # no face near
    neighbour = disc(hole.shape, 150, 205, 14) & ~hole  # touches the hole's left side
    rgb[neighbour] = (40, 30, 160)
    _, allowed = sources_of(rgb, hole)
    ring = surroundings.outer_ring(hole)
    assert 0 < (ring & neighbour).sum() < 0.1 * ring.sum()
    assert not allowed[neighbour].any()
    assert allowed[ring & ~smoothing.dilate(neighbour, 3)].all()


def test_each_part_of_the_hole_has_its_own_surroundings():
    rgb, hole, _ = backdrop_with_a_face(face_gap=300)  # a large hole in the grey backdrop
    rgb[:, :120] = (40, 60, 170)  # a blue panel on the left
    small = disc(hole.shape, 150, 60, 6)  # a small second part, inside the blue
    hole |= small
    _, allowed = sources_of(rgb, hole)
    ring = surroundings.outer_ring(hole)
    assert (ring & smoothing.dilate(small, 3)).sum() < 0.1 * ring.sum()
    around_small = smoothing.dilate(small, 12) & ~small
    assert allowed[around_small].all()  # the blue is what surrounds that part


def test_sources_reach_a_few_hole_radii_along_the_surface():
    rgb = np.full((120, 1600, 3), 150, np.uint8)
    rgb += np.random.default_rng(1).integers(0, 12, rgb.shape, dtype=np.uint8)
    hole = disc(rgb.shape[:2], 60, 100, 30)
    _, allowed = sources_of(rgb, hole)
    reach = surroundings.REACH * surroundings.hole_radius(hole)
    columns = np.flatnonzero(allowed.any(axis=0))
    assert allowed[:, 100 + 30 + 5].all()
    assert 100 + 30 + 0.8 * reach < columns.max() < 100 + 30 + 1.2 * reach


def test_the_structure_layer_joins_a_horizon_across_the_hole():
    rgb = np.zeros((200, 300, 3), np.uint8)
    rgb[:110] = (90, 140, 220)  # sky above y = 110
    rgb[110:] = (70, 120, 40)  # grass below
    hole = disc((200, 300), 100, 150, 50)
    classes, _ = sources_of(rgb, hole)
    structure = surroundings.hole_classes(classes, hole)
    sky, grass = classes[10, 10], classes[190, 10]
    assert sky != grass
    rows = np.arange(200)[:, None].repeat(300, axis=1)
    # the border between them crosses the hole within a few pixels of where it was
    assert (structure[hole & (rows < 104)] == sky).mean() > 0.95
    assert (structure[hole & (rows > 116)] == grass).mean() > 0.95


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


def test_the_photo_fill_moves_its_shading_only_part_of_the_way():
    """Across a large hole the smooth interpolation blends whatever borders it (here a
    bright block on one side of a dark sky) into a lighter disc: the PatchMatch path
    moves the fill's shading only SHADING_SHARE of the way towards it."""
    share = patchmatch_backend.SHADING_SHARE
    assert 0 < share < 1
    sky = np.full((240, 240, 3), 40, np.uint8)
    hole = disc((240, 240), 120, 120, 80)
    picture = sky.copy()
    picture[90:150, :44] = 250  # the bright neighbour, touching the hole's ring
    fill = np.where(hole[..., None], sky, picture)  # the right fill: more dark sky
    full = patchmatch_backend.match_low_frequencies(fill, picture, hole)
    part = patchmatch_backend.match_low_frequencies(fill, picture, hole, 1.0, share)
    lift_full = full[hole].astype(float).mean() - 40
    lift_part = part[hole].astype(float).mean() - 40
    assert lift_full > 10  # the interpolation's disc is there to avoid
    assert abs(lift_part - share * lift_full) < 1.5
    assert np.array_equal(part[~hole], picture[~hole])
