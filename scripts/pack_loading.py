"""Importing the pack the way ComfyUI imports a custom node folder.

ComfyUI imports the folder by its path, as a package named after the (often
hyphenated) folder, so inside the pack only relative imports work and a top-level
`nodes` is ComfyUI's own `nodes.py`. Tests and scripts that need the node classes
load the pack this way instead of importing a top-level `nodes`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACK_DIR = Path(__file__).resolve().parent.parent
PACK_NAME = "comfyui-object-removal"


def load_pack() -> ModuleType:
    """The pack's root module, imported once per process."""
    if PACK_NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACK_NAME, PACK_DIR / "__init__.py", submodule_search_locations=[str(PACK_DIR)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[PACK_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[PACK_NAME]
            raise
    return sys.modules[PACK_NAME]


def pack_module(name: str) -> ModuleType:
    """A module of the pack as `load_pack` loaded it (e.g. "object_removal.errors")."""
    load_pack()
    return importlib.import_module(f"{PACK_NAME}.{name}")
