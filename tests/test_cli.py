"""The command line: the nodes' code on files, offline and against the emulator."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from object_removal.cli import main, read_mask
from object_removal.compositing import grow_mask
from support import photo_like

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "room.png"
SAMPLE_MASK = REPO / "samples" / "room_mask.png"


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_the_readme_command_removes_the_ball_offline(tmp_path):
    """`remove_objects.py local` on the bundled sample, as a new user runs it."""
    out = tmp_path / "room.png"
    done = subprocess.run(
        [sys.executable, str(REPO / "remove_objects.py"), "local", str(SAMPLE),
         "--mask", str(SAMPLE_MASK), "-o", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    before, after = pixels(SAMPLE), pixels(out)
    assert after.shape == before.shape
    hole = pixels(SAMPLE_MASK)[..., 0] > 127
    # The red ball is gone: hardly any of its red is left where it was.
    assert is_red(before)[hole].mean() > 0.5
    assert is_red(after)[hole].mean() < 0.01
    far = ~grow_mask(torch.from_numpy(hole), 15 + 8).numpy()
    assert np.array_equal(after[far], before[far])


def is_red(rgb: np.ndarray) -> np.ndarray:
    """The ball's pure red (r about 5.75 x g and b), not the bricks' brown (about 2 x)."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return (r > 40) & (r > 3 * g) & (r > 3 * b)


def write(path: Path, array: np.ndarray) -> Path:
    Image.fromarray(array).save(path)
    return path


def test_a_folder_with_a_mask_per_image(tmp_path, capsys):
    images, masks = tmp_path / "in", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for name, seed in (("a", 1), ("b", 2)):
        write(images / f"{name}.png", photo_like(64, 96, seed))
        mask = np.zeros((64, 96), np.uint8)
        mask[20:40, 30:60] = 255
        write(masks / f"{name}.png", mask)
    code = main(["local", str(images), "--mask", str(masks), "-o", str(tmp_path / "out"),
                 "--dilate-size", "2"])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert "2/2" in capsys.readouterr().err  # the progress bar reached the end


def test_remote_providers_through_the_emulator(tmp_path, settings, emulator):
    image = write(tmp_path / "photo.png", photo_like(80, 120))
    mask = np.zeros((80, 120), np.uint8)
    mask[30:50, 40:80] = 255
    mask_path = write(tmp_path / "mask.png", mask)
    assert main(["ailab", str(image), "--mask", str(mask_path), "-o", str(tmp_path)]) == 0
    assert pixels(tmp_path / "photo.png").shape == (80, 120, 3)
    assert len(emulator.requests("ailab")) == 1

    emulator.behaviour.job_seconds = 0.3
    out = tmp_path / "text.png"
    assert main(["modelslab", str(image), "--object", "lamp", "-o", str(out)]) == 0
    assert pixels(out).shape == (80, 120, 3)
    assert len(emulator.requests("ml_submit")) == 1


def test_errors_are_one_clear_line_without_a_traceback(tmp_path, capsys):
    image = write(tmp_path / "photo.png", photo_like(80, 120))
    assert main(["local", str(image)]) == 1
    assert "needs --mask" in capsys.readouterr().err
    assert main(["modelslab", str(image)]) == 1
    assert "needs --mask (a file or a folder) or --object" in capsys.readouterr().err
    assert main(["local", str(tmp_path / "missing.png"), "--mask", str(image)]) == 1
    assert "no such image" in capsys.readouterr().err
    mask = write(tmp_path / "mask.png", np.full((80, 120), 255, np.uint8))
    assert main(["ailab", str(image), "--mask", str(mask)]) == 1
    assert "AILAB_API_KEY" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["grey", "alpha"])
def test_mask_files_white_or_transparent_mean_remove(tmp_path, kind):
    if kind == "grey":
        array = np.zeros((4, 4), np.uint8)
        array[1, 2] = 255
        path = write(tmp_path / "m.png", array)
    else:
        rgba = np.full((4, 4, 4), 255, np.uint8)
        rgba[1, 2, 3] = 0
        path = write(tmp_path / "m.png", rgba)
    mask = read_mask(path)
    assert mask[1, 2] == 1.0 and mask.sum() == 1.0
