"""The camera's path through a clip: how any frame's pixels map into any other frame of
the same shot, and how their exposure differs. A cut starts a new shot; nothing maps
across it.

Frames are tracked in order, each aligned directly to the latest anchor frame, and
every ANCHOR_SPACING frames one becomes the next anchor (aligned to the one before).
Chaining neighbour-to-neighbour steps would add up their small errors over a long
stretch; anchors make it a few links. A frame that
no longer fits its anchor is tried against the frame before it: if that fits, the
motion was only too large for the anchor and the frame becomes an anchor itself;
if not, the shot has cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .motion import Alignment, align

ANCHOR_SPACING = 16

Grey = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class CameraPath:
    to_origin: tuple[np.ndarray, ...]
    """Per frame, 3x3: its pixels to the pixels of its shot's first frame."""
    exposure: np.ndarray
    """(frames,): each frame's brightness, relative to its shot's first."""
    shots: tuple[int, ...]
    """Per frame, the number of its shot."""

    @property
    def frames(self) -> int:
        return len(self.shots)

    def same_shot(self, first: int, second: int) -> bool:
        return self.shots[first] == self.shots[second]

    def mapping(self, target: int, source: int) -> np.ndarray:
        """3x3: pixels of frame `target` to pixels of frame `source` (same shot)."""
        result = np.linalg.inv(self.to_origin[source]) @ self.to_origin[target]
        return result / result[2, 2]

    def light(self, target: int, source: int) -> float:
        """What a colour seen in `source` is multiplied by to look as in `target`."""
        return float(self.exposure[target] / self.exposure[source])

    def shot_frames(self, frame: int) -> range:
        """The frames of `frame`'s shot."""
        shot = self.shots[frame]
        start = self.shots.index(shot)
        stop = start
        while stop < len(self.shots) and self.shots[stop] == shot:
            stop += 1
        return range(start, stop)


@dataclass
class CameraTracker:
    """Feed it each frame's grey picture in order (`add`), then take the `path`."""

    full_size: tuple[int, int]
    _to_origin: list[np.ndarray] = field(default_factory=list)
    _exposure: list[float] = field(default_factory=list)
    _shots: list[int] = field(default_factory=list)
    _anchor: int = 0
    _anchor_grey: Grey | None = None
    _previous_grey: Grey | None = None
    _velocity: np.ndarray = field(default_factory=lambda: np.eye(3))
    """The last frame-to-frame motion, for the next guess."""

    def add(self, grey: Grey) -> None:
        frame = len(self._shots)
        if frame == 0 or self._anchor_grey is None:
            self._start_shot(grey, 0)
            return
        last = frame - 1
        # where the anchor's pixels should be in this frame if the camera keeps moving
        guess = self._velocity @ np.linalg.inv(self._relative(last))
        found = align(self._anchor_grey, grey, self.full_size, guess)
        if found.fits:
            self._place(grey, np.linalg.inv(found.homography), self._exposure[self._anchor],
                        found, self._anchor)
            if frame - self._anchor >= ANCHOR_SPACING:
                self._make_anchor(frame, grey)
            return
        assert self._previous_grey is not None
        step = align(self._previous_grey, grey, self.full_size, self._velocity)
        if step.fits:  # the anchor is too far behind: start from the frame before
            self._place(grey, np.linalg.inv(step.homography), self._exposure[last], step, last)
            self._make_anchor(frame, grey)
        else:
            self._start_shot(grey, self._shots[-1] + 1)

    @property
    def path(self) -> CameraPath:
        return CameraPath(tuple(self._to_origin), np.asarray(self._exposure),
                          tuple(self._shots))

    def _relative(self, frame: int) -> np.ndarray:
        """Pixels of `frame` to pixels of the current anchor."""
        return np.linalg.inv(self._to_origin[self._anchor]) @ self._to_origin[frame]

    def _place(self, grey: Grey, frame_to_reference: np.ndarray, reference_exposure: float,
               found: Alignment, reference: int) -> None:
        frame = len(self._shots)
        to_origin = self._to_origin[reference] @ frame_to_reference
        self._to_origin.append(to_origin / to_origin[2, 2])
        self._exposure.append(reference_exposure * found.gain)
        self._shots.append(self._shots[-1])
        step = np.linalg.inv(self._to_origin[frame]) @ self._to_origin[frame - 1]
        self._velocity = step / step[2, 2]
        self._previous_grey = grey

    def _make_anchor(self, frame: int, grey: Grey) -> None:
        self._anchor, self._anchor_grey = frame, grey

    def _start_shot(self, grey: Grey, shot: int) -> None:
        self._to_origin.append(np.eye(3))
        self._exposure.append(1.0)
        self._shots.append(shot)
        self._velocity = np.eye(3)
        self._previous_grey = grey
        self._make_anchor(len(self._shots) - 1, grey)


def map_points(homography: np.ndarray, xs: np.ndarray, ys: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates through a homography (float64 in, float64 out)."""
    h = homography
    denominator = h[2, 0] * xs + h[2, 1] * ys + h[2, 2]
    return ((h[0, 0] * xs + h[0, 1] * ys + h[0, 2]) / denominator,
            (h[1, 0] * xs + h[1, 1] * ys + h[1, 2]) / denominator)
