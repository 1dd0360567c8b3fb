"""A clip's paid keyframe fills, kept on disk so that running the same clip again never
pays for them again.

The providers keep what they were paid for by exactly what was sent; a clip's
keyframes are sent with other frames' pixels propagated into them, which a float's
last bit could change between two runs. So the clip keeps its own record, keyed by
what the user gave (the frames, the holes, the provider and the settings): which
keyframes were chosen (written before the first paid call, so a cancelled run
resumes with the same ones) and each keyframe's fill as it came back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import numpy as np

from ..imaging.codec import decode_image, encode_png
from ..stores.result_cache import ResultCache, request_key
from .clip import Clip

VERSION = "video-keyframes-1"


def clip_digest(clip: Clip) -> str:
    """A hash of the frames and holes, read in place (no copy of the clip)."""
    digest = hashlib.sha256()
    digest.update(repr(tuple(clip.frames.shape)).encode())
    for frame in clip.frames:
        digest.update(memoryview(frame.numpy()).cast("B"))
    for hole in clip.holes:
        digest.update(b"-" if hole is None else np.packbits(hole.numpy()).tobytes())
    return digest.hexdigest()


class KeptFills:
    """The record of one clip with one provider and settings."""

    def __init__(self, cache: ResultCache, clip: Clip, settings: Iterable[str]) -> None:
        self._cache = cache
        self._key = request_key(VERSION, clip_digest(clip), *settings)

    def keyframes(self) -> list[int] | None:
        data = self._cache.get(request_key(self._key, "keyframes"))
        if data is None:
            return None
        try:
            found = json.loads(data)
            return [int(k) for k in found["keyframes"]]
        except (ValueError, KeyError, TypeError):
            return None  # unreadable: choose again

    def remember_keyframes(self, keyframes: list[int]) -> None:
        data = json.dumps({"keyframes": keyframes}).encode()
        self._cache.put(request_key(self._key, "keyframes"), data)

    def fill(self, keyframe: int) -> np.ndarray | None:
        data = self._cache.get(request_key(self._key, "fill", str(keyframe)))
        if data is None:
            return None
        try:
            return decode_image(data, "a kept keyframe fill")
        except Exception:
            return None  # damaged: fill it again

    def keep_fill(self, keyframe: int, rgb: np.ndarray) -> None:
        self._cache.put(request_key(self._key, "fill", str(keyframe)), encode_png(rgb, 1))

    def has_fill(self, keyframe: int) -> bool:
        return self._cache.contains(request_key(self._key, "fill", str(keyframe)))

