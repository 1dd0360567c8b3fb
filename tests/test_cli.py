"""The command line: the nodes' code on files, offline and against the emulator."""

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from object_removal.cli import main, read_mask
from object_removal.imaging.compositing import grow_mask
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


def box_mask(folder: Path, height: int = 64, width: int = 96) -> Path:
    """A mask file marking a box in the middle right of a height x width picture."""
    mask = np.zeros((height, width), np.uint8)
    mask[height * 5 // 16:height * 5 // 8, width * 5 // 16:width * 5 // 8] = 255
    return write(folder / "mask.png", mask)


def remove_offline(photo: Path, mask: Path, out: Path) -> int:
    """The command line's exit code for a quick offline removal."""
    return main(["local", str(photo), "--mask", str(mask), "-o", str(out),
                 "--dilate-size", "2"])


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


def test_a_large_offline_hole_names_the_backend_and_what_does_better(tmp_path, capsys):
    write(tmp_path / "a.png", photo_like(120, 160, 3))
    mask = np.zeros((120, 160), np.uint8)
    mask[20:100, 40:120] = 255  # a third of the picture
    write(tmp_path / "m.png", mask)
    assert main(["local", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png"),
                 "-o", str(tmp_path / "out.png")]) == 0
    printed = capsys.readouterr().out
    assert "local: done with PatchMatch; for a large hole, local-lama or local-migan" in printed


def test_remote_providers_through_the_emulator(tmp_path, settings, emulator):
    image = write(tmp_path / "photo.png", photo_like(80, 120))
    mask = np.zeros((80, 120), np.uint8)
    mask[30:50, 40:80] = 255
    mask_path = write(tmp_path / "mask.png", mask)
    assert main(["ailab", str(image), "--mask", str(mask_path), "-o", f"{tmp_path}/out/"]) == 0
    assert pixels(tmp_path / "out" / "photo.png").shape == (80, 120, 3)
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


# --- never lose a file ----------------------------------------------------------------------


def checksums(*folders: Path) -> dict[Path, str]:
    import hashlib

    return {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def photos(tmp_path):
    """Three photos and a mask for each, as a user keeps them."""
    images, masks = tmp_path / "inplace", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for name, seed in (("a", 1), ("b", 2), ("c", 3)):
        write(images / f"{name}.png", photo_like(64, 96, seed))
        mask = np.zeros((64, 96), np.uint8)
        mask[20:40, 30:60] = 255
        write(masks / f"{name}.png", mask)
    return images, masks


def test_an_output_that_is_an_input_is_refused(photos, capsys):
    images, masks = photos
    before = checksums(images, masks)
    assert main(["local", str(images), "--mask", str(masks), "-o", str(images)]) == 1
    assert "is one of the inputs" in capsys.readouterr().err
    assert main(["local", str(images / "a.png"), "--mask", str(masks / "a.png"),
                 "-o", str(masks / "a.png"), "--overwrite"]) == 1
    assert "is one of the inputs" in capsys.readouterr().err
    assert checksums(images, masks) == before


def test_two_inputs_onto_one_output_are_refused_before_any_work(photos, tmp_path, capsys):
    images, masks = photos
    write(images / "a.jpg", photo_like(64, 96, 9))
    write(masks / "a.jpg", np.full((64, 96), 255, np.uint8))
    before = checksums(images, masks)
    assert main(["local", str(images), "--mask", str(masks), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "a.jpg and a.png would both be written to" in err or (
        "a.png and a.jpg would both be written to" in err)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert checksums(images, masks) == before


@pytest.mark.parametrize("name,magic", [("x.jpg", b"\xff\xd8\xff"), ("x.JPEG", b"\xff\xd8\xff"),
                                        ("x.png", b"\x89PNG"), ("x.webp", b"RIFF"),
                                        ("x.tif", b"II*\x00")])
def test_the_output_format_follows_the_extension(photos, tmp_path, name, magic):
    images, masks = photos
    out = tmp_path / name
    assert main(["local", str(images / "a.png"), "--mask", str(masks / "a.png"),
                 "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_an_output_gets_the_permissions_of_any_new_file(photos, tmp_path):
    images, masks = photos
    out = tmp_path / "shared.png"
    previous = os.umask(0o022)
    try:
        assert main(["local", str(images / "a.png"), "--mask", str(masks / "a.png"),
                     "-o", str(out)]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not the 0600 of a temporary file


@pytest.mark.parametrize("name,says", [("x.gif", "extension '.gif'"),
                                       ("outdir", "no extension")])
def test_an_output_name_that_picks_no_format_is_refused(photos, tmp_path, capsys, name, says):
    images, masks = photos
    assert main(["local", str(images / "a.png"), "--mask", str(masks / "a.png"),
                 "-o", str(tmp_path / name)]) == 1
    assert says in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_existing_outputs_are_kept_unless_overwrite_is_asked(photos, tmp_path, capsys):
    images, masks = photos
    out = tmp_path / "kept.png"
    out.write_bytes(b"precious")
    args = ["local", str(images / "a.png"), "--mask", str(masks / "a.png"), "-o", str(out)]
    assert main(args) == 1
    assert "exists already; pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert main([*args, "--overwrite"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_an_unwritable_output_fails_before_the_paid_call(photos, tmp_path, settings, emulator,
                                                          capsys):
    images, masks = photos
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder should be")
    assert main(["ailab", str(images / "a.png"), "--mask", str(masks / "a.png"),
                 "-o", str(blocker / "out.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write into") and "Traceback" not in err
    assert emulator.requests() == []  # nothing was sent, nothing billed


def test_a_16_bit_grey_photo_is_read_by_value(tmp_path):
    from object_removal.cli import read_rgb

    ramp = (np.arange(64 * 96).reshape(64, 96) * 10).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    rgb = read_rgb(path)
    assert rgb.shape == (64, 96, 3)
    assert np.abs(rgb[..., 0].astype(int) - np.round(ramp / 257)).max() <= 1
    assert rgb.min() == 0 and 230 < rgb.max() < 255  # not all white


@pytest.mark.parametrize("mode", ["P", "LA", "CMYK", "I;16"])
def test_other_file_kinds_convert_to_the_same_picture(tmp_path, mode):
    from object_removal.cli import read_rgb

    rgb = photo_like(32, 48, 4)
    if mode == "P":
        image = Image.fromarray(rgb).quantize(256)
        expected = np.asarray(image.convert("RGB"))
    elif mode == "LA":
        grey = Image.fromarray(rgb).convert("L")
        image = Image.merge("LA", (grey, Image.new("L", grey.size, 7)))
        expected = np.repeat(np.asarray(grey)[..., None], 3, axis=2)
    elif mode == "CMYK":
        image = Image.fromarray(rgb).convert("CMYK")
        expected = np.asarray(image.convert("RGB"))
    else:
        grey = np.asarray(Image.fromarray(rgb).convert("L")).astype(np.uint16) * 257
        image = Image.fromarray(grey)
        expected = np.repeat(np.asarray(Image.fromarray(rgb).convert("L"))[..., None], 3, 2)
    path = tmp_path / ("x.tif" if mode == "CMYK" else "x.png")
    image.save(path)
    assert np.abs(read_rgb(path).astype(int) - expected.astype(int)).max() <= 1


def test_an_exif_rotated_photo_is_turned_upright(tmp_path):
    from object_removal.cli import read_rgb

    rgb = photo_like(30, 50, 2)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    path = tmp_path / "rotated.jpg"
    Image.fromarray(rgb).save(path, exif=exif, quality=100)
    assert read_rgb(path).shape == (50, 30, 3)


def test_a_mask_of_another_shape_is_an_error_unless_stretching_is_asked(tmp_path, capsys):
    photo = write(tmp_path / "photo.png", photo_like(400, 600))
    mask = np.zeros((400, 500), np.uint8)
    mask[150:250, 200:300] = 255
    mask_path = write(tmp_path / "mask.png", mask)
    out = tmp_path / "out.png"
    assert main(["local", str(photo), "--mask", str(mask_path), "-o", str(out)]) == 1
    assert "the mask is 500x400 but the image is 600x400" in capsys.readouterr().err
    assert not out.exists()
    assert main(["local", str(photo), "--mask", str(mask_path), "-o", str(out),
                 "--stretch-mask", "--dilate-size", "2"]) == 0


def test_quiet_gaps_are_said_out_loud(tmp_path, capsys, monkeypatch):
    photo = write(tmp_path / "photo.png", photo_like(64, 96))
    black = write(tmp_path / "black.png", np.zeros((64, 96), np.uint8))
    assert main(["local", str(photo), "--mask", str(black), "-o", str(tmp_path / "o.png")]) == 0
    assert "marks nothing to remove" in capsys.readouterr().err
    assert main(["local", str(photo), "--object", "sofa"]) == 1
    assert "only modelslab removes by name" in capsys.readouterr().err
    from object_removal import cli

    def no_work(*args, **kwargs):
        raise AssertionError("the removal started before the setting was checked")

    monkeypatch.setattr(cli, "remove_by_mask", no_work)
    assert main(["local", str(photo), "--mask", str(black), "--dilate-size", "100000"]) == 1
    assert "dilate_size must be from 1 to 4096" in capsys.readouterr().err


def test_a_job_that_outlives_the_wait_is_collected_by_its_handle(tmp_path, settings, emulator,
                                                                  capsys):
    photo = write(tmp_path / "photo.png", photo_like(64, 128))
    emulator.behaviour.job_seconds = 3
    assert main(["modelslab", str(photo), "--object", "lamp", "--timeout", "1",
                 "-o", str(tmp_path / "text.png")]) == 1
    err = capsys.readouterr().err
    assert "still processing after 1 s" in err
    assert "FetchResult" not in err and "workflow" not in err  # the nodes' advice, not ours
    handle = err.split("python remove_objects.py collect ")[1].split()[0]
    assert handle.startswith("modelslab:")
    out = tmp_path / "collected.png"
    assert main(["collect", handle, "-o", str(out), "--timeout", "30"]) == 0
    assert pixels(out).shape == (64, 128, 3)
    assert len(emulator.requests("ml_submit")) == 1


def test_a_folder_whose_later_mask_does_not_fit_fails_before_any_paid_call(
        tmp_path, settings, emulator, capsys):
    """Every image's mask is checked before the first image is sent, not when its turn
    comes after earlier images were paid for."""
    images = tmp_path / "in"
    images.mkdir()
    write(images / "a.png", photo_like(64, 96, 1))
    write(images / "b.png", photo_like(64, 64, 2))  # square: the mask does not fit it
    mask = np.zeros((64, 96), np.uint8)
    mask[20:40, 30:60] = 255
    mask_path = write(tmp_path / "mask.png", mask)
    out = tmp_path / "out"
    assert main(["ailab", str(images), "--mask", str(mask_path), "-o", f"{out}/"]) == 1
    err = capsys.readouterr().err
    assert "b.png: the mask is 96x64 but the image is 64x64" in err
    assert "--stretch-mask" in err and "Nothing was done" in err
    assert emulator.requests() == []
    assert not out.exists()  # not even an empty folder
    assert main(["ailab", str(images), "--mask", str(mask_path), "-o", f"{out}/",
                 "--stretch-mask"]) == 0
    assert len(emulator.requests("ailab")) == 2


def test_a_rotated_photo_takes_a_mask_of_its_upright_shape(tmp_path):
    """The up-front shape check reads sizes as the images are read: EXIF-rotated."""
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 96 wide, 64 high; shown 64 wide, 96 high
    photo = tmp_path / "rotated.jpg"
    Image.fromarray(photo_like(64, 96, 3)).save(photo, exif=exif, quality=95)
    upright = np.zeros((96, 64), np.uint8)
    upright[40:60, 20:40] = 255
    mask = write(tmp_path / "mask.png", upright)
    out = tmp_path / "out.png"
    assert main(["local", str(photo), "--mask", str(mask), "-o", str(out),
                 "--dilate-size", "2"]) == 0
    assert pixels(out).shape == (96, 64, 3)


def test_a_folder_input_with_an_image_file_name_as_output_is_refused(photos, tmp_path, capsys):
    images, masks = photos
    out = tmp_path / "single.png"
    assert main(["local", str(images), "--mask", str(masks), "-o", str(out)]) == 1
    assert f"--output {out} names an image file" in capsys.readouterr().err
    assert not out.exists()


def test_a_negative_budget_is_refused(photos, capsys):
    images, masks = photos
    with pytest.raises(SystemExit) as ended:
        main(["ailab", str(images), "--mask", str(masks), "--budget", "-1"])
    assert ended.value.code == 2
    assert "a whole number of credits, 0 or more, got '-1'" in capsys.readouterr().err


def test_a_retry_says_busy_only_when_the_provider_said_so(tmp_path, settings, emulator, capsys,
                                                         monkeypatch):
    mask = np.zeros((80, 120), np.uint8)
    mask[30:50, 40:80] = 255
    mask_path = write(tmp_path / "mask.png", mask)
    busy_photo = write(tmp_path / "busy.png", photo_like(80, 120, 1))
    emulator.script("ailab", code="EXCEEDING_LIMITS", retry_after=1)
    assert main(["ailab", str(busy_photo), "--mask", str(mask_path), "-v",
                 "-o", str(tmp_path / "busy_out.png")]) == 0
    assert "AILabTools busy, retry 1 in" in capsys.readouterr().err

    # Nothing listens there: no answer came, so the provider was not "busy".
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AILAB_BASE_URL", f"http://127.0.0.1:{closed_port}")
    unreachable_photo = write(tmp_path / "unreachable.png", photo_like(80, 120, 2))
    assert main(["ailab", str(unreachable_photo), "--mask", str(mask_path), "-v",
                 "-o", str(tmp_path / "unreachable_out.png")]) == 1
    err = capsys.readouterr().err
    assert "AILabTools could not be reached, retry 1 in" in err
    assert "busy" not in err


def test_a_white_shape_on_a_transparent_layer_is_warned_about(tmp_path, capsys):
    """Transparent means remove (as ComfyUI's Load Image reads it), so a paint program's
    white strokes on a transparent layer mark everything else: the user is told."""
    photo = write(tmp_path / "photo.png", photo_like(64, 96))
    strokes = np.zeros((64, 96, 4), np.uint8)
    strokes[20:30, 40:50] = 255  # opaque white where the user meant "remove"
    mask = write(tmp_path / "strokes.png", strokes)
    assert main(["local", str(photo), "--mask", str(mask), "-o", str(tmp_path / "o.png"),
                 "--dilate-size", "2"]) == 0
    err = capsys.readouterr().err
    assert "marks 98% of the image to remove" in err and "transparent layer" in err
    painted = np.zeros((64, 96), np.uint8)
    painted[20:30, 40:50] = 255
    ordinary = write(tmp_path / "painted.png", painted)
    assert main(["local", str(photo), "--mask", str(ordinary), "-o", str(tmp_path / "p.png"),
                 "--dilate-size", "2"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_an_output_under_a_file_says_that_file_is_no_folder(photos, tmp_path, capsys):
    images, masks = photos
    blocker = tmp_path / "picture.png"
    blocker.write_bytes(b"a file")
    assert main(["local", str(images / "a.png"), "--mask", str(masks / "a.png"),
                 "-o", str(blocker / "deeper" / "out.png")]) == 1
    assert f"{blocker} is a file, not a folder" in capsys.readouterr().err
    assert blocker.read_bytes() == b"a file"


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_an_rgb_colour_profile_goes_with_the_result(tmp_path, suffix):
    """The result keeps the photo's values, so it keeps the profile they are meant in
    (Display P3, Adobe RGB...); without it viewers would show them as sRGB."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = tmp_path / f"photo{suffix}"
    Image.fromarray(photo_like(64, 96)).save(photo, icc_profile=profile)
    out = tmp_path / f"out{suffix}"
    assert remove_offline(photo, box_mask(tmp_path), out) == 0
    with Image.open(out) as result:
        assert result.info.get("icc_profile") == profile


def test_a_profile_the_values_were_converted_from_is_not_carried(tmp_path):
    """A grey picture's profile does not describe the RGB result."""
    from PIL import ImageCms

    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    photo = tmp_path / "grey.png"
    Image.fromarray(photo_like(64, 96)).convert("L").save(photo, icc_profile=lab)
    out = tmp_path / "out.png"
    assert remove_offline(photo, box_mask(tmp_path), out) == 0
    with Image.open(out) as result:
        assert "icc_profile" not in result.info


def test_a_cut_out_stays_cut_out(tmp_path, capsys):
    """An input with transparency keeps it in a format that holds it (the hidden colours
    under it stay hidden); a format that cannot is warned about."""
    rgb = photo_like(64, 96)
    alpha = np.full((64, 96), 255, np.uint8)
    alpha[:, :24] = 0  # a transparent background at the left
    alpha[:, 24:32] = 128
    photo = tmp_path / "cut_out.png"
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(photo)
    mask_path = box_mask(tmp_path)  # columns 30-59: the edge of the half-transparent band
    out = tmp_path / "out.png"
    assert remove_offline(photo, mask_path, out) == 0
    with Image.open(out) as result:
        assert result.mode == "RGBA"
        assert np.array_equal(np.asarray(result)[..., 3], alpha)
    assert "transparency" not in capsys.readouterr().err
    assert remove_offline(photo, mask_path, tmp_path / "out.jpg") == 0
    assert "out.jpg cannot hold the transparency of cut_out.png" in capsys.readouterr().err
