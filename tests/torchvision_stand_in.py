"""Lets spandrel import where torchvision cannot, as in this project's test environment.

spandrel imports ``torchvision.transforms.functional`` when it is imported, for two
architectures' helpers (LaMa's optional rotation wrapper, RestoreFormer's
normalisation); LaMa as published never calls them. PyPI's torchvision matching the
pinned CPU torch is a CUDA build whose operators fail to register against the CPU
torch, so ``import torchvision`` raises. Where it does, these tests put a module in its
place that has those three names and refuses to be used. Where torchvision imports
(inside ComfyUI, on a user's machine) nothing is replaced.
"""

from __future__ import annotations

import enum
import sys
import types


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _not_here(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("torchvision is not usable in this test environment")


def install_if_torchvision_is_broken() -> bool:
    """Put the stand-in in place if ``import torchvision`` fails; True if it did."""
    try:
        import torchvision.transforms.functional  # noqa: F401
        return False
    except Exception:  # RuntimeError "operator torchvision::nms does not exist", ImportError
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
    root = types.ModuleType("torchvision")
    transforms = types.ModuleType("torchvision.transforms")
    functional = types.ModuleType("torchvision.transforms.functional")
    functional.InterpolationMode = InterpolationMode  # type: ignore[attr-defined]
    functional.rotate = _not_here  # type: ignore[attr-defined]
    functional.normalize = _not_here  # type: ignore[attr-defined]
    root.transforms = transforms  # type: ignore[attr-defined]
    transforms.functional = functional  # type: ignore[attr-defined]
    sys.modules.update({"torchvision": root, "torchvision.transforms": transforms,
                        "torchvision.transforms.functional": functional})
    return True
