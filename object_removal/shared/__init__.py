"""The store several workers on one account share (Redis), when one is set
(`OBJECT_REMOVAL_REDIS_URL` or `[shared] redis_url`); this machine's own stores
otherwise. What the engine asks for here (a result store, the job store, the
originals, an account's limit, the claims on payments) is the shared variant with
Redis and the local one without it, behind the same interface.

| module | responsibility |
|---|---|
| `redis_link.py` | the client (lazy import, timeouts), Redis' health, the note said once |
| `leases.py` | leases a worker renews while it holds them (claims, slots), the keeper thread |
| `results.py` | results and originals in Redis: capped, least recently used dropped first |
| `jobs.py` | ModelsLab jobs and the claims on submits and payments, for every worker |
| `limits.py` | one learnt limit per account and provider across workers, its slots as leases |
"""

from __future__ import annotations

from .. import concurrency
from ..concurrency import AccountLimit
from ..config import Settings
from ..run_context import RunContext
from ..stores.job_store import JobStore
from ..stores.originals import MAX_BYTES as ORIGINALS_MAX_BYTES
from ..stores.originals import OriginalStore
from ..stores.paying import Claims, LocalClaims, ResultStore
from ..stores.result_cache import ResultCache
from .jobs import SharedClaims, SharedJobStore
from .leases import claims_for, forget_keepers, keeper_for
from .limits import forget_shared_limits, shared_limit
from .redis_link import forget_links, link_for
from .results import SharedResults

# How the Redis memory the user allows (`cache_mb`) is split: paid results, and the
# pictures sent for text removal (needed only by a FetchResult on another worker).
RESULTS_SHARE = 0.75
# What a run's final status line adds when Redis was away during it.
WITHOUT_SHARED_STORE = "without the shared store (Redis unreachable)"


def result_store(settings: Settings, ctx: RunContext | None, folder: str) -> ResultStore:
    """Paid results of one kind, kept in `cache_dir/folder` (and in Redis for every worker)."""
    local = ResultCache(settings.cache_dir / folder)
    if settings.shared is None:
        return local
    link = link_for(settings.shared)
    return SharedResults(link, "results", int(link.cache_bytes * RESULTS_SHARE), local, ctx)


def original_store(settings: Settings, ctx: RunContext | None) -> OriginalStore:
    """The pictures sent for text removal, for a FetchResult on any worker."""
    if settings.shared is None:
        return OriginalStore(settings.cache_dir)
    link = link_for(settings.shared)
    local = ResultCache(settings.cache_dir / "originals", ORIGINALS_MAX_BYTES)
    files = SharedResults(link, "originals", int(link.cache_bytes * (1 - RESULTS_SHARE)),
                          local, ctx)
    return OriginalStore(settings.cache_dir, files=files)


def job_store(settings: Settings, ctx: RunContext | None) -> JobStore | SharedJobStore:
    """ModelsLab jobs submitted and not yet collected, and the claims on submits."""
    local = JobStore(settings.cache_dir / "modelslab-jobs")
    if settings.shared is None:
        return local
    link = link_for(settings.shared)
    return SharedJobStore(link, local, claims_for(link, "submit"), ctx)


def payment_claims(settings: Settings, ctx: RunContext | None, scope: str) -> Claims:
    """Claims on paying for a request (`stores.paying`): this process's, and every
    worker's with Redis."""
    local = LocalClaims(scope)
    if settings.shared is None:
        return local
    link = link_for(settings.shared)
    return SharedClaims(local, claims_for(link, "pay"), ctx)


def account_limit(settings: Settings, ctx: RunContext | None, vendor: str, origin: str,
                  key: str, *, start: int, ceiling: int) -> AccountLimit:
    """How many calls or jobs of this account may be in flight: in this process, or
    across every worker with Redis."""
    if settings.shared is None:
        return concurrency.account_limit(vendor, origin, key, start=start, ceiling=ceiling)
    link = link_for(settings.shared)
    return shared_limit(link, keeper_for(link), vendor, origin, key, start=start,
                        ceiling=ceiling).for_run(ctx)


def shared_store_note(settings: Settings, ctx: RunContext) -> str:
    """What a run's final status line adds when it used this worker's own stores because
    Redis was away; "" otherwise."""
    if settings.shared is not None and link_for(settings.shared).fell_back(ctx):
        return WITHOUT_SHARED_STORE
    return ""


def forget_shared_state() -> None:
    """Connect afresh, with nothing held or learnt (tests; each has its own Redis)."""
    forget_shared_limits()
    forget_keepers()
    forget_links()
