"""The learned inpainting models: what each published file is, and where it is on disk.

One place records every file the pack knows how to use and may download when asked:
its URL, its published checksum, size, licence and where it comes from. The files are
the TorchScript exports that IOPaint (formerly lama-cleaner, Apache-2.0) publishes and
pins by MD5 in ``iopaint/model/lama.py`` and ``iopaint/model/mi_gan.py``; other
ComfyUI packs keep the same files in ``models/inpaint``, so a user who has them needs
no download at all.

Where a model is looked for, in order:

1. the file named by its environment variable (``OBJECT_REMOVAL_LAMA_MODEL``,
   ``OBJECT_REMOVAL_MIGAN_MODEL``), used even if missing, so a wrong path is reported
   instead of quietly running another backend;
2. inside ComfyUI, its ``inpaint`` and ``lama`` model folders: the published file
   name first, then any model file whose name contains the model's name;
3. the pack's own model folder (`config.default_model_dir`): where downloads go
   outside ComfyUI.

Downloads go to ComfyUI's ``models/inpaint`` inside ComfyUI, else to the pack's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..comfy_bridge import comfy_model_folders, comfy_models_dir
from ..config import default_model_dir, model_file_setting

ModelName = Literal["lama", "migan"]

MODEL_FOLDERS = ("inpaint", "lama")
MODEL_SUFFIXES = (".pt", ".pth", ".ckpt", ".safetensors", ".bin")


@dataclass(frozen=True)
class ModelFile:
    """One published model file."""

    name: ModelName
    label: str
    file_name: str
    url: str
    md5: str
    """The checksum its publisher pins (IOPaint pins MD5; no other hash is published)."""
    approx_mib: int
    """Its size, for messages and the progress bar until the server says."""
    licence: str
    source: str
    """Where the model and its licence are described."""
    env_var: str
    """The environment variable that points at a file of the user's own."""

    def missing_hint(self, folder: Path) -> str:
        """What to do when the file is not there: which file, where, from where."""
        return (
            f"download {self.file_name} (about {self.approx_mib} MiB, {self.licence}) from "
            f"{self.url} and put it into {folder}, or set {self.env_var} to its path"
        )


MODEL_FILES: dict[ModelName, ModelFile] = {
    "lama": ModelFile(
        name="lama",
        label="LaMa",
        file_name="big-lama.pt",
        url="https://github.com/Sanster/models/releases/download/add_big_lama/big-lama.pt",
        md5="e3aa4aaa15225a33ec84f9f4bc47e500",
        approx_mib=196,
        licence="Apache-2.0",
        source="https://github.com/advimman/lama",
        env_var="OBJECT_REMOVAL_LAMA_MODEL",
    ),
    "migan": ModelFile(
        name="migan",
        label="MI-GAN",
        file_name="migan_traced.pt",
        url="https://github.com/Sanster/models/releases/download/migan/migan_traced.pt",
        md5="76eb3b1a71c400ee3290524f7a11b89c",
        approx_mib=27,
        licence="MIT",
        source="https://github.com/Picsart-AI-Research/MI-GAN",
        env_var="OBJECT_REMOVAL_MIGAN_MODEL",
    ),
}


def download_folder() -> Path:
    """Where a requested download goes: ComfyUI's models/inpaint, else the pack's folder."""
    models = comfy_models_dir()
    return models / "inpaint" if models is not None else default_model_dir()


def _search_folders() -> list[Path]:
    folders = comfy_model_folders(MODEL_FOLDERS) + [default_model_dir()]
    return list(dict.fromkeys(folders))


def _found_in(folder: Path, model: ModelFile) -> Path | None:
    """The published file in `folder`, else the first model file named like the model."""
    exact = folder / model.file_name
    if exact.is_file():
        return exact
    if not folder.is_dir():
        return None
    named = sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES
        and model.name in p.name.lower().replace("-", "").replace("_", "")
    )
    return named[0] if named else None


def find_model_file(name: ModelName) -> Path | None:
    """The file to load for model `name`, or None when the user has none (see above)."""
    model = MODEL_FILES[name]
    configured = model_file_setting(model.env_var)
    if configured is not None:
        return configured
    for folder in _search_folders():
        found = _found_in(folder, model)
        if found is not None:
            return found
    return None
