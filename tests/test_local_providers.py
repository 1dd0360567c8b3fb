"""The offline choices of Mask Object Remove: which backend runs, that the status says
so, and that a model is downloaded only when the user chose it by name.

Downloads come from a real HTTP server on 127.0.0.1 (tests/model_server.py): the
catalogue's MI-GAN entry is pointed at it, serving a small TorchScript model with
MI-GAN's calling convention.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import socket

import numpy as np
import pytest
import torch
from model_server import running_server

from object_removal.errors import ObjectRemovalError
from object_removal.inpainting import model_files, reset_backend_probes
from object_removal.mask.parameters import MaskInputs
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask
from object_removal.run_context import RunContext
from support import disc_mask, image_tensor, photo_like, run

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*:DeprecationWarning")


class MidGreyFill(torch.nn.Module):
    """MI-GAN's convention (4 channels in at 512 px, -1..1 out); paints the hole mid-grey."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[2] != 512 or x.shape[3] != 512:
            raise RuntimeError("not at MI-GAN's size")
        return x[:, 1:4]


def midgrey_model_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(MidGreyFill()), buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def fresh_probes():
    reset_backend_probes()
    yield
    reset_backend_probes()


@pytest.fixture
def migan_server(monkeypatch):
    """The catalogue's MI-GAN file served from 127.0.0.1, with its MD5."""
    payload = midgrey_model_bytes()
    with running_server(payload) as server:
        entry = dataclasses.replace(model_files.MODEL_FILES["migan"], url=server.url,
                                    md5=hashlib.md5(payload).hexdigest())
        monkeypatch.setitem(model_files.MODEL_FILES, "migan", entry)
        yield server


def remove(provider: str, statuses: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run Mask Object Remove with `provider` on a photo-like picture; (before, hole, after)."""
    rgb = photo_like(240, 320, seed=4)
    mask = disc_mask(240, 320, 120, 160, 25)
    options = MaskRemovalOptions(provider=provider, inputs=MaskInputs(dilate_size=4, seed=1))
    ctx = RunContext(on_status=statuses.append)
    result = run(remove_by_mask(image_tensor(rgb), mask[None], options, ctx))
    after = (result[0].numpy() * 255).round().astype(np.uint8)
    return rgb, mask.numpy() > 0, after


def test_local_uses_patchmatch_and_says_so_without_downloading(migan_server):
    statuses: list[str] = []
    rgb, hole, after = remove("local", statuses)
    assert statuses[-1] == "local: done with PatchMatch, free"
    assert not np.array_equal(after[hole], rgb[hole])
    assert migan_server.ranges == []  # the default never downloads


ADVICE = "local-lama or local-migan (a one-time download) does better"


def remove_large(provider: str, statuses: list[str]) -> None:
    """A hole of about a fifth of the picture: one PatchMatch is likely to fill poorly."""
    rgb = photo_like(240, 320, seed=4)
    mask = disc_mask(240, 320, 120, 160, 70)
    options = MaskRemovalOptions(provider=provider, inputs=MaskInputs(dilate_size=4, seed=1))
    run(remove_by_mask(image_tensor(rgb), mask[None], options, RunContext(
        on_status=statuses.append)))


def test_a_large_hole_without_a_learned_model_says_which_choice_does_better():
    statuses: list[str] = []
    remove_large("local", statuses)
    assert statuses[-1] == f"local: done with PatchMatch; for a large hole, {ADVICE}, free"
    statuses.clear()
    remove("local", statuses)  # a small hole: nothing to suggest
    assert statuses[-1] == "local: done with PatchMatch, free"


def test_a_hole_between_contrasting_surfaces_says_which_choice_does_better():
    """The moon photo beside a darker copy of itself, a hole of 5 % across the two."""
    data = pytest.importorskip("skimage.data")
    grey = data.moon().astype(np.float32)
    grey[:, 256:] *= 0.3
    rgb = np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)
    mask = disc_mask(512, 512, 256, 256, round((0.05 * 512 * 512 / np.pi) ** 0.5))
    statuses: list[str] = []
    options = MaskRemovalOptions(provider="local", inputs=MaskInputs(dilate_size=4, seed=1))
    run(remove_by_mask(image_tensor(rgb), mask[None], options, RunContext(
        on_status=statuses.append)))
    assert statuses[-1] == (
        f"local: done with PatchMatch; for a hole among contrasting surroundings, {ADVICE}, free")


def test_with_a_learned_model_on_disk_nothing_is_suggested(migan_server, tmp_path):
    statuses: list[str] = []
    remove("local-migan", statuses)  # downloads it
    statuses.clear()
    remove_large("local-patchmatch", statuses)
    assert statuses[-1] == "local-patchmatch: done with PatchMatch, free"


@pytest.mark.parametrize("provider,label", [("local-patchmatch", "PatchMatch"),
                                            ("local-telea", "Telea")])
def test_a_backend_chosen_by_name_runs_and_is_named(provider, label):
    statuses: list[str] = []
    remove(provider, statuses)
    assert statuses[-1] == f"{provider}: done with {label}, free"


def test_choosing_migan_downloads_it_once_then_local_prefers_it(migan_server, tmp_path):
    statuses: list[str] = []
    rgb, hole, after = remove("local-migan", statuses)
    assert any("downloading migan_traced.pt" in s for s in statuses)
    assert statuses[-1] == "local-migan: done with MI-GAN, free"
    assert (tmp_path / "cache" / "models" / "migan_traced.pt").is_file()  # conftest's cache
    inside = ~torch.nn.functional.max_pool2d(
        torch.from_numpy(~hole)[None].float(), 9, 1, 4)[0].numpy().astype(bool)
    assert (after[inside] == 128).all()  # the served model painted the hole

    again: list[str] = []
    remove("local-migan", again)
    assert migan_server.ranges == [None]  # downloaded once
    assert not any("downloading" in s for s in again)

    best: list[str] = []
    remove("local", best)
    assert best[-1] == "local: done with MI-GAN, free"


def test_a_failed_download_says_which_file_to_put_where(monkeypatch, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    entry = dataclasses.replace(model_files.MODEL_FILES["lama"],
                                url=f"http://127.0.0.1:{port}/big-lama.pt")
    monkeypatch.setitem(model_files.MODEL_FILES, "lama", entry)
    with pytest.raises(ObjectRemovalError) as error:
        remove("local-lama", [])
    message = str(error.value)
    assert "big-lama.pt" in message and str(tmp_path / "cache" / "models") in message
    assert "OBJECT_REMOVAL_LAMA_MODEL" in message
