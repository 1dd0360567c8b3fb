"""The /_emulator/ control endpoints, for driving the emulator from another process."""

from __future__ import annotations

import requests
from emulator_helpers import AILAB, KEY, good_ailab, good_basic, submit, uploaded_url

from provider_emulator import Behaviour, ProviderEmulator


def test_http_control_endpoints(emu: ProviderEmulator) -> None:
    control = emu.api_url + "/_emulator"
    scripted = requests.post(control + "/script", timeout=5,
                             json={"endpoint": "ailab", "code": "AI_SERVICE_ERROR"})
    assert scripted.json() == {"ok": True}
    assert good_ailab(emu).status_code == 502

    refused = requests.post(control + "/script", json={"endpoint": "x"}, timeout=5)
    assert refused.status_code == 400 and refused.json()["ok"] is False

    changed = requests.post(control + "/behaviour", json={"job_seconds": 0}, timeout=5)
    assert changed.json()["behaviour"]["job_seconds"] == 0
    done = submit(emu, uploaded_url(emu)).json()
    assert done["status"] == "success"
    assert requests.get(done["output"][0], timeout=5).status_code == 200
    requests.get(f"{emu.cdn_url}/uploads/x.png?key={KEY}", timeout=5)  # a leak to redact
    invalid = requests.post(control + "/behaviour", json={"job_seconds": 1, "queue_limit": -1},
                            timeout=5)
    assert invalid.status_code == 400 and emu.behaviour.job_seconds == 0

    listed = requests.get(control + "/requests", timeout=5)
    summaries = listed.json()
    assert KEY not in listed.text
    by_endpoint = {s["endpoint"]: s for s in summaries}
    assert by_endpoint["ailab"] == {**by_endpoint["ailab"], "method": "POST", "path": AILAB,
                                    "key_present": True}
    assert by_endpoint["cdn"]["key_present"] is False
    assert set(by_endpoint["ailab"]["files"]) == {"image", "mask"}  # hashes, not bytes
    assert all(len(h) == 16 for h in by_endpoint["ailab"]["files"].values())
    assert by_endpoint["cdn"]["path"] == "/uploads/x.png?key=***"
    assert {"ailab", "ml_upload", "ml_submit", "control"} <= set(by_endpoint)

    assert requests.post(control + "/reset", timeout=5).json() == {"ok": True}
    assert emu.behaviour == Behaviour()
    assert emu.requests() == []  # the reset request itself is forgotten too
    assert requests.get(control + "/nothing", timeout=5).status_code == 404


def test_control_scripts_new_endpoints_and_filters_requests(emu: ProviderEmulator) -> None:
    control = emu.api_url + "/_emulator"
    scripted = requests.post(control + "/script", timeout=5,
                             json={"endpoint": "ailab_basic", "malformed": "empty_url"})
    assert scripted.json() == {"ok": True}
    assert good_basic(emu).json()["data"] == {"image_url": ""}
    wrong_kind = requests.post(control + "/script", timeout=5,
                               json={"endpoint": "ml_mask_fetch", "malformed": "empty_url"})
    assert wrong_kind.status_code == 400 and "empty_url" in wrong_kind.json()["error"]

    only = requests.get(control + "/requests", params={"endpoint": "ailab_basic"}, timeout=5)
    assert [s["endpoint"] for s in only.json()] == ["ailab_basic"]
    unknown = requests.get(control + "/requests", params={"endpoint": "nope"}, timeout=5)
    assert unknown.status_code == 400 and unknown.json()["ok"] is False
    behaviour = requests.get(control + "/behaviour", timeout=5).json()
    assert behaviour == {"ok": True, "behaviour": Behaviour().as_dict()}
