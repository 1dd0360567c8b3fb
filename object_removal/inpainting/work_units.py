"""Units of offline work: where Cancel is noticed, and a count of them for its tests.

Every offline backend calls `unit_of_work` before each piece of work that takes well
under a second (a PatchMatch round at one scale, a Telea crop, a model window), so an
abandoned fill stops within a second of Cancel instead of running to its end.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from ..errors import Cancelled

_counter = itertools.count(1)
_started = [0]


def units_started() -> int:
    """How many units of offline work this process has started (stops on Cancel)."""
    return _started[0]


def unit_of_work(cancelled: Callable[[], bool]) -> None:
    """Raise Cancelled if `cancelled()` says so; else count the unit about to start."""
    if cancelled():
        raise Cancelled("cancelled")
    _started[0] = next(_counter)  # itertools.count is atomic under the GIL
