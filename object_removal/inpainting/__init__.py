"""Offline inpainting: remove what a mask covers, on this machine, with no network.

Four backends; the default takes the best one that can run without asking anything:

1. ``"lama"``: LaMa, a learned model (Apache-2.0), if its file is on disk;
2. ``"migan"``: MI-GAN, a learned model (MIT), about 7x smaller and faster, if its
   file is on disk;
3. ``"patchmatch"``: exemplar-based, copies patches of the surfaces around the hole
   (never across an edge) into it, along their continued structure (numpy and scipy);
4. ``"telea"``: OpenCV's diffusion, good for smooth areas, smears texture.

Model files are found by `model_files.find_model_file` and never downloaded here:
`ensure_model_file(..., download=True)` fetches one, and only the providers a user
chose by a model's name call it so (see `providers/local.py`).

Every backend works on crops around the holes and pastes back only hole pixels, so
outside the hole the result is the input, bit for bit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Literal, cast

import numpy as np

from ..comfy_bridge import comfy_torch_device
from ..errors import ObjectRemovalError
from .learned_backend import inpaint_learned
from .learned_models import ModelLoadError, cached_net, forget_loaded_models
from .model_download import DownloadProgress, ModelDownloadError, download_model
from .model_files import MODEL_FILES, ModelName, download_folder, find_model_file
from .native_patchmatch import load_native
from .patchmatch_backend import inpaint_patchmatch, load_patchmatch, patchmatch_available
from .telea_backend import inpaint_telea, load_cv2, telea_available
from .work_units import units_started

__all__ = [
    "BACKENDS",
    "BACKEND_LABELS",
    "LEARNED",
    "Backend",
    "LocalInpaintUnavailable",
    "ModelDownloadError",
    "ModelLoadError",
    "ensure_model_file",
    "inpaint_locally",
    "local_backend_name",
    "reset_backend_probes",
    "units_started",
]

logger = logging.getLogger(__name__)

Backend = Literal["lama", "migan", "patchmatch", "telea"]
BACKENDS: tuple[Backend, ...] = ("lama", "migan", "patchmatch", "telea")
LEARNED: tuple[ModelName, ...] = ("lama", "migan")
BACKEND_LABELS: dict[str, str] = {
    "lama": "LaMa", "migan": "MI-GAN", "patchmatch": "PatchMatch", "telea": "Telea"}

INSTALL_HINT = "pip install scipy (ComfyUI ships it) or pip install opencv-python-headless"
_PACKAGE_HINTS: dict[str, str] = {
    "patchmatch": "scipy is not installed: pip install scipy",
    "telea": "OpenCV is not installed: pip install opencv-python-headless",
}


class LocalInpaintUnavailable(ObjectRemovalError):
    """No offline backend can run, or not the one asked for; the message says what to do."""


def reset_backend_probes() -> None:
    """Forget which optional packages import and which models are loaded (tests, installs)."""
    load_patchmatch.cache_clear()
    load_native.cache_clear()
    load_cv2.cache_clear()
    forget_loaded_models()


def _backend_available(name: str) -> bool:
    """Whether backend `name` could run now without a download."""
    if name in LEARNED:
        return find_model_file(cast(ModelName, name)) is not None
    if name == "patchmatch":
        return patchmatch_available()
    return telea_available()


def local_backend_name() -> Backend:
    """The backend `inpaint_locally` uses when none is asked for: the best that can run.

    Raises LocalInpaintUnavailable when none can run, like `inpaint_locally` would.
    """
    for name in BACKENDS:
        if _backend_available(name):
            return name
    raise LocalInpaintUnavailable(
        f"No offline inpainting backend can run. Install one: {INSTALL_HINT}."
    )


def _unavailable(backend: str) -> LocalInpaintUnavailable:
    if backend in LEARNED:
        model = MODEL_FILES[cast(ModelName, backend)]
        return LocalInpaintUnavailable(
            f"{model.label} is not on this machine: {model.missing_hint(download_folder())}; "
            f"or choose the provider local-{backend}, which downloads it."
        )
    return LocalInpaintUnavailable(f"The {backend} backend cannot run: {_PACKAGE_HINTS[backend]}.")


def ensure_model_file(
    name: ModelName,
    *,
    download: bool,
    progress: DownloadProgress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Path:
    """The file of model `name`; downloaded first if it is missing and `download` is set.

    Raises LocalInpaintUnavailable (missing, no download asked for) or
    ModelDownloadError (the download failed), both saying where to put the file.
    """
    path = find_model_file(name)
    if path is not None:
        return path
    if not download:
        raise _unavailable(name)
    logger.info("downloading %s into %s", MODEL_FILES[name].file_name, download_folder())
    return download_model(MODEL_FILES[name], download_folder(), progress=progress,
                          cancelled=cancelled)


def _choose_backend(backend: str | None) -> Backend:
    """The backend to run: `backend` if given and usable, else the best available."""
    if backend is None:
        return local_backend_name()
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}, expected one of {BACKENDS}")
    if not _backend_available(backend):
        raise _unavailable(backend)
    return cast(Backend, backend)


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
    rgb: np.ndarray,
    hole: np.ndarray,
    seed: int = 0,
    *,
    backend: Backend | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """Remove what `hole` covers from `rgb`, offline, and return the new image.

    rgb: HxWx3 uint8. hole: HxW bool, True = remove (already grown by the caller).
    seed: repeats PatchMatch's randomised search (-1: random); the others are
    deterministic and ignore it. backend: None picks the best available (never
    downloading), a name forces that backend (LocalInpaintUnavailable if it cannot run).

    Returns a new HxWx3 uint8 array; outside `hole` its pixels are exactly the
    input's. The inputs are never modified. An empty hole returns a copy without
    work. A hole covering the whole image raises ObjectRemovalError: there is no
    picture left to fill it from. Raises ModelLoadError when a model file cannot be used.

    `cancelled` is asked between units of work (PatchMatch rounds, Telea crops, model
    windows), each well under a second; once it answers True the work stops there and
    Cancelled is raised, so no abandoned fill keeps the CPU busy.
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
    if name in LEARNED:
        model = cast(ModelName, name)
        path = find_model_file(model)
        if path is None:  # the file left its folder since _choose_backend looked
            raise _unavailable(name)
        return inpaint_learned(rgb, hole, cached_net(model, path, comfy_torch_device()),
                               cancelled=cancelled)
    if name == "patchmatch":
        return inpaint_patchmatch(rgb, hole, seed, cancelled=cancelled)
    return inpaint_telea(rgb, hole, cancelled=cancelled)
