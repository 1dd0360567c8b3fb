"""A text removal's result with the user's own pixels kept where nothing was removed.

The provider answers with its whole re-rendered picture at its own size. Here the
area it changed is found (`change_detection`, at the provider's size), brought to
the input's size, feathered at the seam (`compositing`), and only there do the
provider's pixels replace the input's; everywhere else the output is the input,
bit for bit, at full resolution. The provider's global colour drift, measured on
the untouched area, is undone in what is pasted, so the seam does not show. When
the change is global there is nothing to keep: the provider's whole picture is
returned, and said so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..imaging import compositing
from ..imaging.codec import resize_mask, resize_rgb, resize_rgb_region
from ..imaging.tensors import from_uint8, to_uint8
from .change_detection import detect_change

COMPOSITED = "composited"
WHOLE = "whole"  # changed almost everywhere: the provider's whole picture
UNCHANGED = "unchanged"  # nothing changed: the input as it was
NOT_COMPOSITED = "not composited"  # composite off: the provider's whole picture
NO_ORIGINAL = "no original"  # nothing to compare with (FetchResult with a bare id)


def seam_feather(height: int, width: int) -> int:
    """Half MaskObjectRemove's feather: beyond the change both pictures show the same
    content in the same colours (the drift undone), so a short ramp hides the seam."""
    return max(compositing.MIN_FEATHER, compositing.default_feather(height, width) // 2)


@dataclass(frozen=True)
class TextResult:
    image: torch.Tensor
    """(H, W, 3) float32: the output."""
    mask: torch.Tensor
    """(H, W) float32, 1 where the output may differ from the input (all 1 for a global
    change, all 0 when nothing changed or there was nothing to compare with)."""
    outcome: str
    share: float
    """Of the picture inside `mask`, 0..1."""


def keep_unchanged_pixels(
    original: torch.Tensor, result: np.ndarray, *, composite: bool
) -> TextResult:
    """Combine the (H, W, 3) float input and the provider's (h, w, 3) uint8 picture.

    With `composite` off the provider's whole picture is returned at the input's
    size (as before compositing existed); the mask is the same either way, so a graph
    can use it even then.
    """
    height, width = original.shape[:2]
    original_rgb = to_uint8(original)
    shrunk = resize_rgb(original_rgb, result.shape[1], result.shape[0])
    change = detect_change(shrunk, result)
    if change.is_global:
        whole = from_uint8(resize_rgb(result, width, height))
        return TextResult(whole, torch.ones(height, width), WHOLE, 1.0)

    changed = torch.from_numpy(resize_mask(change.mask, width, height))
    weights = compositing.feather_weights(changed, 0, seam_feather(height, width))
    mask = (weights > 0).to(torch.float32)
    share = float(mask.mean())
    if not composite:
        whole = from_uint8(resize_rgb(result, width, height))
        return TextResult(whole, mask, NOT_COMPOSITED, share)
    if share == 0.0:
        return TextResult(original.clone(), mask, UNCHANGED, 0.0)

    # Only the box around the change is enlarged and blended; the rest is copied.
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    restored = change.drift.undo(result)
    patch = from_uint8(resize_rgb_region(restored, width, height, (x0, y0, x1, y1)))
    output = original.clone()
    output[y0:y1, x0:x1] = compositing.composite(original[y0:y1, x0:x1], patch,
                                                 weights[y0:y1, x0:x1])
    return TextResult(output, mask, COMPOSITED, share)


def without_original(result: np.ndarray, size: tuple[int, int] | None) -> TextResult:
    """The provider's picture at `size` (width, height), or its own: nothing to compare
    with, so nothing is known about what changed (an all-zero mask)."""
    rgb = result if size is None else resize_rgb(result, *size)
    height, width = rgb.shape[:2]
    return TextResult(from_uint8(rgb), torch.zeros(height, width), NO_ORIGINAL, 0.0)


def describe(results: list[TextResult]) -> str:
    """One short status line for a batch of results."""
    lines = [_describe_one(r) for r in results]
    if len(set(lines)) == 1:
        return lines[0] + (f" (all {len(lines)} images)" if len(lines) > 1 else "")
    return "; ".join(f"image {i + 1}: {line}" for i, line in enumerate(lines))


def _describe_one(result: TextResult) -> str:
    percent = f"{result.share:.1%}"
    if result.outcome == COMPOSITED:
        return f"composited the changed {percent}; the rest is your input"
    if result.outcome == WHOLE:
        return "changed almost everywhere: returned the provider's whole image"
    if result.outcome == UNCHANGED:
        return "no change found: returned your input unchanged"
    if result.outcome == NOT_COMPOSITED:
        return f"composite off: the provider's whole image (changed: {percent})"
    return "no original to composite into: the provider's whole image"
