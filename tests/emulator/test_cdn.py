"""The CDN origin: stored files only, never a key, results only once they are due."""

from __future__ import annotations

import requests
from emulator_helpers import KEY, OTHER_KEY, good_basic, submit, uploaded_url

from provider_emulator import ManualClock, ProviderEmulator


def test_cdn_serves_only_stored_files_and_records_key_leaks(emu: ProviderEmulator) -> None:
    url = uploaded_url(emu)
    assert requests.get(url, timeout=5).status_code == 200
    head = requests.head(url, timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert requests.get(emu.cdn_url + "/uploads/missing.png", timeout=5).status_code == 404
    assert requests.get(emu.cdn_url + "/etc/passwd", timeout=5).status_code == 404
    assert requests.post(url, timeout=5).status_code == 405
    assert len(emu.requests("cdn")) == 5
    assert emu.keys_seen_on_cdn() == set()

    requests.get(url, headers={"ailabapi-api-key": KEY}, timeout=5)
    assert emu.keys_seen_on_cdn() == {KEY}
    requests.get(url, params={"key": "leaked-elsewhere"}, timeout=5)
    requests.get(url, headers={"Authorization": f"Bearer {OTHER_KEY}"}, timeout=5)
    requests.get(url, headers={"ailabapi-api-key": "never-presented"}, timeout=5)
    assert emu.keys_seen_on_cdn() == {KEY, "leaked-elsewhere", OTHER_KEY, "never-presented"}


def test_cdn_records_no_key_even_when_one_is_sent(emu: ProviderEmulator) -> None:
    url = uploaded_url(emu)
    requests.get(url, headers={"ailabapi-api-key": KEY}, timeout=5)
    assert [r.key for r in emu.requests("cdn")] == [None]  # a leak, not a credential


def test_cdn_serves_one_folder_deep_but_no_further(emu: ProviderEmulator) -> None:
    url = good_basic(emu).json()["data"]["image_url"]
    assert requests.get(url, timeout=5).status_code == 200
    name = url.rsplit("/", 1)[1]
    for path in (f"/outputs/ailab/x/{name}", f"/outputs/{name}", f"/uploads/ailab/{name}",
                 f"/outputs/ailab/%2E%2E/ailab/{name}"):
        assert requests.get(emu.cdn_url + path, timeout=5).status_code == 404, path


def test_job_results_appear_on_the_cdn_when_the_clock_reaches_them(
    emu: ProviderEmulator, clock: ManualClock
) -> None:
    emu.behaviour.job_seconds = 10
    job = submit(emu, uploaded_url(emu)).json()
    link = job["future_links"][0]
    assert requests.get(link, timeout=5).status_code == 404
    clock.advance(9.5)
    assert requests.get(link, timeout=5).status_code == 404
    clock.advance(0.5)
    assert requests.get(link, timeout=5).status_code == 200
