"""Paid-for results kept on disk, so the same request is never paid for twice.

ComfyUI caches node outputs only while the server runs; this survives
restarts, cancelled runs and edits elsewhere in the graph. Entries are keyed
by a hash of exactly what was sent (and where), written atomically, and the
least recently used ones go first when the folder grows past its cap.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from .atomic_files import write_atomically

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def request_key(*parts: bytes | str) -> str:
    """A stable hash of the parts, each length-prefixed so boundaries can't shift."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class ResultCache:
    """Files named by key under `directory`. Failures to read or write only log:
    the cache saves money, it must never break a run."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._directory = directory
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        self.touch(key)
        return data

    def touch(self, key: str) -> bool:
        """Mark an entry as recently used, without reading it; False if there is none."""
        try:
            os.utime(self._path(key))
        except OSError:
            return False
        return True

    def contains(self, key: str) -> bool:
        return self._path(key).is_file()

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            write_atomically(path, data)
        except OSError as exc:
            log.warning("could not keep a result in %s: %s", self._directory, exc)
            return
        self._prune()

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("cache keys are hex digests or numeric ids")
        return self._directory / key[:2] / key

    def _prune(self) -> None:
        with self._lock:
            try:
                files = [p for p in self._directory.glob("*/*") if p.is_file()]
                stats = [(p, p.stat()) for p in files]
            except OSError:
                return
            total = sum(s.st_size for _, s in stats)
            for path, stat in sorted(stats, key=lambda item: item[1].st_mtime):
                if total <= self._max_bytes:
                    break
                try:
                    path.unlink()
                    total -= stat.st_size
                except OSError:
                    pass
