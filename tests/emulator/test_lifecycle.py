"""Starting and stopping the two origins, and the bounds a long-running emulator keeps."""

from __future__ import annotations

import pytest
import requests
from emulator_helpers import AILAB, FETCH, KEY, UPLOAD, fetch

from provider_emulator import ProviderEmulator, SystemClock
from provider_emulator.blobs import BlobStore


def test_starts_two_loopback_origins_on_ephemeral_ports_and_stops() -> None:
    emu = ProviderEmulator(keys=(KEY,), port=0, cdn_port=0)
    with pytest.raises(RuntimeError):
        _ = emu.api_url
    assert emu.start() is emu
    try:
        assert emu.api_url.startswith("http://127.0.0.1:")
        assert emu.cdn_url.startswith("http://127.0.0.1:")
        assert emu.api_url != emu.cdn_url
        assert not emu.api_url.endswith(":0") and not emu.cdn_url.endswith(":0")
        assert requests.get(emu.cdn_url + "/uploads/none.png", timeout=5).status_code == 404
        assert requests.post(emu.api_url + AILAB, timeout=5).status_code == 401
    finally:
        emu.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(emu.cdn_url + "/uploads/none.png", timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.post(emu.api_url + AILAB, timeout=5)


def test_context_manager_and_kept_alive_connections_are_cut_on_stop() -> None:
    session = requests.Session()
    with ProviderEmulator() as emu:
        assert emu.keys == frozenset({"test-key"})
        assert isinstance(emu.clock, SystemClock)  # the default: real time
        assert session.post(emu.api_url + UPLOAD, json={}, timeout=5).status_code == 401
        url = emu.api_url
    with pytest.raises(requests.ConnectionError):
        session.post(url + UPLOAD, json={}, timeout=5)


@pytest.mark.parametrize("keys", [(), ("",), ("ok", 3)])
def test_keys_must_be_non_empty_strings(keys: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        ProviderEmulator(keys=keys)  # type: ignore[arg-type]


def test_long_running_bounds_keep_only_the_latest() -> None:
    with ProviderEmulator(max_recorded=2) as bounded:
        for job_id in (1, 2, 3):
            fetch(bounded, job_id)
        assert [r.path for r in bounded.requests()] == [f"{FETCH}2", f"{FETCH}3"]
    store = BlobStore(max_blobs=2)
    paths = [store.store_upload(bytes([n]), "bin", "application/octet-stream")[1]
             for n in range(3)]
    assert store.get(paths[0]) is None
    assert store.get(paths[1]).data == b"\x01" and store.get(paths[2]).data == b"\x02"
