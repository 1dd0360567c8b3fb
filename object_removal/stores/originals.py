"""The pictures sent for text removal, kept so a later FetchResult can composite.

A job handle is plain text that may be pasted into a run days later, and keeping
the user's pixels needs the picture that was sent. So at submit time it is kept
here, in the cache folder (lossless PNG, written atomically, the least recently
used dropped beyond a cap, like paid-for results), under the first 16 hex digits
of a hash of its pixels. The handle carries those digits (`...#<identity>`): a
short name, not the picture, and it tells nothing about the pixels to whoever
reads the workflow.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import ObjectRemovalError
from ..imaging.codec import decode_image, encode_png
from .paying import ResultStore
from .result_cache import ResultCache, request_key

log = logging.getLogger(__name__)

IDENTITY_LENGTH = 16
# Originals are big (a 4000x3000 photo is ~20 MB as PNG): a cap of their own, so they
# never push paid-for results out of the result cache.
MAX_BYTES = 1024 * 1024 * 1024
# Fast PNG: the file is written on every submit and read back rarely.
PNG_COMPRESS_LEVEL = 1


def identity_of(rgb: np.ndarray) -> str:
    """The name an (H, W, 3) uint8 picture is kept under: a hash of its size and pixels."""
    height, width = rgb.shape[:2]
    return request_key(f"{width}x{height}", np.ascontiguousarray(rgb).tobytes())[
        :IDENTITY_LENGTH]


class OriginalStore:
    """Originals by identity under `cache_dir/originals`. Failures only log: a missing
    original means FetchResult cannot composite, never a failed run."""

    def __init__(self, cache_dir: Path, max_bytes: int = MAX_BYTES,
                 files: ResultStore | None = None) -> None:
        """`files`: where the pictures are kept, if not (only) in `cache_dir/originals`
        (a store shared by several workers)."""
        self._files: ResultStore = files or ResultCache(cache_dir / "originals", max_bytes)

    def keep(self, rgb: np.ndarray, png: bytes | None = None) -> str:
        """Keep `rgb` (unless kept already) and return its identity. `png`, if given,
        must be a lossless PNG of exactly these pixels (saves encoding it again)."""
        identity = identity_of(rgb)
        if not self._files.touch(identity):  # kept already: only marked as recently used
            self._files.put(identity, png if png is not None else
                            encode_png(rgb, compress_level=PNG_COMPRESS_LEVEL))
        return identity

    def load(self, identity: str) -> np.ndarray | None:
        """The kept picture, or None if it is gone or no longer matches its identity."""
        data = self._files.get(identity)
        if data is None:
            return None
        try:
            rgb = decode_image(data, "a kept original")
        except ObjectRemovalError as exc:
            log.warning("kept original %s is unreadable: %s", identity, exc)
            return None
        if identity_of(rgb) != identity:
            log.warning("kept original %s does not match its identity", identity)
            return None
        return rgb
