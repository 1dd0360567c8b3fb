"""The learned models' loading and crop code, against their real architectures.

No weights can be downloaded here, so the models are the real networks with random
weights: LaMa from spandrel's architecture (as a state dict, and traced to TorchScript
like IOPaint's big-lama.pt), MI-GAN from its published generator (tests/
migan_architecture.py) traced like IOPaint's migan_traced.pt. What they paint is noise;
what is tested is that each format loads, runs at the right size on crops of real
pixels, and that only hole pixels come back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from migan_architecture import Generator
from PIL import Image
from torchvision_stand_in import install_if_torchvision_is_broken

from object_removal.inpainting import (
    ModelLoadError,
    inpaint_locally,
    local_backend_name,
    reset_backend_probes,
)
from object_removal.inpainting.learned_backend import (
    feather_weights_in_hole,
    fill_window,
    margin_for,
    model_window,
)
from object_removal.inpainting.learned_models import InpaintNet, is_torchscript, load_net

install_if_torchvision_is_broken()
from spandrel.architectures.LaMa import LaMa  # noqa: E402  (needs torchvision importable)

pytestmark = [pytest.mark.filterwarnings("ignore:`torch.jit.*:DeprecationWarning"),
              pytest.mark.timeout(300)]

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "room.png"


@pytest.fixture(autouse=True)
def fresh_models():
    reset_backend_probes()
    yield
    reset_backend_probes()


def room() -> np.ndarray:
    with Image.open(SAMPLE) as image:
        return np.asarray(image.convert("RGB")).copy()


def disc(shape: tuple[int, int], cy: int, cx: int, radius: float) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (y - cy) ** 2 + (x - cx) ** 2 <= radius**2


def interior(hole: np.ndarray) -> np.ndarray:
    return feather_weights_in_hole(hole) == 1


@pytest.fixture(scope="module")
def lama_network() -> LaMa:
    torch.manual_seed(0)
    return LaMa(in_nc=4, out_nc=3).eval()


@pytest.fixture(scope="module")
def lama_files(lama_network, tmp_path_factory) -> dict[str, Path]:
    """The same random LaMa as a .pth state dict, a .safetensors one, and TorchScript."""
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("lama")
    state = lama_network.state_dict()
    torch.save(state, folder / "lama.pth")
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "lama.safetensors"))
    example = (torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64))
    traced = torch.jit.trace(lama_network, example, check_trace=False)
    torch.jit.save(traced, str(folder / "big-lama.pt"))
    return {"pth": folder / "lama.pth", "safetensors": folder / "lama.safetensors",
            "torchscript": folder / "big-lama.pt"}


@pytest.fixture(scope="module")
def migan_file(tmp_path_factory) -> Path:
    """MI-GAN's real 512 px generator (5.97 M parameters, like the published one), traced."""
    torch.manual_seed(1)
    generator = Generator(resolution=512).eval()
    path = tmp_path_factory.mktemp("migan") / "migan_traced.pt"
    traced = torch.jit.trace(generator, torch.randn(1, 4, 512, 512), check_trace=False)
    torch.jit.save(traced, str(path))
    return path


def test_the_formats_are_told_apart(lama_files, migan_file):
    assert is_torchscript(lama_files["torchscript"]) and is_torchscript(migan_file)
    assert not is_torchscript(lama_files["pth"]) and not is_torchscript(lama_files["safetensors"])


@pytest.mark.parametrize("kind", ["pth", "safetensors", "torchscript"])
def test_lama_loads_from_each_format_and_fills_real_pixels(lama_files, kind, monkeypatch):
    monkeypatch.setenv("OBJECT_REMOVAL_LAMA_MODEL", str(lama_files[kind]))
    image = room()
    hole = disc(image.shape[:2], 200, 260, 40)
    assert local_backend_name() == "lama"

    result = inpaint_locally(image, hole)

    assert result.shape == image.shape and result.dtype == np.uint8
    assert np.array_equal(result[~hole], image[~hole])
    assert not np.array_equal(result[interior(hole)], image[interior(hole)])


def test_lama_state_dict_and_torchscript_paint_the_same(lama_files):
    """Both loading paths run the same network: same window in, same pixels out."""
    image = room()[100:292, 150:390]
    hole = disc(image.shape[:2], 96, 120, 30)
    device = torch.device("cpu")
    from_state = fill_window(load_net("lama", lama_files["pth"], device), image, hole)
    from_script = fill_window(load_net("lama", lama_files["torchscript"], device), image, hole)
    assert np.abs(from_state.astype(int) - from_script.astype(int)).max() <= 1


def test_migan_fills_real_pixels_at_its_size(migan_file, monkeypatch):
    monkeypatch.setenv("OBJECT_REMOVAL_MIGAN_MODEL", str(migan_file))
    image = room()
    hole = disc(image.shape[:2], 150, 200, 35) | disc(image.shape[:2], 40, 60, 12)

    result = inpaint_locally(image, hole, backend="migan")

    assert np.array_equal(result[~hole], image[~hole])
    assert not np.array_equal(result[interior(hole)], image[interior(hole)])


def test_a_migan_state_dict_is_refused_with_what_to_use(tmp_path):
    path = tmp_path / "migan_512_places2.pt"
    torch.save({"encoder.b512.fromrgb.weight": torch.zeros(1)}, path)
    with pytest.raises(ModelLoadError) as error:
        load_net("migan", path, torch.device("cpu"))
    assert "TorchScript" in str(error.value) and "migan_traced.pt" in str(error.value)


def test_a_state_dict_of_another_architecture_is_refused(tmp_path):
    path = tmp_path / "lama-not-really.pth"
    torch.save(torch.nn.Conv2d(3, 3, 3).state_dict(), path)
    with pytest.raises(ModelLoadError, match="spandrel"):
        load_net("lama", path, torch.device("cpu"))


# --- crop at native size, paste back only hole pixels ---------------------------------------


class KnownPixelEcho(torch.nn.Module):
    """MI-GAN's calling convention; refuses any size but 512 and returns the known pixels
    it was given (the hole comes back mid-grey)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2] != 512 or x.shape[3] != 512:
            raise RuntimeError("not at MI-GAN's size")
        return x[:, 1:4]


@pytest.fixture
def echo(tmp_path) -> InpaintNet:
    path = tmp_path / "migan_traced.pt"
    torch.jit.save(torch.jit.script(KnownPixelEcho()), str(path))
    return load_net("migan", path, torch.device("cpu"))


def big_photo() -> np.ndarray:
    """A 1500 x 2000 picture made of the sample's real pixels (tiled, flipped)."""
    tile = room()
    row = np.concatenate([tile, tile[:, ::-1]] * 3, axis=1)
    return np.ascontiguousarray(np.concatenate([row, row[::-1]] * 3, axis=0)[:1500, :2000])


def test_a_small_hole_in_a_large_picture_is_seen_at_full_resolution(echo):
    image = big_photo()
    hole = disc(image.shape[:2], 700, 1300, 50)
    box = (650, 751, 1250, 1351)
    y0, y1, x0, x1 = box
    m = margin_for(box)
    top, bottom, left, right = model_window((y0 - m, y1 + m, x0 - m, x1 + m), 512, image.shape)
    assert (bottom - top, right - left) == (512, 512)
    assert top <= y0 - m and bottom >= y1 + m and left <= x0 - m and right >= x1 + m

    crop, crop_hole = image[top:bottom, left:right], hole[top:bottom, left:right]
    out = fill_window(echo, crop, crop_hole)
    # known pixels came back exactly: nothing was scaled, the model saw them 1:1
    assert np.array_equal(out[~crop_hole], crop[~crop_hole])
    assert (out[crop_hole] == 128).all()


def test_the_whole_picture_is_never_squashed_into_the_model(echo, monkeypatch):
    image = big_photo()
    hole = disc(image.shape[:2], 300, 400, 40) | disc(image.shape[:2], 1200, 1700, 40)
    monkeypatch.setenv("OBJECT_REMOVAL_MIGAN_MODEL", str(echo.path))
    result = inpaint_locally(image, hole, backend="migan")
    assert np.array_equal(result[~hole], image[~hole])
    # the echo paints the hole mid-grey; the feathered rim blends into the original
    assert (result[interior(hole)] == 128).all()


def test_a_hole_too_big_for_the_window_is_scaled_down_within_its_crop(echo):
    image = big_photo()
    hole = np.zeros(image.shape[:2], bool)
    hole[400:1000, 600:1300] = True
    box = (400 - 350, 1000 + 350, 600 - 350, 1300 + 350)
    top, bottom, left, right = model_window(box, 512, image.shape)
    assert (bottom - top, right - left) == (1400, 1400)
    crop, crop_hole = image[top:bottom, left:right], hole[top:bottom, left:right]
    out = fill_window(echo, crop, crop_hole)
    assert out.shape == crop.shape
    # scaled to 512 and back: the known pixels are blurred but in place
    assert np.abs(out[~crop_hole].astype(int) - crop[~crop_hole].astype(int)).mean() < 12


def test_a_picture_smaller_than_the_window_is_padded_not_scaled(echo):
    image = room()[:200, :300]
    hole = disc(image.shape[:2], 100, 150, 30)
    window = model_window((0, 200, 0, 300), 512, image.shape)
    assert window == (0, 200, 0, 300)
    out = fill_window(echo, image, hole)
    assert np.array_equal(out[~hole], image[~hole])
