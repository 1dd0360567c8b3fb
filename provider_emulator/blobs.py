"""The files the CDN origin serves: uploaded images and results."""

from __future__ import annotations

import itertools
import math
import secrets
import threading
from dataclasses import dataclass

from .clock import Clock, SystemClock

# First id of a base64_to_url reply; any integer would do.
FIRST_UPLOAD_ID = 5_000_000
# Files kept; the oldest go first (the real CDN forgets uploads after 24 h).
MAX_BLOBS = 512


@dataclass(frozen=True)
class Blob:
    """Stored bytes, their Content-Type, and when they become downloadable."""

    data: bytes
    content_type: str
    available_at: float = -math.inf


class BlobStore:
    """Thread-safe map of CDN paths ("uploads/x.png", "outputs/1.png") to Blob."""

    def __init__(self, max_blobs: int = MAX_BLOBS, *, clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self._clock: Clock = clock or SystemClock()
        self._max_blobs = max_blobs
        self._blobs: dict[str, Blob] = {}
        self._upload_ids = itertools.count(FIRST_UPLOAD_ID)

    def store_upload(self, data: bytes, extension: str, content_type: str) -> tuple[int, str]:
        """Keep an upload under a random name; returns (upload id, CDN path)."""
        path = self.store_unguessable("uploads", data, extension, content_type)
        with self._lock:
            return next(self._upload_ids), path

    def store_unguessable(self, folder: str, data: bytes, extension: str,
                          content_type: str) -> str:
        """Keep bytes under `folder/<random hex>.<extension>`, available now; returns the path."""
        # A random name, like the real CDN's, so URLs can't be guessed.
        path = f"{folder}/{secrets.token_hex(16)}.{extension}"
        with self._lock:
            self._keep(path, Blob(data, content_type))
        return path

    def store(
        self, path: str, data: bytes, content_type: str, available_at: float | None = None
    ) -> None:
        """Keep bytes under a path, downloadable from the clock time `available_at` (now)."""
        if available_at is None:
            available_at = self._clock.now()
        with self._lock:
            self._keep(path, Blob(data, content_type, available_at))

    def get(self, path: str) -> Blob | None:
        """The blob at a path if it exists and is available by the clock's now."""
        now = self._clock.now()
        with self._lock:
            blob = self._blobs.get(path)
        return blob if blob is not None and blob.available_at <= now else None

    def clear(self) -> None:
        with self._lock:
            self._blobs.clear()

    def _keep(self, path: str, blob: Blob) -> None:
        # Caller holds the lock. dicts keep insertion order: the first key is the oldest.
        self._blobs.pop(path, None)
        self._blobs[path] = blob
        while len(self._blobs) > self._max_blobs:
            del self._blobs[next(iter(self._blobs))]
