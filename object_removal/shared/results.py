"""Paid-for results (and the pictures sent for text removal) kept in Redis for every
worker, with this worker's own folder beneath.

Each pool ("ailab", "modelslab-results", "originals") has its own cap: the pack
counts the bytes it keeps and drops the least recently used entries itself, in the
same Lua script that writes (atomic across workers), so the total stays within the
cap whatever Redis' own `maxmemory-policy` is. Entries are named by the request's
hash; what is kept is the provider's picture, nothing of the configuration.

Reading looks in Redis first, then in this worker's folder (a result it paid for
before Redis was set, or while Redis was away; found there, it is shared too).
Writing goes to both, so losing Redis loses nothing this worker kept.
"""

from __future__ import annotations

from typing import Any

from ..run_context import RunContext
from ..stores.paying import ResultStore
from .redis_link import KEY_PREFIX, RedisLink, SharedStoreDown

# Run in one transaction right after the entry's SET (MULTI/EXEC: no other worker comes
# between them), so the picture itself never passes through Lua.
# KEYS: order (zset: name -> use tick), sizes (hash: name -> bytes), total, tick
# ARGV: name, size, cap, entry key prefix. Returns how many entries were dropped.
_INDEX_PUT = """
local size = tonumber(ARGV[2])
local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1])) or 0
redis.call('HSET', KEYS[2], ARGV[1], size)
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[4]), ARGV[1])
local total = redis.call('INCRBY', KEYS[3], size - old)
local dropped = 0
while total > tonumber(ARGV[3]) do
  local oldest = redis.call('ZPOPMIN', KEYS[1])
  if #oldest == 0 then break end
  local gone = tonumber(redis.call('HGET', KEYS[2], oldest[1])) or 0
  redis.call('HDEL', KEYS[2], oldest[1])
  redis.call('DEL', ARGV[4] .. oldest[1])
  total = redis.call('INCRBY', KEYS[3], -gone)
  dropped = dropped + 1
end
return dropped
"""

# Marks an entry as just used (1), or says it is gone (nil); run in one transaction with
# the GET that reads it. An entry gone (flushed, or evicted by Redis' own policy) leaves
# the index; one the index lost joins it again, so the count heals.
# KEYS: entry, order, sizes, total, tick. ARGV: name.
_INDEX_USE = """
local size = redis.call('STRLEN', KEYS[1])
local known = redis.call('HGET', KEYS[3], ARGV[1])
if size == 0 then
  if known then
    redis.call('HDEL', KEYS[3], ARGV[1])
    redis.call('ZREM', KEYS[2], ARGV[1])
    redis.call('DECRBY', KEYS[4], known)
  end
  return false
end
if not known then
  redis.call('HSET', KEYS[3], ARGV[1], size)
  redis.call('INCRBY', KEYS[4], size)
end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5]), ARGV[1])
return 1
"""


class SharedResults:
    """What `ResultCache` offers (get, touch, contains, put), kept in Redis for every
    worker and in `local` for this one. Redis away: `local` alone, and the run is told."""

    def __init__(self, link: RedisLink, pool: str, max_bytes: int, local: ResultStore,
                 ctx: RunContext | None) -> None:
        self._link = link
        self._local = local
        self._ctx = ctx
        self._max_bytes = max_bytes
        self._prefix = f"{KEY_PREFIX}result:{pool}:"

    def get(self, key: str) -> bytes | None:
        self._entry(key)  # a bad key is the caller's mistake, not Redis' failure
        try:
            data = self._link.run(lambda client: self._use(client, key, read=True), self._ctx)
        except SharedStoreDown:
            return self._local.get(key)
        if data is not None:
            return data
        data = self._local.get(key)
        if data is not None:  # paid here before Redis was set or while it was away
            self._shared_put(key, data)
        return data

    def touch(self, key: str) -> bool:
        """Marks the entry as recently used; False if Redis lacks it (even if this worker's
        folder has it, so that a put shares it)."""
        local = self._local.touch(key)  # checks the key
        try:
            return self._link.run(lambda client: self._use(client, key, read=False),
                                  self._ctx) is not None
        except SharedStoreDown:
            return local

    def contains(self, key: str) -> bool:
        entry = self._entry(key)
        try:
            if self._link.run(lambda client: client.exists(entry), self._ctx):
                return True
        except SharedStoreDown:
            pass
        return self._local.contains(key)

    def put(self, key: str, data: bytes) -> None:
        self._local.put(key, data)
        self._shared_put(key, data)

    def _shared_put(self, key: str, data: bytes) -> None:
        if len(data) > self._max_bytes:
            return  # alone over the cap: kept on this worker only

        def put(client: Any) -> None:
            transaction = client.pipeline(transaction=True)
            transaction.set(self._entry(key), data)
            self._link.registered(client, _INDEX_PUT)(
                keys=self._keys(), args=[key, len(data), self._max_bytes,
                                             self._prefix + "entry:"], client=transaction)
            transaction.execute()

        try:
            self._link.run(put, self._ctx)
        except SharedStoreDown:
            pass

    def _use(self, client: Any, key: str, *, read: bool) -> bytes | int | None:
        """The entry (or with `read` False, 1) marked as just used; None if it is gone."""
        transaction = client.pipeline(transaction=True)
        self._link.registered(client, _INDEX_USE)(keys=[self._entry(key), *self._keys()],
                                                  args=[key], client=transaction)
        if read:
            transaction.get(self._entry(key))
        found = transaction.execute()
        if found[0] is None:
            return None
        return found[1] if read else 1

    def _keys(self) -> list[str]:
        """The pool's index: order of use, sizes, total; and the shared use counter."""
        return [self._prefix + "order", self._prefix + "sizes", self._prefix + "total",
                KEY_PREFIX + "tick"]

    def _entry(self, key: str) -> str:
        if not key.isalnum():
            raise ValueError("cache keys are hex digests or numeric ids")
        return f"{self._prefix}entry:{key}"
