"""Paid-for results kept on disk, so the same request is never paid for twice.

ComfyUI caches node outputs only while the server runs; this survives restarts,
cancelled runs and edits elsewhere in the graph. Entries are keyed by a hash of
exactly what was sent (and where), written atomically, and the least recently used
go first when the folder grows past its cap.

An index of the folder (sizes, in order of use) is kept in memory, one per folder
and process, so a write costs the same with ten files kept or a hundred thousand:
the folder is scanned once, and again at most every RESCAN_SECONDS (another ComfyUI
process may share it), never on every write.
Pruning goes down to PRUNE_TO of the cap, so it does not run on every write either.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from .atomic_files import write_atomically

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
PRUNE_TO = 0.9
RESCAN_SECONDS = 60.0


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
        self._index = _index_of(directory)

    def get(self, key: str) -> bytes | None:
        try:
            data = self._path(key).read_bytes()
        except OSError:
            self._index.forget(key)
            return None
        self._touched(key, len(data))
        return data

    def touch(self, key: str) -> bool:
        """Mark an entry as recently used, without reading it; False if there is none."""
        try:
            size = self._path(key).stat().st_size
        except OSError:
            self._index.forget(key)
            return False
        return self._touched(key, size)

    def _touched(self, key: str, size: int) -> bool:
        try:
            os.utime(self._path(key))  # recently used, for other processes' scans too
        except OSError:
            return False
        self._index.used(key, size)
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
        self._index.used(key, len(data))
        if self._index.total > self._max_bytes or self._index.stale():
            self._index.prune(self._max_bytes, self._path)

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("cache keys are hex digests or numeric ids")
        return self._directory / key[:2] / key


class _FolderIndex:
    """Sizes of the kept files, least recently used first."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, int] | None = None
        self._scanned_at = -float("inf")
        self.total = 0

    def used(self, key: str, size: int) -> None:
        with self._lock:
            entries = self._loaded()
            self.total += size - entries.pop(key, 0)
            entries[key] = size

    def forget(self, key: str) -> None:
        with self._lock:
            if self._entries is not None and key in self._entries:
                self.total -= self._entries.pop(key)

    def stale(self) -> bool:
        return time.monotonic() - self._scanned_at > RESCAN_SECONDS

    def prune(self, max_bytes: int, path_of: Callable[[str], Path]) -> None:
        with self._lock:
            if self.stale():
                self._entries = None  # see what other processes added or removed
            entries = self._loaded()
            while entries and self.total > max_bytes * PRUNE_TO:
                key, size = entries.popitem(last=False)
                self.total -= size
                try:
                    path_of(key).unlink()
                except OSError:
                    pass  # already gone (another process pruned it)

    def _loaded(self) -> OrderedDict[str, int]:
        if self._entries is None:
            found: list[tuple[float, str, int]] = []
            try:
                for folder in os.scandir(self._directory):
                    if not folder.is_dir():
                        continue
                    for entry in os.scandir(folder.path):
                        if entry.is_file() and not entry.name.startswith("."):
                            stat = entry.stat()
                            found.append((stat.st_mtime, entry.name, stat.st_size))
            except OSError:
                pass  # a missing folder holds nothing yet
            found.sort()
            self._entries = OrderedDict((name, size) for _, name, size in found)
            self.total = sum(self._entries.values())
            self._scanned_at = time.monotonic()
        return self._entries


_indexes_lock = threading.Lock()
_indexes: dict[str, _FolderIndex] = {}


def _index_of(directory: Path) -> _FolderIndex:
    with _indexes_lock:
        return _indexes.setdefault(os.path.abspath(directory), _FolderIndex(directory))
