"""A one-line progress bar on stderr: enough for folders without another dependency."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    WIDTH = 30

    def __init__(self, total: int) -> None:
        self._total = total
        self._started = time.monotonic()
        self.update(0, "")

    def update(self, done: int, name: str) -> None:
        filled = round(self.WIDTH * done / self._total)
        elapsed = time.monotonic() - self._started
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{self._total} {elapsed:5.1f} s {name[:30]:30}")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
