"""LaMa inpainting with weights the user put on disk; nothing is ever downloaded.

LaMa (a learned inpainting network) fills large holes more convincingly than
PatchMatch, but its weights are 200 MB that this pack does not ship. Where a user
already has them, e.g. for another inpainting node pack, they are used:

1. the file named by the environment variable `OBJECT_REMOVAL_LAMA_MODEL`;
2. else, inside ComfyUI, a ``.pt`` file with "lama" in its name (``big-lama.pt``
   first) in the ``inpaint`` or ``lama`` model folders.

The file must be TorchScript, like the widely used ``big-lama.pt`` of lama-cleaner:
``model(image, mask)`` with image (1, 3, H, W) and mask (1, 1, H, W), floats in 0..1,
H and W multiples of 8, returning the (1, 3, H, W) image in 0..1.

torch is imported inside functions, and ComfyUI's model folders and device come from
`comfy_bridge`, so the pack imports, and its tests run, without ComfyUI.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..comfy_bridge import comfy_model_folders, comfy_torch_device
from ..errors import ObjectRemovalError
from .crop_stitch import Box, fill_by_crops

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

ENV_VAR = "OBJECT_REMOVAL_LAMA_MODEL"
MODEL_FOLDERS = ("inpaint", "lama")
PREFERRED_NAME = "big-lama.pt"

# LaMa was trained on 256-512 px crops and generalises up to about 1k; larger crops
# are scaled down, which also bounds the memory a call needs.
MAX_SIDE = 1024
PAD_MULTIPLE = 8
MIN_MARGIN = 64
MARGIN_FRACTION = 0.5

_cache_lock = threading.Lock()
_cached: dict[tuple[str, int, str], Any] = {}


class LamaModelError(ObjectRemovalError):
    """The LaMa weights file cannot be used; the message names the file and the fix."""


def _lama_file_in(folder: Path) -> Path | None:
    """`big-lama.pt` in `folder`, else the first ``*.pt`` with "lama" in its name."""
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:  # missing or unreadable folder
        return None
    candidates = [p for p in files if p.suffix.lower() == ".pt" and "lama" in p.name.lower()]
    for path in candidates:
        if path.name.lower() == PREFERRED_NAME:
            return path
    return candidates[0] if candidates else None


def find_lama_weights() -> Path | None:
    """The LaMa weights to use, or None when the user has supplied none.

    A path set in `OBJECT_REMOVAL_LAMA_MODEL` is returned even if the file is
    missing: the user asked for LaMa, so `inpaint_lama` reports the bad path instead
    of quietly using another backend.
    """
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    for folder in comfy_model_folders(MODEL_FOLDERS):
        found = _lama_file_in(folder)
        if found is not None:
            return found
    return None


def load_lama(path: Path, device: torch.device) -> Any:
    """The TorchScript model at `path` on `device`, loaded once per file version.

    The cache is keyed by path and modification time, so replacing the file takes
    effect without a restart; only the latest model is kept, to free its memory.
    """
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns, str(device))
    except OSError as exc:
        raise LamaModelError(
            f"LaMa weights {path} cannot be read ({exc.strerror}). Put big-lama.pt "
            f"there, or unset {ENV_VAR} to use PatchMatch."
        ) from exc
    with _cache_lock:
        if key not in _cached:
            model = _load_torchscript(path, device)
            _cached.clear()
            _cached[key] = model
        return _cached[key]


def _first_line(exc: BaseException) -> str:
    """The exception's type and first line: torch's messages run to pages of C++ trace."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _load_torchscript(path: Path, device: torch.device) -> Any:
    """torch.jit.load with an error that names the file instead of torch's internals."""
    try:
        import torch
    except ImportError as exc:
        raise LamaModelError(f"LaMa weights {path} need PyTorch, which is not installed") from exc
    try:
        with warnings.catch_warnings():
            # torch 2.13 deprecates TorchScript; big-lama.pt is TorchScript all the same
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(str(path), map_location=device)
    except Exception as exc:  # torch raises RuntimeError, ValueError, pickle errors, ...
        raise LamaModelError(
            f"LaMa weights {path} could not be loaded as TorchScript "
            f"({_first_line(exc)}). "
            f"Use the TorchScript big-lama.pt of lama-cleaner, or remove the file "
            f"(or unset {ENV_VAR}) to use PatchMatch."
        ) from exc
    model.eval()
    return model


def margin_for(box: Box) -> int:
    """Context around a hole: LaMa needs to see the surroundings it continues."""
    y0, y1, x0, x1 = box
    return max(MIN_MARGIN, round(MARGIN_FRACTION * max(y1 - y0, x1 - x0)))


def _to_tensors(
    rgb: np.ndarray, hole: np.ndarray, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 HxWx3 and bool HxW -> (1, 3, H, W) and (1, 1, H, W) floats in 0..1."""
    import torch

    image = torch.from_numpy(rgb).permute(2, 0, 1)[None].to(device, torch.float32) / 255.0
    mask = torch.from_numpy(hole)[None, None].to(device, torch.float32)
    return image, mask


def _fit(image: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale so that the long side is at most `MAX_SIDE`; a pixel touching the hole is hole."""
    import torch.nn.functional as F

    height, width = image.shape[-2:]
    scale = MAX_SIDE / max(height, width)
    if scale >= 1:
        return image, mask
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    image = F.interpolate(image, size=size, mode="bicubic", antialias=True, align_corners=False)
    mask = (F.interpolate(mask, size=size, mode="area") > 0).to(mask.dtype)
    return image.clamp(0, 1), mask


def _pad(image: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad right and bottom to multiples of 8 by repeating the edge, as LaMa requires.

    Edge padding works for any size; reflect padding fails on crops thinner than the pad.
    """
    import torch.nn.functional as F

    height, width = image.shape[-2:]
    pad_h, pad_w = -height % PAD_MULTIPLE, -width % PAD_MULTIPLE
    if not (pad_h or pad_w):
        return image, mask
    pad = (0, pad_w, 0, pad_h)
    return F.pad(image, pad, mode="replicate"), F.pad(mask, pad, mode="replicate")


def _run(model: Any, path: Path, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """One forward pass, with errors that name the weights file."""
    import torch

    try:
        with torch.inference_mode():
            result = model(image, mask)
    except Exception as exc:  # a TorchScript model can raise anything
        raise LamaModelError(f"LaMa weights {path} failed to inpaint ({_first_line(exc)})") from exc
    if not isinstance(result, torch.Tensor) or result.shape != image.shape:
        got = tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__
        raise LamaModelError(
            f"LaMa weights {path} returned {got}, expected an image of {tuple(image.shape)}: "
            "is it a LaMa inpainting model?"
        )
    return result


def _fill_crop(
    rgb: np.ndarray, hole: np.ndarray, model: Any, path: Path, device: torch.device
) -> np.ndarray:
    """Fill one crop: to tensors, fit, pad, run, unpad, scale back, to uint8."""
    import torch
    import torch.nn.functional as F

    height, width = hole.shape
    image, mask = _to_tensors(rgb, hole, device)
    small_image, small_mask = _fit(image, mask)
    small_h, small_w = small_image.shape[-2:]
    result = _run(model, path, *_pad(small_image, small_mask))[..., :small_h, :small_w]
    result = result.float()
    if (small_h, small_w) != (height, width):
        result = F.interpolate(result, size=(height, width), mode="bicubic", align_corners=False)
    pixels = (result[0].clamp(0, 1) * 255).round().to("cpu", dtype=torch.uint8)
    return pixels.permute(1, 2, 0).numpy()


def inpaint_lama(rgb: np.ndarray, hole: np.ndarray, weights: Path) -> np.ndarray:
    """`rgb` with the `hole` pixels filled by the LaMa model at `weights`; others kept exactly.

    Each group of nearby holes is filled on a crop with context, scaled down if its
    long side exceeds `MAX_SIDE`; only hole pixels are pasted back, at full size.
    """
    device = comfy_torch_device()
    model = load_lama(weights, device)
    return fill_by_crops(
        rgb,
        hole,
        lambda crop, crop_hole: _fill_crop(crop, crop_hole, model, weights, device),
        margin=MIN_MARGIN,
        margin_rule=margin_for,
    )
