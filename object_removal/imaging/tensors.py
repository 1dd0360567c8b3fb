"""ComfyUI IMAGE / MASK tensors to numpy arrays and back. No HTTP, no files.

IMAGE is (B, H, W, C) float in 0..1 with C = 3 (1 and 4 are accepted: grey is
expanded, alpha dropped). MASK is (B, H, W) or (H, W), 1.0 = remove.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import ObjectRemovalError

MASK_THRESHOLD = 0.5


def image_batch(image: torch.Tensor) -> torch.Tensor:
    """Validate an IMAGE and return it as (B, H, W, 3) float32, on the CPU."""
    if not isinstance(image, torch.Tensor):
        raise ObjectRemovalError(f"`image` must be an IMAGE tensor, got {type(image).__name__}.")
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[-1] not in (1, 3, 4):
        raise ObjectRemovalError(
            f"`image` must have the shape (batch, height, width, channels) with 1, 3 or 4 "
            f"channels, got {tuple(image.shape)}. Connect an IMAGE output (e.g. Load Image)."
        )
    if image.shape[0] == 0 or image.shape[1] == 0 or image.shape[2] == 0:
        raise ObjectRemovalError(f"`image` is empty: shape {tuple(image.shape)}.")
    image = image.detach().to(device="cpu", dtype=torch.float32)
    _refuse_non_finite(image, "image")
    if image.shape[-1] == 1:
        image = image.expand(-1, -1, -1, 3)
    elif image.shape[-1] == 4:
        image = image[..., :3]
    return image.contiguous()


def mask_batch(mask: torch.Tensor) -> torch.Tensor:
    """Validate a MASK and return it as (B, H, W) float32 on the CPU."""
    if not isinstance(mask, torch.Tensor):
        raise ObjectRemovalError(f"`mask` must be a MASK tensor, got {type(mask).__name__}.")
    if mask.dim() == 2:
        mask = mask.unsqueeze(0)
    elif mask.dim() == 4 and mask.shape[1] == 1:
        mask = mask[:, 0]
    if mask.dim() != 3 or 0 in mask.shape:
        raise ObjectRemovalError(
            f"`mask` must have the shape (batch, height, width), got {tuple(mask.shape)}. "
            "Connect a MASK output (e.g. Load Image's MASK or a mask editor)."
        )
    mask = mask.detach().to(device="cpu", dtype=torch.float32).contiguous()
    _refuse_non_finite(mask, "mask")
    return mask


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(H, W, 3) float 0..1 -> (H, W, 3) uint8, rounding (half up) so 8-bit values
    survive exactly. One new float array, worked on in place: this runs on every image."""
    scaled = torch.mul(image, 255.0).add_(0.5).clamp_(0.0, 255.0)
    return np.ascontiguousarray(scaled.to(torch.uint8).numpy())


def from_uint8(array: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (H, W, 3) float32 0..1, the way ComfyUI's Load Image does it."""
    return torch.from_numpy(array.astype(np.float32)) / 255.0


def binary_mask(
    mask: torch.Tensor, height: int, width: int, stretch: bool = False
) -> np.ndarray:
    """One (h, w) MASK -> (height, width) bool, True where the mask is >= 0.5.

    A mask of another size is resized to the image (bilinear, then thresholded, so
    edges stay where they were rather than snapping to a coarse grid). Its aspect
    ratio must be the image's, up to a pixel of rounding at the mask's scale: a
    stretched mask marks the wrong things (and a paid call would remove them),
    so another shape is an error unless `stretch` asks for it.
    """
    mask_height, mask_width = mask.shape
    if (mask_height, mask_width) != (height, width):
        check_mask_fits(mask_width, mask_height, width, height, stretch)
        mask = torch.nn.functional.interpolate(
            mask[None, None], size=(height, width), mode="bilinear", align_corners=False
        )[0, 0]
    return np.ascontiguousarray((mask >= MASK_THRESHOLD).numpy())


def check_mask_fits(
    mask_width: int, mask_height: int, width: int, height: int, stretch: bool = False
) -> None:
    """Raises unless a mask of this size can be laid on an image of that size: the same
    size or aspect ratio, or any when `stretch` asks for it."""
    if stretch or same_aspect(mask_width, mask_height, width, height):
        return
    raise ObjectRemovalError(
        f"the mask is {mask_width}x{mask_height} but the image is {width}x{height}: "
        "another shape, so it would be stretched onto the wrong places. Make a mask "
        "of the image's size (or the same aspect ratio)."
    )


def same_aspect(mask_width: int, mask_height: int, width: int, height: int) -> bool:
    """Whether a mask of one size fits an image of another by scaling alone, allowing
    one pixel of rounding at the mask's own scale."""
    return (abs(mask_width * height / width - mask_height) <= 1
            or abs(mask_height * width / height - mask_width) <= 1)


def _refuse_non_finite(tensor: torch.Tensor, name: str) -> None:
    """A broken upstream node can hand over NaN or Inf; they must never reach a provider
    or come back as NaN pixels."""
    if math.isfinite(float(tensor.sum())):
        return  # finite numbers sum to a finite number (unless huge): one cheap pass
    bad = ~torch.isfinite(tensor)
    if bool(bad.any()):
        items = sorted({int(i) + 1 for i in torch.nonzero(bad.flatten(1).any(dim=1)).flatten()})
        where = ", ".join(str(i) for i in items[:5]) + ("..." if len(items) > 5 else "")
        raise ObjectRemovalError(
            f"`{name}` holds {int(bad.sum())} NaN or infinite values (batch item {where}); "
            "the node that made it produced invalid numbers. Check that node's inputs."
        )


def pair_batches(image_count: int, mask_count: int) -> list[tuple[int, int]]:
    """Which mask goes with which image: B with 1, 1 with B, or B with B."""
    if image_count == mask_count:
        return [(i, i) for i in range(image_count)]
    if mask_count == 1:
        return [(i, 0) for i in range(image_count)]
    if image_count == 1:
        return [(0, j) for j in range(mask_count)]
    raise ObjectRemovalError(
        f"got {image_count} images and {mask_count} masks. Give one mask for all images, "
        "one image for all masks, or as many masks as images."
    )
