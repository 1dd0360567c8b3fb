"""What is kept on disk so work is not paid for twice."""

import json
import os
import time

import numpy as np

from object_removal.imaging.codec import encode_png
from object_removal.stores.job_store import JobStore
from object_removal.stores.originals import OriginalStore, identity_of
from object_removal.stores.result_cache import ResultCache, request_key


def test_request_keys_depend_on_every_part_and_its_boundaries():
    assert request_key("a", b"bc") != request_key("ab", b"c")
    assert request_key("a", b"bc") == request_key("a", b"bc")
    assert len(request_key("x")) == 64


def test_cache_round_trip_and_least_recently_used_pruning(tmp_path):
    """The order of use (kept in memory, one index per folder) decides what goes first."""
    cache = ResultCache(tmp_path, max_bytes=250)
    keys = [request_key(str(i)) for i in range(3)]
    for number, key in enumerate(keys):
        cache.put(key, bytes([number]) * 100)
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
    from object_removal.stores import result_cache

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


def test_originals_are_kept_by_identity_and_checked_when_read(tmp_path):
    rng = np.random.default_rng(0)
    first = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    second = first.copy()
    second[0, 0, 0] ^= 1  # one bit apart: another picture
    store = OriginalStore(tmp_path)
    identity = store.keep(first)
    assert identity == identity_of(first) and len(identity) == 16
    assert identity != identity_of(second) != identity_of(first.reshape(40, 30, 3))
    assert np.array_equal(store.load(identity), first)
    assert store.keep(second, png=encode_png(second)) == identity_of(second)
    assert np.array_equal(OriginalStore(tmp_path).load(identity_of(second)), second)
    assert store.load("0123456789abcdef") is None

    path = next((tmp_path / "originals").glob(f"*/{identity}"))
    path.write_bytes(encode_png(second))  # a file that no longer matches its name
    assert store.load(identity) is None
    path.write_bytes(b"not a picture")
    assert store.load(identity) is None


def test_originals_are_bounded_on_disk(tmp_path):
    rng = np.random.default_rng(1)
    pictures = [rng.integers(0, 256, (50, 50, 3), dtype=np.uint8) for _ in range(4)]
    one_file = len(encode_png(pictures[0], compress_level=1))
    store = OriginalStore(tmp_path, max_bytes=int(2.5 * one_file))
    identities = [store.keep(picture) for picture in pictures]  # kept in this order
    kept = [(tmp_path / "originals" / i[:2] / i).is_file() for i in identities]
    assert kept == [False, False, True, True]  # the first kept went first
    # Keeping a picture again marks it recently used: the other one goes first.
    assert store.keep(pictures[2]) == identities[2]
    store.keep(pictures[0])
    kept = [(tmp_path / "originals" / i[:2] / i).is_file() for i in identities]
    assert kept == [True, False, True, False]


def test_a_kept_file_reaches_the_disk_before_its_rename_and_the_rename_after(
        tmp_path, monkeypatch):
    """What the pack keeps survives a power cut: the file's data is synced before it takes
    the name, and the folder (which holds the name) after. Checked by the calls made."""
    from object_removal.stores.atomic_files import write_atomically

    calls: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        calls.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    def replace(source, target):
        calls.append(("replace", str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "kept" / "result.png"
    write_atomically(target, b"paid-for bytes")
    assert target.read_bytes() == b"paid-for bytes"
    (synced_file, temporary), renamed, synced_folder = calls
    assert synced_file == "fsync" and temporary.startswith(str(target.parent / ".tmp-"))
    assert renamed == ("replace", str(target))
    assert synced_folder == ("fsync", str(target.parent))
