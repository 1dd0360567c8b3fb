"""What is kept on disk so work is not paid for twice."""

import json
import os
import time

from object_removal.job_store import JobStore
from object_removal.result_cache import ResultCache, request_key


def test_request_keys_depend_on_every_part_and_its_boundaries():
    assert request_key("a", b"bc") != request_key("ab", b"c")
    assert request_key("a", b"bc") == request_key("a", b"bc")
    assert len(request_key("x")) == 64


def test_cache_round_trip_and_least_recently_used_pruning(tmp_path):
    cache = ResultCache(tmp_path, max_bytes=250)
    keys = [request_key(str(i)) for i in range(3)]
    for number, key in enumerate(keys):
        cache.put(key, bytes([number]) * 100)
        path = tmp_path / key[:2] / key
        os.utime(path, (time.time() - 100 + number, time.time() - 100 + number))
    assert not cache.contains(keys[0])  # the oldest went when the third arrived
    assert cache.get(keys[1]) == b"\x01" * 100
    cache.put(request_key("3"), b"\x03" * 100)
    assert cache.contains(keys[1])  # just read: recently used, kept
    assert not cache.contains(keys[2])
    assert cache.get(request_key("missing")) is None


def test_job_store_remembers_forgets_and_expires(tmp_path):
    store = JobStore(tmp_path, lifetime=3600)
    fingerprint = request_key("image", "sofa")
    assert store.find(fingerprint) is None
    store.remember(fingerprint, "130000001")
    assert store.find(fingerprint).job_id == "130000001"
    store.forget(fingerprint)
    assert store.find(fingerprint) is None

    store.remember(fingerprint, "130000002")
    record = tmp_path / f"{fingerprint}.json"
    record.write_text(json.dumps({"job_id": "130000002", "submitted_at": time.time() - 7200}))
    assert store.find(fingerprint) is None  # older than the provider keeps jobs
    assert not record.exists()

    record.write_text("{not json")
    assert store.find(fingerprint) is None  # a damaged record is ignored, not fatal


def test_a_second_process_sharing_the_folder_is_seen_when_pruning(tmp_path, monkeypatch):
    from object_removal import result_cache

    cache = ResultCache(tmp_path, max_bytes=1000)
    cache.put(request_key("ours"), b"o" * 400)
    # Another process writes straight into the folder; this one's index does not know.
    other = request_key("theirs")
    (tmp_path / other[:2]).mkdir(exist_ok=True)
    (tmp_path / other[:2] / other).write_bytes(b"t" * 400)
    os.utime(tmp_path / other[:2] / other, (time.time() - 1000, time.time() - 1000))
    monkeypatch.setattr(result_cache, "RESCAN_SECONDS", 0.0)
    cache.put(request_key("new"), b"n" * 400)  # 1200 > 1000: prune, after a rescan
    assert not cache.contains(other)  # the oldest, whoever wrote it
    assert cache.contains(request_key("ours")) and cache.contains(request_key("new"))


def test_the_cache_stays_within_its_cap_over_many_writes(tmp_path):
    cache = ResultCache(tmp_path, max_bytes=50_000)
    for number in range(2000):
        cache.put(request_key(str(number)), b"x" * 100)
    kept = sum(p.stat().st_size for p in tmp_path.glob("*/*"))
    assert 0.8 * 50_000 <= kept <= 50_000
    assert cache.contains(request_key("1999")) and not cache.contains(request_key("0"))
