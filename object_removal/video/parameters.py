"""VideoObjectRemove's settings, declared once (names, order and defaults are a public
interface: saved workflows depend on them)."""

from __future__ import annotations

from dataclasses import dataclass

from ..mask.parameters import Parameter

DEFAULT_PROVIDER = "local"


@dataclass(frozen=True, kw_only=True)
class VideoInputs:
    dilate_size: int = 10
    seed: int = 0
    fill_reach: int = 48


VIDEO_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        name="dilate_size", kind="INT", default=10, minimum=0, maximum=4096,
        tooltip="Grow each frame's mask by this many pixels so it covers the object's "
                "edges, motion blur and shadow. Raise it for tight, tracker-made masks.",
    ),
    Parameter(
        name="seed", kind="INT", default=0, minimum=-1, maximum=2**32 - 1,
        widget={"control_after_generate": False},
        tooltip="The seed of the generated fills (only where no frame shows what is behind "
                "the object). The same seed and clip reuse the fills already paid for; -1 = "
                "new fills every time (nothing is reused).",
    ),
    Parameter(
        name="fill_reach", kind="INT", default=48, minimum=1, maximum=100_000,
        tooltip="What no frame shows is generated once on a keyframe and carried along the "
                "camera's motion to at most this many frames before and after it; a longer "
                "stretch needs another keyframe (another provider call). Lower it if a "
                "carried fill drifts on a long shot.",
    ),
)
