"""A clip as the node gets it, checked: its frames, each frame's hole (the mask grown
by `dilate_size`), and whether the work fits in memory, all before anything is done.

Frames stay the caller's tensor (never copied or changed); holes are bool tensors,
and frames with the same mask share one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from ..errors import ObjectRemovalError
from ..imaging.compositing import grow_mask
from ..imaging.tensors import binary_mask, image_batch, mask_batch

GIB = 1 << 30
# Besides the outputs and the holes: a few frames' worth of work, the keyframes'
# pictures and the interpreter's own growth.
WORKING_BYTES = 256 << 20


@dataclass(frozen=True)
class Clip:
    frames: torch.Tensor
    """(T, H, W, 3) float32 on the CPU: the input itself."""
    holes: tuple[torch.Tensor | None, ...]
    """Per frame, (H, W) bool: what is filled; None where there is nothing to remove."""

    @property
    def count(self) -> int:
        return self.frames.shape[0]

    @property
    def size(self) -> tuple[int, int]:
        return (self.frames.shape[1], self.frames.shape[2])

    def with_holes(self) -> list[int]:
        return [t for t, hole in enumerate(self.holes) if hole is not None]

    def changed_mask(self) -> torch.Tensor:
        """(T, H, W) float: 1 where the output may differ from the input."""
        result = torch.zeros((self.count, *self.size))
        for t, hole in enumerate(self.holes):
            if hole is not None:
                result[t] = hole.to(torch.float32)
        return result


def check_clip(images: torch.Tensor, mask: torch.Tensor, dilate_size: int) -> Clip:
    """The clip, or an error saying what is wrong and what to do. Raises before any work
    when the frames and masks do not pair up or the clip would not fit in memory."""
    frames = image_batch(images)
    masks = mask_batch(mask)
    count, height, width = frames.shape[:3]
    if masks.shape[0] not in (1, count):
        raise ObjectRemovalError(
            f"got {count} frame{'s' if count != 1 else ''} and {masks.shape[0]} masks. Give "
            "one mask per frame (as a tracker does), or a single mask for every frame."
        )
    if dilate_size < 0:
        raise ObjectRemovalError(f"dilate_size must be 0 or more, got {dilate_size}.")
    check_memory(count, height, width, per_frame_masks=masks.shape[0] > 1)
    grown: dict[int, torch.Tensor | None] = {}
    for index in range(masks.shape[0]):
        hole = torch.from_numpy(binary_mask(masks[index], height, width))
        grown[index] = grow_mask(hole, dilate_size) if bool(hole.any()) else None
    holes = tuple(grown[t if masks.shape[0] > 1 else 0] for t in range(count))
    return Clip(frames, holes)


def needed_bytes(count: int, height: int, width: int, per_frame_masks: bool) -> int:
    """What the node's own work takes at its peak, beyond its inputs: its two outputs
    (the frames and the float mask), the holes and a working margin."""
    output = count * height * width * (3 + 1) * 4
    holes = count * height * width if per_frame_masks else height * width
    return output + holes + WORKING_BYTES


def check_memory(count: int, height: int, width: int, per_frame_masks: bool) -> None:
    """Refuse, before starting, a clip whose work would not fit in the memory free now."""
    needed = needed_bytes(count, height, width, per_frame_masks)
    free = available_bytes()
    if free is not None and needed > free:
        raise ObjectRemovalError(
            f"this clip ({count} frames at {width}x{height}) needs about "
            f"{needed / GIB:.1f} GB of memory to work on and only {free / GIB:.1f} GB is "
            "free. Remove the object from shorter pieces of the clip (e.g. split it with "
            "core Image From Batch) or from a smaller version of it, or free some memory."
        )


def available_bytes() -> int | None:
    """Memory free for this process now (psutil, which ComfyUI ships, else the kernel's
    own figure); None where neither can say."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    return None
