"""The one place that talks to ComfyUI itself: interrupt, progress bar, status text,
model folders and the torch device.

ComfyUI modules are imported lazily, inside the functions that need them, so
the pack imports and its tests run where ComfyUI is absent. Outside ComfyUI
every call here quietly does nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .run_context import RunContext, StatusState

if TYPE_CHECKING:
    import torch

STATUS_EVENT = "comfyui-object-removal.status"

log = logging.getLogger(__name__)


def _model_management() -> Any | None:
    try:
        import comfy.model_management as model_management
    except ImportError:
        return None
    return model_management


class ComfyRunContext(RunContext):
    """Cancel = ComfyUI's Cancel button; progress and status go to the node on screen.

    A node shows its status (in both of the front end's renderers) when it declares the
    hidden input `"unique_id": "UNIQUE_ID"` and passes it here: js/ gives every node of
    the pack with that input a status area, and Cancel and errors show there by
    themselves.
    """

    def __init__(self, node_id: str | None) -> None:
        super().__init__()
        self._node_id = node_id
        self._bar: Any | None = None
        self._bar_total: float | None = None

    def cancel_requested(self) -> bool:
        if self.cancel_event.is_set():
            return True
        model_management = _model_management()
        # Read the flag without clearing it, so every node waiting in this run sees it.
        return bool(model_management and model_management.processing_interrupted())

    def cancel_error(self) -> BaseException:
        model_management = _model_management()
        if model_management is not None:
            return model_management.InterruptProcessingException()
        return super().cancel_error()

    def progress(self, done: float, total: float) -> None:
        try:
            import comfy.utils
        except ImportError:
            return
        if self._bar is None or self._bar_total != total:
            self._bar = comfy.utils.ProgressBar(max(1, int(total)), node_id=self._node_id)
            self._bar_total = total
        self._bar.update_absolute(int(done), int(max(1, total)))

    def status(self, text: str, job: str | None = None, *, state: StatusState = "working",
               eta: float | None = None) -> None:
        send_status(self._node_id, text, job, state=state, eta=eta)


def is_comfyui_interrupt(exc: BaseException) -> bool:
    """Whether `exc` is ComfyUI's own Cancel (InterruptProcessingException)."""
    model_management = _model_management()
    interrupt = getattr(model_management, "InterruptProcessingException", None)
    return interrupt is not None and isinstance(exc, interrupt)


def send_status(node_id: str | None, text: str, job: str | None = None, *,
                state: StatusState = "working", eta: float | None = None) -> None:
    """Show `text` in the node's status area, in the browser that queued this run only.

    The message names its run (prompt_id), so the front end never shows one run's
    status or job handle as another's; it counts `eta` down itself.
    """
    if node_id is None:
        return
    try:
        from server import PromptServer
    except (ImportError, AttributeError):
        return
    server = getattr(PromptServer, "instance", None)
    client_id = getattr(server, "client_id", None)
    if server is None or client_id is None:
        return  # never broadcast one user's job details to every connected browser
    try:
        payload: dict[str, Any] = {"node": str(node_id), "text": text, "state": state,
                                   "prompt_id": getattr(server, "last_prompt_id", None)}
        if job:
            payload["job"] = job
        if eta is not None:
            payload["eta"] = round(float(eta), 1)
        server.send_sync(STATUS_EVENT, payload, client_id)
    except Exception:  # a status line must never fail the run
        log.debug("could not send status to the front end", exc_info=True)


def comfy_model_folders(names: Iterable[str]) -> list[Path]:
    """ComfyUI's model folders registered under `names`, plus `models/<name>`; none
    outside ComfyUI.

    Folder names such as "inpaint" are registered by other packs, not by ComfyUI
    itself, so an unknown name is skipped and `models/<name>` is tried directly.
    """
    try:
        import folder_paths
    except ImportError:
        return []
    folders: list[str] = []
    for name in names:
        try:
            folders.extend(folder_paths.get_folder_paths(name))
        except Exception:  # KeyError for an unregistered name; forks may differ
            pass
        models_dir = getattr(folder_paths, "models_dir", None)
        if models_dir:
            folders.append(os.path.join(models_dir, name))
    return [Path(f) for f in dict.fromkeys(os.path.normpath(f) for f in folders)]


def comfy_models_dir() -> Path | None:
    """ComfyUI's `models` folder, where requested model downloads go; None outside ComfyUI."""
    try:
        import folder_paths
    except ImportError:
        return None
    models_dir = getattr(folder_paths, "models_dir", None)
    return Path(models_dir) if models_dir else None


def comfy_torch_device() -> torch.device:
    """ComfyUI's device for models when ComfyUI runs us, else the CPU."""
    import torch

    try:
        import comfy.model_management as model_management

        return model_management.get_torch_device()
    except ImportError:  # not inside ComfyUI
        return torch.device("cpu")
    except Exception:  # e.g. a CUDA setting with a CPU-only torch: run, but say so
        log.warning("running on the CPU: ComfyUI's torch device is unusable", exc_info=True)
        return torch.device("cpu")


MINIMUM_COMFYUI = (0, 3, 45)


def warn_if_comfyui_too_old() -> None:
    """Log a clear warning where ComfyUI cannot await async nodes (before 0.3.45).

    There, the nodes would fail with an obscure error at run time instead.
    """
    try:
        from comfyui_version import __version__
    except ImportError:
        return  # not inside ComfyUI, or one too old to say
    try:
        version = tuple(int(part) for part in __version__.split(".")[:3])
    except ValueError:
        return
    if version < MINIMUM_COMFYUI:
        log.warning(
            "comfyui-object-removal needs ComfyUI %s or newer (async nodes); this is %s. "
            "Update ComfyUI, or its nodes will fail when run.",
            ".".join(map(str, MINIMUM_COMFYUI)), __version__,
        )
