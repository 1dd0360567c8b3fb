"""What the emulator received: every request, kept in order for the tests to inspect."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .multipart import UploadedFile


class Headers(dict[str, str]):
    """HTTP headers: names stored lower-cased, looked up in any case.

    A repeated header is joined with ", " as RFC 9110 allows.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        for name, value in pairs:
            self[name] = f"{self[name]}, {value}" if name in self else value

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __setitem__(self, name: str, value: str) -> None:
        super().__setitem__(name.lower(), value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass
class RecordedRequest:
    """One request as received, with what was parsed from it."""

    endpoint: str
    method: str
    path: str
    headers: Headers
    body: bytes
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    key: str | None = None
    time: float = 0.0


class RequestLog:
    """A thread-safe, ordered list of RecordedRequest, optionally only the latest ones.

    A bound keeps a long-running command-line emulator from holding every
    uploaded image in memory; tests use the unbounded default.
    """

    def __init__(self, max_items: int | None = None) -> None:
        self._lock = threading.Lock()
        self._items: deque[RecordedRequest] = deque(maxlen=max_items)

    def append(self, request: RecordedRequest) -> None:
        with self._lock:
            self._items.append(request)

    def snapshot(self, endpoint: str | None = None) -> list[RecordedRequest]:
        """A copy of the list, optionally only one endpoint's requests."""
        with self._lock:
            return [r for r in self._items if endpoint is None or r.endpoint == endpoint]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
