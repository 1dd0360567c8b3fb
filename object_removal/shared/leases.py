"""Leases: what a worker holds in Redis (a claim on a submit or a payment, a slot of an
account's limit) expires unless that worker renews it, so a worker that dies (killed,
its machine gone) frees everything it held within LEASE_SECONDS.

One keeper thread per process renews every lease it holds three times a lease, and
runs the releases the event loop hands it (a loop must never wait on a socket).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable

from ..run_context import RunContext
from .redis_link import KEY_PREFIX, RedisLink, SharedStoreDown

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0

_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW_IF_OURS = """
local renewed = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    renewed = renewed + 1
  end
end
return renewed
"""


def lease_ms() -> int:
    return int(LEASE_SECONDS * 1000)


def renew_seconds() -> float:
    # Three renewals per lease: one late or failed renewal does not lose it.
    return LEASE_SECONDS / 3


def new_token() -> str:
    """A holder's name: random, so it tells nothing about the worker or its machine."""
    return uuid.uuid4().hex


class LeaseKeeper:
    """The thread that keeps this process's leases alive and runs queued releases."""

    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._wake = threading.Condition()
        self._renewals: dict[int, Callable[[], None]] = {}
        self._queued: list[Callable[[], None]] = []
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False

    def keep(self, renew: Callable[[], None]) -> int:
        """Call `renew` every renew_seconds() (raising SharedStoreDown is fine) until
        `drop(id)`."""
        with self._wake:
            number = next(self._ids)
            self._renewals[number] = renew
            self._started()
            return number

    def drop(self, number: int) -> None:
        with self._wake:
            self._renewals.pop(number, None)

    def soon(self, work: Callable[[], None]) -> None:
        """Run `work` in the keeper's thread at once (a release the event loop hands off)."""
        with self._wake:
            self._queued.append(work)
            self._started()
            self._wake.notify_all()

    def close(self) -> None:
        """Stop renewing (what is held then runs out, as a dead worker's would)."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    def _started(self) -> None:
        # A forked child (a worker pool) has no thread of its parent: start its own.
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="object-removal-leases",
                                            daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        next_renewal = time.monotonic() + renew_seconds()
        while True:
            with self._wake:
                wait = next_renewal - time.monotonic()
                if not self._queued and wait > 0 and not self._closed:
                    self._wake.wait(wait)
                if self._closed:
                    return
                queued, self._queued = self._queued, []
                due = time.monotonic() >= next_renewal
                renewals = list(self._renewals.values()) if due else []
            if due:
                next_renewal = time.monotonic() + renew_seconds()
            for work in queued + renewals:
                try:
                    work()
                except SharedStoreDown:
                    pass  # said by the link; a lease not renewed runs out, as it should
                except Exception:
                    log.debug("a lease's renewal or release failed", exc_info=True)


class RedisClaims:
    """Claims by name (a job's fingerprint, a request's key) every worker sees: while one
    worker holds a name, no other can take it; its lease is renewed while it is held."""

    def __init__(self, link: RedisLink, keeper: LeaseKeeper, kind: str) -> None:
        self._link = link
        self._kind = kind
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}
        keeper.keep(self._renew)

    def take(self, name: str, ctx: RunContext | None) -> bool:
        """The claim on `name`, or False while another holder has it (SharedStoreDown if
        Redis is away)."""
        token, key = new_token(), self._key(name)
        taken = self._link.run(lambda client: client.set(key, token, nx=True, px=lease_ms()),
                               ctx)
        if taken:
            with self._lock:
                self._tokens[name] = token
        return bool(taken)

    def taken(self, name: str, ctx: RunContext | None) -> bool:
        key = self._key(name)
        return bool(self._link.run(lambda client: client.exists(key), ctx))

    def give_back(self, name: str, ctx: RunContext | None) -> None:
        with self._lock:
            token = self._tokens.pop(name, None)
        if token is not None:
            self._link.script(_RELEASE_IF_OURS, [self._key(name)], [token], ctx)

    def _renew(self) -> None:
        with self._lock:
            held = list(self._tokens.items())
        if held:
            self._link.script(_RENEW_IF_OURS, [self._key(name) for name, _ in held],
                              [lease_ms(), *(token for _, token in held)], None)

    def _key(self, name: str) -> str:
        if not name.isalnum():
            raise ValueError("claims are named by hex digests")
        return f"{KEY_PREFIX}claim:{self._kind}:{name}"


_keepers_lock = threading.Lock()
_keepers: dict[RedisLink, LeaseKeeper] = {}
_claims: dict[tuple[RedisLink, str], RedisClaims] = {}


def keeper_for(link: RedisLink) -> LeaseKeeper:
    with _keepers_lock:
        keeper = _keepers.get(link)
        if keeper is None:
            keeper = _keepers[link] = LeaseKeeper(link)
        return keeper


def forget_keepers() -> None:
    with _keepers_lock:
        for keeper in _keepers.values():
            keeper.close()
        _keepers.clear()
        _claims.clear()


def claims_for(link: RedisLink, kind: str) -> RedisClaims:
    """The claims of one kind ("submit", "pay") this process holds in `link`'s Redis."""
    keeper = keeper_for(link)
    with _keepers_lock:
        claims = _claims.get((link, kind))
        if claims is None:
            claims = _claims[link, kind] = RedisClaims(link, keeper, kind)
        return claims
