"""One request, one payment: while a run pays for a request, another run asking for the
same waits for that result instead of paying again.

The claim on a request's key lives in this process (`LocalClaims`); with a shared
store it is also held in Redis for every worker, under a lease that runs out if the
paying worker dies (`shared.jobs.SharedClaims`). A run whose payer gives up without a
result (it failed, was cancelled, or its worker died) takes the claim and pays itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..errors import Cancelled
from ..run_context import CancelSignal

# How often a run waiting for another's payment looks for the result.
PAYMENT_CHECK_SECONDS = 0.1


class Claims(Protocol):
    def claim(self, name: str) -> bool:
        """Take `name`; False while another holder has it."""
        ...

    def claimed(self, name: str) -> bool: ...

    def release(self, name: str) -> None: ...


class ResultStore(Protocol):
    """What keeps paid results: `ResultCache` (this machine) or its shared variant."""

    def get(self, key: str) -> bytes | None: ...

    def touch(self, key: str) -> bool: ...

    def contains(self, key: str) -> bool: ...

    def put(self, key: str, data: bytes) -> None: ...


class LocalClaims:
    """Claims held in this process, one set per `scope` (a store's name)."""

    _lock = threading.Lock()
    _held: set[tuple[str, str]] = set()

    def __init__(self, scope: str) -> None:
        self._scope = scope

    def claim(self, name: str) -> bool:
        with self._lock:
            if (self._scope, name) in self._held:
                return False
            self._held.add((self._scope, name))
            return True

    def claimed(self, name: str) -> bool:
        with self._lock:
            return (self._scope, name) in self._held

    def release(self, name: str) -> None:
        with self._lock:
            self._held.discard((self._scope, name))


def pay_once(results: ResultStore, claims: Claims, key: str, pay: Callable[[], bytes], *,
             cancel: CancelSignal | None, waiting: Callable[[], None]) -> tuple[bytes, bool]:
    """The result kept under `key`, else `pay()`'s, kept before it is returned; and whether
    it was paid for now. While another run holds the claim on `key`, `waiting()` is
    called once and this waits (Cancel ends the wait) for its result."""
    said = False
    while True:
        data = results.get(key)
        if data is not None:
            return data, False
        if claims.claim(key):
            try:
                data = results.get(key)  # kept by the payer that just let go
                if data is not None:
                    return data, False
                data = pay()
                results.put(key, data)  # kept even if the run was cancelled: it is paid for
                return data, True
            finally:
                claims.release(key)
        if not said:
            waiting()
            said = True
        while claims.claimed(key) and not results.contains(key):
            if cancel is None:
                time.sleep(PAYMENT_CHECK_SECONDS)
            elif cancel.wait(PAYMENT_CHECK_SECONDS):
                raise Cancelled("cancelled")
