"""The offline benchmark's cases (benchmarks/real_object_scenes.py, real_photo_scenes.py):
parts split by photo with no photo in two parts, every held-out round complete, and
the Debian-package rounds' masks and pasted holes inside their photos. No fill runs
here: the held-out parts must stay unseen until they are measured."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import real_object_scenes as scenes  # noqa: E402
import real_photo_scenes as pasted  # noqa: E402

PHOTOS_OF_PART = {
    "development": scenes.DEVELOPMENT_PHOTOS, "held-out": scenes.HELD_OUT_PHOTOS,
    "fresh-held-out": scenes.FRESH_HELD_OUT_PHOTOS, "held-out-3": scenes.HELD_OUT_3_PHOTOS,
    "held-out-4": scenes.HELD_OUT_4_PHOTOS, "held-out-5": scenes.HELD_OUT_5_PHOTOS,
    "held-out-6": scenes.HELD_OUT_6_PHOTOS, "held-out-7": scenes.HELD_OUT_7_PHOTOS,
    "held-out-8": scenes.HELD_OUT_8_PHOTOS,
}
BACKGROUNDS_OF_PART = {
    "held-out-3": pasted.HELD_OUT_3_BACKGROUNDS, "held-out-4": pasted.HELD_OUT_4_BACKGROUNDS,
    "held-out-5": pasted.HELD_OUT_5_BACKGROUNDS, "held-out-6": pasted.HELD_OUT_6_BACKGROUNDS,
    "held-out-7": pasted.HELD_OUT_7_BACKGROUNDS, "held-out-8": pasted.HELD_OUT_8_BACKGROUNDS,
}
# The rounds whose photos come from Debian packages, scaled down: (sources, long side).
DEBIAN_ROUNDS = {
    "held-out-4": ((scenes.LOMIRI_WALLPAPERS_SOURCE,), scenes.HELD_OUT_4_LONG_SIDE),
    "held-out-5": ((scenes.PLASMA_WALLPAPERS_SOURCE,), scenes.HELD_OUT_5_LONG_SIDE),
    "held-out-6": ((scenes.MATE_BACKGROUNDS_SOURCE,), scenes.HELD_OUT_6_LONG_SIDE),
    "held-out-7": (scenes.HELD_OUT_7_SOURCES, scenes.HELD_OUT_7_LONG_SIDE),
    "held-out-8": (scenes.HELD_OUT_8_SOURCES, scenes.HELD_OUT_8_LONG_SIDE),
}


def test_every_part_is_listed_with_a_title_and_no_photo_is_in_two_parts() -> None:
    assert set(PHOTOS_OF_PART) == set(scenes.PARTS) == set(scenes.PART_TITLES)
    seen: dict[str, str] = {}
    for part, photos in PHOTOS_OF_PART.items():
        for name in photos:
            assert name not in seen, f"{name} is in {seen.get(name)} and {part}"
            seen[name] = part
            assert scenes.part_of(name) == part


def test_every_case_is_on_a_photo_of_a_declared_part() -> None:
    """A misspelt photo name would fall into the development part unnoticed."""
    declared = {name for photos in PHOTOS_OF_PART.values() for name in photos}
    assert {case.photo for case in scenes.CASES} <= declared


@pytest.mark.parametrize("part", list(DEBIAN_ROUNDS))
def test_a_debian_round_has_20_removals_and_a_background_on_each_of_its_8_photos(
        part: str) -> None:
    photos = PHOTOS_OF_PART[part]
    removals = scenes.cases(part)
    assert len(photos) == 8 and len(removals) == 20
    assert {case.photo for case in removals} == set(photos)
    assert len({case.label for case in removals}) == 20
    assert [row.name for row in BACKGROUNDS_OF_PART[part]] == list(photos)
    named = [name for source in DEBIAN_ROUNDS[part][0] for name in source.photos]
    assert sorted(named) == sorted(photos)  # each photo from exactly one package


def _source_of(part: str, name: str) -> scenes.DebianPhotos:
    return next(source for source in DEBIAN_ROUNDS[part][0] if name in source.photos)


def _available(part: str) -> bool:
    """Whether the round's photos are here already (installed or cached): the test
    does not download a Debian package."""
    return all((source.installed / relative).is_file() or (source.cache / relative).is_file()
               for source in DEBIAN_ROUNDS[part][0] for relative, _ in source.photos.values())


@pytest.mark.parametrize("part", list(DEBIAN_ROUNDS))
def test_a_debian_rounds_masks_lie_inside_their_scaled_photos(part: str) -> None:
    if not _available(part):
        pytest.skip(f"the {part} photos are not installed or cached here")
    long_side = DEBIAN_ROUNDS[part][1]
    for name in PHOTOS_OF_PART[part]:
        picture = scenes.photo(name)
        height, width = picture.shape[:2]
        shipped = scenes.shipped_debian_photo(_source_of(part, name), name)
        # scaled down to the long side, a smaller photo kept at its size
        assert max(height, width) == min(long_side, max(shipped.size)), name
        assert picture.dtype == np.uint8
        for case in (c for c in scenes.cases(part) if c.photo == name):
            for shape in case.shapes:
                for x, y in shape.points:
                    assert 0 <= x <= width and 0 <= y <= height, (case.label, x, y)
            mask = scenes.drawn_mask(case, picture.shape)
            assert 0.001 < mask.mean() < 0.4, case.label


@pytest.mark.parametrize("part", list(DEBIAN_ROUNDS))
def test_a_debian_rounds_pasted_holes_fit_and_miss_their_protected_boxes(part: str) -> None:
    if not _available(part):
        pytest.skip(f"the {part} photos are not installed or cached here")
    cases = pasted.build_cases(part=part)
    assert len(cases) == 8 * 12
    for case in cases:
        assert case.hole.shape == case.clean.shape[:2] and case.hole.any(), case.label
        if case.place == "beside":
            y0, y1, x0, x1 = case.protected
            assert not case.hole[y0:y1, x0:x1].any(), case.label


def test_a_jigzo_puzzles_photo_is_read_whole_without_its_frame() -> None:
    """The photo inside a .pzl is cut into square pieces (bike-3x4: 3 across, 4 down):
    read out right, its size is a whole number of pieces each way, the same piece size
    both ways; one pixel of the texture's frame more or less breaks that for the 3x4 and
    4x3 puzzles."""
    source = scenes.JIGZO_SOURCE
    if not _available("held-out-7"):
        pytest.skip("the held-out-7 photos are not installed or cached here")
    for name, (relative, _) in source.photos.items():
        columns, rows = map(int, Path(relative).stem.rsplit("-", 1)[1].split("x"))
        width, height = scenes.shipped_debian_photo(source, name).size
        assert width % columns == 0 and height % rows == 0, (name, width, height)
        assert width // columns == height // rows, (name, width, height)
