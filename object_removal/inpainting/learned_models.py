"""Loading a learned inpainting model file into one calling convention.

Formats read:

- LaMa as TorchScript (IOPaint's ``big-lama.pt``): ``model(image, mask)``, image
  (1, 3, H, W) in 0..1, mask (1, 1, H, W) with 1 = hole, H and W multiples of 8.
- LaMa as a state dict (``.pth``, ``.ckpt``, ``.safetensors``, as other ComfyUI packs
  keep it), through spandrel, which ComfyUI ships; outside ComfyUI ``pip install
  spandrel``.
- MI-GAN as TorchScript (IOPaint's ``migan_traced.pt``, the 512 px Places2
  generator): one (1, 4, 512, 512) input, ``cat(0.5 - mask, image * (1 - mask))`` with
  the image in -1..1, and the image in -1..1 out (IOPaint's ``iopaint/model/mi_gan.py``).

Every model is wrapped as an `InpaintNet`: image and mask in, image in 0..1 out, and
the size it must run at. torch (and spandrel) are imported inside functions, so the
pack imports without them.
"""

from __future__ import annotations

import threading
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ObjectRemovalError
from .model_files import MODEL_FILES, ModelName

if TYPE_CHECKING:
    import torch

MIGAN_SIDE = 512


class ModelLoadError(ObjectRemovalError):
    """A model file cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class InpaintNet:
    """A loaded model: ``run(image, mask) -> image``, tensors as described above."""

    name: ModelName
    path: Path
    native_side: int | None
    """The square side it must run at (MI-GAN: 512); None: any size, multiples of 8."""
    run: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    device: torch.device

    @property
    def label(self) -> str:
        return MODEL_FILES[self.name].label


def first_line(exc: BaseException) -> str:
    """The exception's type and first line: torch's messages run to pages of C++ trace."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def is_torchscript(path: Path) -> bool:
    """Whether `path` is a TorchScript archive (a zip with compiled code), not a state dict."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.split("/", 1)[-1].startswith("code/") for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _unusable(name: ModelName, path: Path, why: str) -> ModelLoadError:
    model = MODEL_FILES[name]
    return ModelLoadError(
        f"{model.label} model {path} cannot be used ({why}). Use {model.file_name} as "
        f"published at {model.url}, or remove the file (or unset {model.env_var}) to use "
        "another backend."
    )


def _load_torchscript(name: ModelName, path: Path, device: torch.device) -> Any:
    import torch

    try:
        with warnings.catch_warnings():
            # torch 2.13 deprecates TorchScript; the published files are TorchScript all the same
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(str(path), map_location=device)
    except Exception as exc:  # torch raises RuntimeError, ValueError, pickle errors, ...
        raise _unusable(name, path, f"not loadable as TorchScript: {first_line(exc)}") from exc
    return model.eval()


def _load_lama_state_dict(path: Path, device: torch.device) -> Any:
    """A LaMa state dict through spandrel, which detects the architecture from its keys."""
    try:
        from spandrel import ModelLoader
    except Exception as exc:  # ImportError, or a torchvision that fails to import
        raise _unusable("lama", path, f"a state dict needs spandrel ({first_line(exc)}); "
                        "pip install spandrel, or use the TorchScript big-lama.pt") from exc
    try:
        descriptor = ModelLoader(device).load_from_file(str(path))
    except Exception as exc:  # spandrel raises UnsupportedModelError, KeyError, ...
        raise _unusable("lama", path, "neither TorchScript nor a state dict spandrel "
                        f"can load: {first_line(exc)}") from exc
    if descriptor.architecture.id != "LaMa":
        raise _unusable("lama", path, f"it is a {descriptor.architecture.name} model")
    return descriptor.model.eval()


def _migan_runner(model: Any) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """MI-GAN's input and output convention, in channels-last memory: its depthwise
    convolutions run 3-4x faster so on the CPU (2.9 s against 10.7 s for one 512 px
    window on the 2-core reference machine), with the same result."""
    import torch

    model = model.to(memory_format=torch.channels_last)

    def run(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        signed = image * 2 - 1
        packed = torch.cat([0.5 - mask, signed * (1 - mask)], dim=1)
        output = model(packed.contiguous(memory_format=torch.channels_last))
        return ((output + 1) / 2).contiguous()

    return run


def load_net(name: ModelName, path: Path, device: torch.device) -> InpaintNet:
    """The model `name` from `path`; ModelLoadError when the file cannot be used."""
    try:
        import torch  # noqa: F401  (fails here, with a clear message, when it is missing)
    except ImportError as exc:
        raise _unusable(name, path, "PyTorch is not installed") from exc
    if not path.is_file():
        raise _unusable(name, path, "there is no such file")
    if name == "migan":
        if not is_torchscript(path):
            raise _unusable(name, path, "only the TorchScript export is supported")
        model = _load_torchscript(name, path, device)
        return InpaintNet(name, path, MIGAN_SIDE, _migan_runner(model), device)
    if is_torchscript(path):
        model = _load_torchscript(name, path, device)
    else:
        model = _load_lama_state_dict(path, device)
    return InpaintNet(name, path, None, model, device)


_cache_lock = threading.Lock()
_cached: dict[ModelName, tuple[tuple[str, int, str], InpaintNet]] = {}


def cached_net(name: ModelName, path: Path, device: torch.device) -> InpaintNet:
    """`load_net`, once per file version and device; replacing the file takes effect
    without a restart, and only one version of each model is kept in memory."""
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns, str(device))
    except OSError as exc:
        raise _unusable(name, path, exc.strerror or "it cannot be read") from exc
    with _cache_lock:
        held = _cached.get(name)
        if held is None or held[0] != key:
            _cached.pop(name, None)  # free the old one before loading the new one
            _cached[name] = (key, load_net(name, path, device))
        return _cached[name][1]


def forget_loaded_models() -> None:
    """Drop every loaded model (tests, or to free memory)."""
    with _cache_lock:
        _cached.clear()
