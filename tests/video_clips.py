"""Small clips with known ground truth for the video tests: the benchmark's own clip
maker (benchmarks/video_scenes.py: real photos, a virtual camera, a real object cut
from another photo) at a size the tests run quickly on."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from video_scenes import Clip, build_clip  # noqa: E402

SIZE = (96, 160)


def small_clip(kind: str, camera: str, variant: str = "clean", frames: int = 16,
               size: tuple[int, int] = SIZE, dilate: int = 4, index: int = 0) -> Clip:
    return build_clip("dev", kind, camera, variant, frames=frames, size=size, dilate=dilate,
                      index=index)


def as_images(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frames.astype(np.float32) / 255)


def as_masks(masks: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(masks.astype(np.float32))


def to_u8(images: torch.Tensor) -> np.ndarray:
    return (images * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()


def psnr(result: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    difference = result[where].astype(np.float64) - truth[where].astype(np.float64)
    return float(10 * np.log10(255**2 / max(float(np.mean(difference**2)), 1e-12)))
