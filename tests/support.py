"""Helpers shared by the tests: keys, test images, running a node's coroutine."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import torch

# The node classes raise the pack's own copies of the error types (pack_module
# ("object_removal.errors")), not those of `import object_removal`.
from scripts.pack_loading import PACK_DIR, PACK_NAME, load_pack, pack_module  # noqa: F401

AILAB_KEY = "ailab-test-key-0123456789"
MODELSLAB_KEY = "modelslab-test-key-9876543210"


def run(coroutine):
    """Run a node's coroutine the way ComfyUI does: on an event loop of its own."""
    return asyncio.run(coroutine)


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth gradient with texture: compresses like a photo, not like noise."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(seed)
    base = np.stack([
        120 + 80 * np.sin(xx / 37.0) * np.cos(yy / 53.0),
        100 + 60 * np.cos(xx / 23.0 + yy / 41.0),
        90 + 50 * np.sin((xx + yy) / 61.0),
    ], axis=-1)
    texture = rng.normal(0, 6, (height, width, 3))
    return np.clip(base + texture, 0, 255).astype(np.uint8)


def image_tensor(*arrays: np.ndarray) -> torch.Tensor:
    return torch.stack([torch.from_numpy(a.astype(np.float32) / 255.0) for a in arrays])


def disc_mask(height: int, width: int, cy: int, cx: int, r: int) -> torch.Tensor:
    yy, xx = np.mgrid[0:height, 0:width]
    return torch.from_numpy(((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r).astype(np.float32))



def node_class(name: str) -> type:
    """A node class as ComfyUI gets it, from the pack's NODE_CLASS_MAPPINGS."""
    return load_pack().NODE_CLASS_MAPPINGS[name]


def photo_with_object(height: int, width: int, seed: int = 0) -> np.ndarray:
    """`photo_like` with a shaded dark-red blob ("the sofa") left of and below the
    centre: the thing the emulated text removal finds and replaces."""
    rgb = photo_like(height, width, seed).astype(np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cy, cx, ry, rx = 0.58 * height, 0.42 * width, 0.17 * height, 0.2 * width
    inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
    shade = 1.0 - 0.4 * np.clip((yy - (cy - ry)) / (2 * ry), 0, 1)
    sofa = np.stack([150 * shade, 30 * shade, 40 * shade], axis=-1)
    rgb[inside] = sofa[inside] + np.random.default_rng(seed + 1).normal(0, 4, sofa[inside].shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def child_processes() -> list[int]:
    """Ids of this process's living children (Linux /proc; zombies count as gone)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while listed
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found
