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

from ..run_context import RunContext
from ..stores.paying import ResultStore
from .redis_link import KEY_PREFIX, RedisLink, SharedStoreDown

# KEYS: entry, order (zset: name -> use tick), sizes (hash: name -> bytes), total, tick
# ARGV: name, value, cap, entry key prefix. Returns how many entries were dropped, or
# -1 if the value alone is over the cap (then nothing is kept).
_PUT = """
local size = string.len(ARGV[2])
local cap = tonumber(ARGV[3])
if size > cap then return -1 end
local old = tonumber(redis.call('HGET', KEYS[3], ARGV[1])) or 0
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], size)
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5]), ARGV[1])
local total = redis.call('INCRBY', KEYS[4], size - old)
local dropped = 0
while total > cap do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  if #oldest == 0 then break end
  local gone = tonumber(redis.call('HGET', KEYS[3], oldest[1])) or 0
  redis.call('HDEL', KEYS[3], oldest[1])
  redis.call('DEL', ARGV[4] .. oldest[1])
  total = redis.call('INCRBY', KEYS[4], -gone)
  dropped = dropped + 1
end
return dropped
"""

# The entry (ARGV[2] "1") or whether it exists ("0"), marked as just used. An entry
# gone (flushed, or evicted by Redis' own policy) leaves the index; one the index lost
# joins it again, so the count heals.
_USE = """
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
if ARGV[2] == '1' then return redis.call('GET', KEYS[1]) end
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
        try:
            data = self._use(key, read=True)
        except SharedStoreDown:
            return self._local.get(key)
        if data is not None:
            return bytes(data)
        data = self._local.get(key)
        if data is not None:  # paid here before Redis was set or while it was away
            self._shared_put(key, data)
        return data

    def touch(self, key: str) -> bool:
        """Marks the entry as recently used; False if Redis lacks it (even if this worker's
        folder has it, so that a put shares it)."""
        local = self._local.touch(key)
        try:
            return self._use(key, read=False) is not None
        except SharedStoreDown:
            return local

    def contains(self, key: str) -> bool:
        try:
            if self._link.run(lambda client: client.exists(self._entry(key)), self._ctx):
                return True
        except SharedStoreDown:
            pass
        return self._local.contains(key)

    def put(self, key: str, data: bytes) -> None:
        self._local.put(key, data)
        self._shared_put(key, data)

    def _shared_put(self, key: str, data: bytes) -> None:
        try:
            self._link.script(_PUT, self._keys(key),
                              [key, data, self._max_bytes, self._prefix + "entry:"], self._ctx)
        except SharedStoreDown:
            pass

    def _use(self, key: str, *, read: bool) -> bytes | int | None:
        return self._link.script(_USE, self._keys(key), [key, "1" if read else "0"],
                                 self._ctx)

    def _keys(self, key: str) -> list[str]:
        return [self._entry(key), self._prefix + "order", self._prefix + "sizes",
                self._prefix + "total", KEY_PREFIX + "tick"]

    def _entry(self, key: str) -> str:
        if not key.isalnum():
            raise ValueError("cache keys are hex digests or numeric ids")
        return f"{self._prefix}entry:{key}"
