"""Offline inpainting: remove what a mask covers, on the CPU, with no network.

Three backends, the best available one is used:

1. ``"lama"``: a learned model, only if the user supplied its weights
   (`lama_backend.find_lama_weights`); nothing is downloaded.
2. ``"patchmatch"``: exemplar-based, copies patches of the picture into the hole
   (pypatchmatch, a dependency of the pack on Python >= 3.11).
3. ``"telea"``: OpenCV's diffusion, good for smooth areas, smears texture.

Every backend works on crops around the holes and pastes back only hole pixels, so
outside the hole the result is the input, bit for bit. Tests and callers may force a
backend with ``inpaint_locally(..., backend="telea")``.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np

from ..errors import ObjectRemovalError
from .lama_backend import ENV_VAR, LamaModelError, find_lama_weights, inpaint_lama
from .patchmatch_backend import inpaint_patchmatch, load_patchmatch, patchmatch_available
from .telea_backend import inpaint_telea, load_cv2, telea_available

__all__ = [
    "BACKENDS",
    "LamaModelError",
    "LocalInpaintUnavailable",
    "inpaint_locally",
    "local_backend_name",
    "reset_backend_probes",
]

logger = logging.getLogger(__name__)

Backend = Literal["lama", "patchmatch", "telea"]
BACKENDS: tuple[Backend, ...] = ("lama", "patchmatch", "telea")

INSTALL_HINT = "pip install pypatchmatch (Python >= 3.11) or pip install opencv-python-headless"
_BACKEND_HINTS: dict[str, str] = {
    "lama": (
        f"no LaMa weights found: set {ENV_VAR} to a TorchScript big-lama.pt, or put "
        "big-lama.pt into ComfyUI's models/inpaint folder"
    ),
    "patchmatch": "pypatchmatch is not usable: pip install pypatchmatch (Python >= 3.11)",
    "telea": "OpenCV is not installed: pip install opencv-python-headless",
}


class LocalInpaintUnavailable(ObjectRemovalError):
    """No offline backend can run, or not the one asked for; the message says what to do."""


def reset_backend_probes() -> None:
    """Forget which optional packages import, e.g. after installing one, or in tests."""
    load_patchmatch.cache_clear()
    load_cv2.cache_clear()


def _backend_available(name: str) -> bool:
    """Whether backend `name` could run now (for LaMa: whether weights were supplied)."""
    if name == "lama":
        return find_lama_weights() is not None
    if name == "patchmatch":
        return patchmatch_available()
    return telea_available()


def local_backend_name() -> str:
    """``"lama"``, ``"patchmatch"`` or ``"telea"``: the backend `inpaint_locally` would use.

    Raises LocalInpaintUnavailable when none can run, like `inpaint_locally` would.
    """
    for name in BACKENDS:
        if _backend_available(name):
            return name
    raise LocalInpaintUnavailable(
        f"No offline inpainting backend can run. Install one: {INSTALL_HINT}."
    )


def _unavailable(backend: str) -> LocalInpaintUnavailable:
    return LocalInpaintUnavailable(f"The {backend} backend cannot run: {_BACKEND_HINTS[backend]}.")


def _choose_backend(backend: str | None) -> str:
    """The backend to run: `backend` if given and usable, else the best available."""
    if backend is None:
        return local_backend_name()
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}, expected one of {BACKENDS}")
    if not _backend_available(backend):
        raise _unavailable(backend)
    return backend


def _check_inputs(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Validate the shapes and return the hole as a bool array (non-zero = remove)."""
    if not (
        isinstance(rgb, np.ndarray)
        and rgb.ndim == 3
        and rgb.shape[2] == 3
        and rgb.dtype == np.uint8
    ):
        raise ValueError(
            f"rgb must be an HxWx3 uint8 array, got {getattr(rgb, 'shape', None)} "
            f"{getattr(rgb, 'dtype', type(rgb).__name__)}"
        )
    hole = np.asarray(hole)
    if hole.shape != rgb.shape[:2]:
        raise ValueError(f"hole must be {rgb.shape[:2]} like the image, got {hole.shape}")
    return hole if hole.dtype == np.bool_ else hole != 0


def inpaint_locally(
    rgb: np.ndarray, hole: np.ndarray, seed: int = 0, *, backend: Backend | None = None
) -> np.ndarray:
    """Remove what `hole` covers from `rgb`, offline, and return the new image.

    rgb: HxWx3 uint8. hole: HxW bool, True = remove (already grown by the caller).
    seed: repeats PatchMatch's randomised search (-1: random); LaMa and Telea are
    deterministic and ignore it. backend: None picks the best available, a name
    forces that backend (LocalInpaintUnavailable if it cannot run).

    Returns a new HxWx3 uint8 array; outside `hole` its pixels are exactly the
    input's. The inputs are never modified. An empty hole returns a copy without
    work. A hole covering the whole image raises ObjectRemovalError: there is no
    picture left to fill it from. Raises LocalInpaintUnavailable when no backend can run,
    LamaModelError when supplied LaMa weights cannot be used.
    """
    hole = _check_inputs(rgb, hole)
    if not hole.any():
        return rgb.copy()
    if hole.all():
        raise ObjectRemovalError(
            "the mask (grown by dilate_size) covers the whole image, so nothing is left to "
            "fill it from; leave some of the picture unmasked or lower dilate_size"
        )
    name = _choose_backend(backend)
    logger.debug("local inpainting with %s, %d hole pixels", name, int(hole.sum()))
    if name == "lama":
        weights = find_lama_weights()
        if weights is None:  # the file left its folder since _choose_backend looked
            raise _unavailable("lama")
        return inpaint_lama(rgb, hole, weights)
    if name == "patchmatch":
        return inpaint_patchmatch(rgb, hole, seed)
    return inpaint_telea(rgb, hole)
