"""The shared store (Redis) in one process, against a real redis-server: its setting,
results kept for every worker within their cap, jobs and claims, the account's limit
across workers, leases that run out when nobody renews them, and Redis away (never
reached, stopped, stalled) costing no run. Two workers are two sets of stores with
their own folders (and, for the limit, their own lease keepers); the tests of
separate processes are in test_shared_workers.py."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from redis_server import (  # noqa: F401 (fixtures)
    RedisServer,
    fresh_redis,
    redis_or_skip,
    redis_server,
)

from object_removal import concurrency
from object_removal.concurrency import AdaptiveLimit
from object_removal.config import load_settings, redis_where
from object_removal.errors import Cancelled, ObjectRemovalError
from object_removal.mask.parameters import MaskInputs
from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask
from object_removal.run_context import RunContext
from object_removal.shared import leases, redis_link
from object_removal.shared.jobs import SharedJobStore
from object_removal.shared.leases import LeaseKeeper, RedisClaims
from object_removal.shared.limits import SharedLimit
from object_removal.shared.redis_link import KEY_PREFIX, RedisLink
from object_removal.shared.results import SharedResults
from object_removal.stores.job_store import JobStore
from object_removal.stores.result_cache import ResultCache, request_key
from object_removal.text.removal import collect_result, remove_by_text
from support import (
    AILAB_KEY,
    MODELSLAB_KEY,
    disc_mask,
    image_tensor,
    photo_like,
    photo_with_object,
    run,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def shared(fresh_redis, monkeypatch):
    """The pack pointed at the test's Redis (and the emulator, via `settings`)."""
    monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", fresh_redis.url)
    return fresh_redis


def link_to(server: RedisServer, cache_mb: int = 64) -> RedisLink:
    from object_removal.config import SharedSettings

    return RedisLink(SharedSettings(server.url, redis_where(server.url), cache_mb << 20))


def masked_removal(images, ctx: RunContext, provider: str = "ailab", seed: int = 5):
    mask = disc_mask(images.shape[1], images.shape[2], 30, 40, 9)
    options = MaskRemovalOptions(provider=provider, inputs=MaskInputs(seed=seed,
                                                                      dilate_size=3))
    return run(remove_by_mask(images, mask, options, ctx, settings=load_settings()))


# --- the setting ------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "where"), [
    ("redis://:s3cret-pass@10.0.0.5:6380/2", "redis://10.0.0.5:6380/2"),
    ("rediss://worker:s3cret-pass@cache.example.com/0", "rediss://cache.example.com:6379/0"),
    ("redis://[::1]", "redis://[::1]:6379/0"),
])
def test_the_setting_names_the_server_without_its_password(monkeypatch, url, where):
    monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", url)
    settings = load_settings()
    assert settings.shared.where == where
    assert "s3cret" not in repr(settings)
    from object_removal.config import known_secrets

    if "s3cret" in url:
        assert "s3cret-pass" in known_secrets()  # redacted wherever it might appear


def test_a_password_sent_unencrypted_across_a_network_is_warned_about(monkeypatch, caplog):
    caplog.set_level(logging.WARNING)
    for url in ("rediss://:pw-one@10.0.0.5", "redis://:pw-two@127.0.0.1",
                "redis://10.0.0.6"):
        monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", url)
        load_settings()
    assert "unencrypted" not in caplog.text
    monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", "redis://:pw-three@10.0.0.7:6379")
    load_settings()
    assert "unencrypted to 10.0.0.7 (redis://): use rediss://" in caplog.text
    assert "pw-three" not in caplog.text


def test_the_setting_comes_from_the_config_file_too_and_its_cap(monkeypatch, tmp_path):
    config = tmp_path / "config" / "config.ini"
    config.parent.mkdir()
    config.write_text("[shared]\nredis_url = redis://:pw-in-file@127.0.0.1:7000\n"
                      "cache_mb = 300\n")
    config.chmod(0o600)
    settings = load_settings()
    assert settings.shared.where == "redis://127.0.0.1:7000/0"
    assert settings.shared.cache_bytes == 300 << 20
    monkeypatch.setenv("OBJECT_REMOVAL_REDIS_CACHE_MB", "5")
    with pytest.raises(ObjectRemovalError, match="cache_mb.*from 16"):
        load_settings()


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://",
                                 "redis://host/name"])
def test_a_url_that_is_no_redis_url_is_refused_naming_the_setting(monkeypatch, url):
    monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", url)
    with pytest.raises(ObjectRemovalError, match="OBJECT_REMOVAL_REDIS_URL"):
        load_settings()


def test_without_a_redis_url_the_pack_never_imports_redis(tmp_path):
    """The pack works without Redis set (and without the redis package)."""
    script = (
        "import sys, asyncio\n"
        "sys.modules['redis'] = None  # importing it would fail\n"
        "from object_removal.mask.removal import MaskRemovalOptions, remove_by_mask\n"
        "from object_removal.mask.parameters import MaskInputs\n"
        "from object_removal.run_context import RunContext\n"
        "import torch\n"
        "image = torch.rand(1, 40, 40, 3); mask = torch.zeros(1, 40, 40)\n"
        "mask[0, 10:20, 10:20] = 1\n"
        "options = MaskRemovalOptions(provider='local-telea', inputs=MaskInputs())\n"
        "out = asyncio.run(remove_by_mask(image, mask, options, RunContext()))\n"
        "print(tuple(out.shape))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "OBJECT_REMOVAL_CACHE_DIR": str(tmp_path / "cache"),
           "OBJECT_REMOVAL_CONFIG": str(tmp_path / "none.ini")}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(1, 40, 40, 3)"


# --- results ----------------------------------------------------------------------------


def worker_results(link, tmp_path, name, cap):
    return SharedResults(link, "results", cap, ResultCache(tmp_path / name), None)


def test_a_result_kept_by_one_worker_is_read_by_another(fresh_redis, tmp_path):
    link = link_to(fresh_redis)
    first, second = (worker_results(link, tmp_path, n, 10_000) for n in ("a", "b"))
    key = request_key("a request")
    first.put(key, b"paid" * 100)
    assert second.contains(key) and second.get(key) == b"paid" * 100
    assert not (tmp_path / "b").exists()  # from Redis, not from a shared folder
    assert second.get(request_key("never paid")) is None


def test_the_cap_drops_the_least_recently_used_whoever_used_it(fresh_redis, tmp_path):
    link = link_to(fresh_redis)
    first, second = (worker_results(link, tmp_path, n, 250) for n in ("a", "b"))
    keys = [request_key(str(i)) for i in range(3)]
    first.put(keys[0], b"0" * 100)
    second.put(keys[1], b"1" * 100)
    first.put(keys[2], b"2" * 100)  # 300 > 250: the oldest goes
    assert not second.contains(keys[0]) and first.contains(keys[1])
    assert first.get(keys[1]) == b"1" * 100  # used: now the most recent
    second.put(request_key("3"), b"3" * 100)
    assert second.contains(keys[1]) and not second.contains(keys[2])
    assert int(fresh_redis.client().get(KEY_PREFIX + "result:results:total")) == 200


def test_the_cap_holds_over_many_writes_and_an_entry_over_it_is_not_kept(fresh_redis,
                                                                          tmp_path):
    link = link_to(fresh_redis)
    results = worker_results(link, tmp_path, "a", 20_000)
    for number in range(300):
        results.put(request_key(str(number)), b"x" * 100)
    client = fresh_redis.client()
    entries = list(client.scan_iter(KEY_PREFIX + "result:results:entry:*", count=1000))
    kept = sum(client.strlen(key) for key in entries)
    assert kept <= 20_000 and len(entries) == 200
    assert int(client.get(KEY_PREFIX + "result:results:total")) == kept
    results.put(request_key("huge"), b"h" * 30_000)
    assert client.get(KEY_PREFIX + "result:results:entry:" + request_key("huge")) is None
    assert results.get(request_key("huge")) == b"h" * 30_000  # this worker's folder has it


def test_an_entry_lost_behind_the_packs_back_leaves_the_count(fresh_redis, tmp_path):
    """Redis' own eviction (or a FLUSH of one key) must not leave the count too high."""
    link = link_to(fresh_redis)
    first, second = (worker_results(link, tmp_path, n, 10_000) for n in ("a", "b"))
    key = request_key("evicted")
    first.put(key, b"e" * 500)
    fresh_redis.client().delete(KEY_PREFIX + "result:results:entry:" + key)
    assert second.get(key) is None
    assert int(fresh_redis.client().get(KEY_PREFIX + "result:results:total")) == 0
    assert first.get(key) == b"e" * 500  # its own folder; and shared again from it
    assert second.get(key) == b"e" * 500


# --- jobs and claims ---------------------------------------------------------------------


def test_a_job_remembered_by_one_worker_is_found_by_another(fresh_redis, tmp_path):
    link = link_to(fresh_redis)
    claims = RedisClaims(link, LeaseKeeper(link), "submit")
    first = SharedJobStore(link, JobStore(tmp_path / "a"), claims, None)
    second = SharedJobStore(link, JobStore(tmp_path / "b"), claims, None)
    fingerprint = request_key("image", "sofa")
    first.remember(fingerprint, "130000001")
    assert second.find(fingerprint).job_id == "130000001"
    assert fresh_redis.client().ttl(KEY_PREFIX + "job:" + fingerprint) > 22 * 3600
    second.forget(fingerprint)  # e.g. ModelsLab said it failed: nobody resumes it from Redis
    assert second.find(fingerprint) is None
    assert fresh_redis.client().exists(KEY_PREFIX + "job:" + fingerprint) == 0


def test_a_claim_is_one_workers_while_renewed_and_runs_out_when_not(
        fresh_redis, tmp_path, monkeypatch):
    monkeypatch.setattr(leases, "LEASE_SECONDS", 3.0)
    link = link_to(fresh_redis)
    living, dying = LeaseKeeper(link), LeaseKeeper(link)
    alive = SharedJobStore(link, JobStore(tmp_path / "a"),
                           RedisClaims(link, living, "submit"), None)
    dead = SharedJobStore(link, JobStore(tmp_path / "b"),
                          RedisClaims(link, dying, "submit"), None)
    other = SharedJobStore(link, JobStore(tmp_path / "c"),
                           RedisClaims(link, LeaseKeeper(link), "submit"), None)
    kept, lost = request_key("kept"), request_key("lost")
    assert alive.claim(kept) and dead.claim(lost)
    dying.close()  # its worker died: nobody renews its claim
    assert not other.claim(kept) and not other.claim(lost) and other.claimed(lost)
    time.sleep(7)  # more than two leases: the renewed claim is still held, the other gone
    assert not other.claim(kept) and other.claimed(kept)
    assert other.claim(lost)
    alive.release(kept)
    assert other.claim(kept)  # given back: free at once
    living.close()


# --- the account's limit across workers --------------------------------------------------


def two_workers(server: RedisServer, start: int, ceiling: int):
    link = link_to(server)
    return [SharedLimit(link, LeaseKeeper(link), "account", AdaptiveLimit(start, ceiling),
                        start, ceiling) for _ in range(2)]


def in_flight(limit: SharedLimit, count: int):
    """`count` calls of `limit`, each holding a slot (their attempts left open)."""
    calls = [limit.for_run(None).call() for _ in range(count)]
    attempts = [call.attempt(hold=True) for call in calls]
    for attempt in attempts:
        attempt.__enter__()
    return calls, attempts


def test_slots_are_counted_across_workers(fresh_redis):
    first, second = two_workers(fresh_redis, start=3, ceiling=3)
    taken = [first.try_acquire(None) for _ in range(2)]
    assert all(s is not None and s.token for s in taken)
    assert second.try_acquire(None) is not None
    assert second.try_acquire(None) is None and first.try_acquire(None) is None
    first.release(taken[0], None)
    assert second.try_acquire(None) is not None
    assert first.state(None) == (3, 3)


def test_a_refusal_teaches_every_worker_the_calls_the_provider_held(fresh_redis):
    """Five calls at the provider (three of one worker, two of the other); the other
    worker's refused call says the account allows four. A lone refusal says nothing."""
    first, second = two_workers(fresh_redis, start=12, ceiling=32)
    lone = second.for_run(None).call()
    with lone.attempt(hold=True):
        lone.refused()
    lone.done()
    assert first.state(None)[0] == 12
    held = in_flight(first, 3)  # kept: a dropped attempt gives its slot back
    calls, attempts = in_flight(second, 2)
    calls[1].refused()
    attempts[1].__exit__(None, None, None)
    assert first.state(None) == (4, 4)
    assert second.for_run(None).limit == 4 and second.for_run(None).in_flight == 4
    assert len(held[0]) == 3


def test_the_evidence_caps_growth_while_fresh_then_successes_grow_it(fresh_redis,
                                                                    monkeypatch):
    monkeypatch.setattr(concurrency, "EVIDENCE_SECONDS", 60.0)
    first, second = two_workers(fresh_redis, start=12, ceiling=16)
    calls, attempts = in_flight(first, 3)
    refused, refused_attempts = in_flight(second, 1)
    refused[0].refused()
    refused_attempts[0].__exit__(None, None, None)
    assert first.state(None)[0] == 3
    for _ in range(5):
        calls[0].succeeded()  # the limit in use, but the evidence is fresh
    assert second.state(None)[0] == 3
    monkeypatch.setattr(concurrency, "EVIDENCE_SECONDS", 0.001)
    time.sleep(0.05)
    calls[0].succeeded()
    assert second.state(None)[0] == 4
    second_calls, opened = in_flight(second, 1)  # the new slot, in use by the other worker
    second_calls[0].succeeded()
    assert len(opened) == 1
    assert first.state(None)[0] == 5


def test_a_dead_workers_slots_are_free_within_the_lease(fresh_redis, monkeypatch):
    monkeypatch.setattr(leases, "LEASE_SECONDS", 3.0)
    first, second = two_workers(fresh_redis, start=4, ceiling=4)
    for _ in range(4):
        assert first.try_acquire(None) is not None
    first._keeper.close()  # dead: nothing renews its slots
    assert second.try_acquire(None) is None
    ends = fresh_redis.client().zrange(KEY_PREFIX + "limit:account:slots", 0, -1,
                                       withscores=True)
    now = fresh_redis.client().time()
    now_ms = now[0] * 1000 + now[1] // 1000
    assert len(ends) == 4 and all(0 < end - now_ms <= 3000 for _, end in ends)
    time.sleep(3.5)
    assert [second.try_acquire(None) is not None for _ in range(5)] == [True] * 4 + [False]


def test_a_cancelled_wait_for_a_slot_takes_nothing(fresh_redis):
    first, second = two_workers(fresh_redis, start=1, ceiling=1)
    assert first.try_acquire(None) is not None
    ctx = RunContext()
    threading.Timer(0.3, ctx.cancel).start()

    async def wait_for_slot():
        async with second.for_run(ctx).hold_async(ctx):
            pass

    with pytest.raises(Cancelled):
        asyncio.run(wait_for_slot())
    time.sleep(0.2)  # a take that was under way when the wait ended is given back by now
    assert second.state(None) == (1, 1)


# --- one request, one payment ----------------------------------------------------------


@pytest.mark.parametrize("with_redis", [False, True], ids=["one_process", "redis"])
def test_two_runs_asking_the_same_at_once_pay_once(settings, emulator, fresh_redis,
                                                   monkeypatch, with_redis):
    if with_redis:
        monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", fresh_redis.url)
    images = image_tensor(photo_like(64, 80, seed=3))
    emulator.script("ailab", hold=True)
    statuses: list[list[str]] = [[], []]
    results = {}

    def one(number):
        ctx = RunContext(on_status=statuses[number].append)
        results[number] = masked_removal(images, ctx)

    first = threading.Thread(target=one, args=(0,))
    first.start()
    give_up = time.monotonic() + 60
    while emulator.held("ailab") < 1 and time.monotonic() < give_up:
        time.sleep(0.02)
    second = threading.Thread(target=one, args=(1,))
    second.start()
    while not any("waiting for its result" in s for s in statuses[1]):
        assert time.monotonic() < give_up, statuses[1]
        time.sleep(0.02)
    emulator.release()
    first.join(60), second.join(60)
    assert len(emulator.requests("ailab")) == 1
    assert (results[0] == results[1]).all()
    assert "from cache" in statuses[1][-1]


# --- Redis away -------------------------------------------------------------------------


def said_once(statuses: list[str], caplog) -> None:
    notes = [s for s in statuses if "shared store (Redis at redis://127.0.0.1:" in s]
    assert len(notes) == 1, statuses
    warnings = [r for r in caplog.records if "shared store (Redis" in r.getMessage()
                and "unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_redis_never_reached_costs_no_run_and_is_said_once(settings, emulator, monkeypatch,
                                                           caplog, tmp_path):
    server = RedisServer(tmp_path / "never-started")  # a free port: nothing answers
    monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", server.url)
    caplog.set_level(logging.WARNING)
    statuses: list[str] = []
    images = image_tensor(photo_like(64, 80, seed=1), photo_like(64, 80, seed=2))
    result = masked_removal(images, RunContext(on_status=statuses.append))
    assert result.shape == images.shape and len(emulator.requests("ailab")) == 2
    said_once(statuses, caplog)
    assert statuses[-1].startswith("ailab: done without the shared store (Redis unreachable)")
    assert server.password not in caplog.text + "".join(statuses)
    # The second run is told too (its own status line), and the log is not repeated.
    statuses.clear()
    masked_removal(images, RunContext(on_status=statuses.append))
    assert "from cache" in statuses[-1] and len(emulator.requests("ailab")) == 2
    said_once(statuses, caplog)


def test_redis_stopped_mid_run_the_run_ends_well_and_says_so(settings, emulator, shared,
                                                            caplog):
    caplog.set_level(logging.WARNING)
    emulator.behaviour.job_seconds = 0.3
    images = image_tensor(photo_with_object(64, 80, seed=7))
    emulator.script("ml_submit", hold=True)
    statuses: list[str] = []
    outcome = {}

    def text_removal():
        ctx = RunContext(on_status=statuses.append)
        outcome["result"] = run(remove_by_text(images, "sofa", wait=True, timeout=60, ctx=ctx))

    worker = threading.Thread(target=text_removal)
    worker.start()
    give_up = time.monotonic() + 60
    while emulator.held("ml_submit") < 1:
        assert time.monotonic() < give_up
        time.sleep(0.02)
    shared.stop()
    emulator.release()
    worker.join(60)
    image, handle, _ = outcome["result"]
    assert image.shape == images.shape and emulator.jobs_created() == 1
    said_once(statuses, caplog)
    assert "without the shared store" in statuses[-1]
    assert shared.password not in caplog.text + "".join(statuses)
    # The job the run paid for is this worker's still: a FetchResult here composites.
    statuses.clear()
    run(collect_result(handle, timeout=30, ctx=RunContext(on_status=statuses.append)))
    assert "could not composite" not in statuses[-1]


def test_a_stalled_redis_costs_a_timeout_not_the_run(settings, emulator, shared, caplog,
                                                     monkeypatch):
    monkeypatch.setattr(redis_link, "REDIS_TIMEOUT_SECONDS", 0.5)
    caplog.set_level(logging.WARNING)
    images = image_tensor(photo_like(64, 80, seed=4))
    masked_removal(images, RunContext())  # connected, and the result shared
    shared.pause()
    try:
        statuses: list[str] = []
        result = masked_removal(image_tensor(photo_like(64, 80, seed=5)),
                                RunContext(on_status=statuses.append))
    finally:
        shared.resume()
    assert result.shape == images.shape and len(emulator.requests("ailab")) == 2
    said_once(statuses, caplog)
    assert "TimeoutError" in caplog.text


def test_a_missing_redis_package_is_said_like_an_unreachable_redis(
        settings, emulator, shared, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "redis", None)
    caplog.set_level(logging.WARNING)
    statuses: list[str] = []
    masked_removal(image_tensor(photo_like(64, 80, seed=6)),
                   RunContext(on_status=statuses.append))
    said_once(statuses, caplog)
    assert "pip install redis" in caplog.text


# --- nothing secret in Redis -------------------------------------------------------------


def test_nothing_the_pack_wrote_to_redis_holds_a_key_password_or_setting(
        settings, emulator, shared, tmp_path):
    """Every path that writes (AILabTools results and payments, ModelsLab jobs, claims,
    results and originals, both accounts' limits), then every key and value scanned."""
    emulator.behaviour.update({"job_seconds": 0.2, "ailab_concurrency": 1, "latency": 0.3})
    photo = image_tensor(photo_with_object(64, 80, seed=9))
    masked_removal(image_tensor(photo_like(64, 80, seed=8), photo_like(64, 80, seed=9)),
                   RunContext())  # one refused while the other is in flight: a limit learnt
    masked_removal(photo, RunContext())
    masked_removal(photo, RunContext(), provider="modelslab")
    _, handle, _ = run(remove_by_text(photo, "sofa", wait=True, timeout=60, ctx=RunContext()))
    run(collect_result(handle, timeout=30, ctx=RunContext()))
    written = shared.everything()
    kinds = Counter(key.decode().split(":")[2] for key in written)
    assert {"result", "job", "limit", "tick"} <= set(kinds), kinds
    forbidden = [AILAB_KEY, MODELSLAB_KEY, shared.password, settings.ailab.base_url,
                 emulator.api_url, emulator.cdn_url, str(settings.cache_dir),
                 load_settings().shared.where, "127.0.0.1"]
    for key, value in written.items():
        assert key.startswith(KEY_PREFIX.encode())
        for secret in forbidden:
            assert secret.encode() not in key and secret.encode() not in value, (key, secret)
    # Past the prefix a key is a fixed word or a hex hash, never a name or a value.
    for key in written:
        for part in key.decode()[len(KEY_PREFIX):].split(":"):
            assert part in {"result", "results", "originals", "entry", "order", "sizes",
                            "total", "tick", "job", "limit", "slots", "aside", "state",
                            "claim", "submit", "pay"} or (
                len(part) >= 16 and all(c in "0123456789abcdef" for c in part)), key


def tls_files(folder: Path) -> dict[str, Path]:
    """A certificate authority and a certificate for 127.0.0.1 it signed (openssl)."""
    files = {name: folder / f"{name}.pem" for name in ("ca", "ca_key", "cert", "key")}

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
            "/CN=object-removal test CA", "-keyout", str(files["ca_key"]),
            "-out", str(files["ca"]))
    request = folder / "cert.csr"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", str(files["key"]), "-out", str(request))
    extensions = folder / "san.cnf"
    extensions.write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(request), "-CA", str(files["ca"]), "-CAkey",
            str(files["ca_key"]), "-CAcreateserial", "-days", "1", "-extfile",
            str(extensions), "-out", str(files["cert"]))
    return files


def test_rediss_with_a_password_shares_over_tls(settings, emulator, monkeypatch, tmp_path,
                                                caplog):
    redis_or_skip()
    if shutil.which("openssl") is None:
        pytest.skip("openssl (the command) is not installed: no certificates for TLS")
    server = RedisServer(tmp_path / "tls-redis", tls_files=tls_files(tmp_path)).start()
    try:
        monkeypatch.setenv("OBJECT_REMOVAL_REDIS_URL", server.url)
        assert server.url.startswith("rediss://:pw-")
        caplog.set_level(logging.WARNING)
        images = image_tensor(photo_like(64, 80, seed=12))
        masked_removal(images, RunContext())
        monkeypatch.setenv("OBJECT_REMOVAL_CACHE_DIR", str(tmp_path / "another-worker"))
        statuses: list[str] = []
        masked_removal(images, RunContext(on_status=statuses.append))
        assert "from cache" in statuses[-1] and len(emulator.requests("ailab")) == 1
        assert "shared store" not in caplog.text + "".join(statuses)
        assert any(key.startswith(KEY_PREFIX.encode() + b"result:")
                   for key in server.everything())
    finally:
        server.stop()
