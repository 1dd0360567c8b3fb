"""The thumbnails ComfyUI's Templates dialog shows for the example workflows.

Both front ends we test (1.27 with ComfyUI 0.3.64, 1.49 with 0.33.0) load a custom
node pack's thumbnail from `/api/workflow_templates/<pack>/<stem>.jpg`, beside the
workflow JSON, and fit it into a square card. scripts/make_template_thumbnails.py
makes them: a real photo before and after a real offline removal.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scripts import make_template_thumbnails as thumbnails

EXAMPLES = Path(__file__).resolve().parent.parent / "example_workflows"
WORKFLOWS = sorted(EXAMPLES.glob("*.json"))
BY_NAME = {t.template: t for t in thumbnails.THUMBNAILS}
LABEL_BAND = 40  # at the bottom of each panel, its label: "before", "after: ..."


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        assert picture.format == "JPEG"
        assert picture.size == (thumbnails.SIZE, thumbnails.SIZE)
        return np.asarray(picture.convert("RGB"), np.float32)


def test_every_example_has_a_thumbnail_and_every_thumbnail_an_example():
    assert WORKFLOWS
    assert {p.stem for p in WORKFLOWS} == {p.stem for p in EXAMPLES.glob("*.jpg")}
    assert set(BY_NAME) == {p.stem for p in WORKFLOWS}  # the script makes every one
    assert not list(EXAMPLES.glob("*.jpeg")) + list(EXAMPLES.glob("*.JPG"))


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.stem for p in WORKFLOWS])
def test_a_thumbnail_is_a_small_jpeg_of_a_real_removal(path):
    jpeg = path.with_suffix(".jpg")
    assert 10_000 < jpeg.stat().st_size < 120_000  # a card's picture, not a photo
    sheet = pixels(jpeg)
    thumbnail = BY_NAME[path.stem]
    boxes = thumbnails.panel_boxes(thumbnail)
    panels = [sheet[y0:y1 - LABEL_BAND, x0:x1] for x0, y0, x1, y1 in boxes]
    assert thumbnail.panels[0].mask is None  # the first panel is the photo as it is
    before = panels[0]
    assert before.std() > 20  # a photo, not a flat colour
    for panel, after in zip(thumbnail.panels[1:], panels[1:], strict=True):
        change = np.abs(after - before).mean(axis=2)
        if panel.show_mask:  # the mask output: black and white, some of it white
            assert 0.005 < (after.mean(axis=2) > 128).mean() < 0.5
            continue
        # The same photo, with something gone: most pixels as they were, some not.
        assert np.percentile(change, 75) < 12, path.stem
        assert 0.005 < (change > 16).mean() < 0.5, path.stem


def test_the_thumbnails_are_what_the_script_makes_now():
    """Regenerated (needs scikit-image for the photos), they match the committed files."""
    pytest.importorskip("skimage")
    for thumbnail in thumbnails.THUMBNAILS:
        made = thumbnails.encode(thumbnails.render(thumbnail))
        committed = (EXAMPLES / f"{thumbnail.template}.jpg").read_bytes()
        assert thumbnails.difference(made, committed) < thumbnails.TOLERANCE, \
            f"{thumbnail.template}.jpg is stale: run scripts/make_template_thumbnails.py"
        with Image.open(io.BytesIO(made)) as picture:
            assert picture.format == "JPEG"
