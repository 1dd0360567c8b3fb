"""Scripted answers: codes, statuses, raw and malformed bodies, drops and delays."""

from __future__ import annotations

import base64
import io
import json
import time
from typing import Any

import pytest
import requests
from emulator_helpers import (
    error_code,
    fetch,
    good_ailab,
    good_basic,
    mask_fetch,
    mask_submit,
    submit,
    upload,
)
from PIL import Image

from provider_emulator import ManualClock, ProviderEmulator


def test_scripted_code_uses_its_status_and_retry_after_then_normal_again(
    emu: ProviderEmulator,
) -> None:
    emu.script("ailab", http_status=429, code="EXCEEDING_LIMITS", retry_after=1)
    response = good_ailab(emu)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert error_code(response) == "EXCEEDING_LIMITS"
    assert response.json()["error_detail"]["status_code"] == 429
    assert good_ailab(emu).status_code == 200


@pytest.mark.parametrize(
    ("script", "status", "code"),
    [
        ({"code": "AI_SERVICE_FLOW_RESTRICTION"}, 503, "AI_SERVICE_FLOW_RESTRICTION"),
        ({"code": "ERROR_NOT_ENOUGH_CREDITS"}, 429, "ERROR_NOT_ENOUGH_CREDITS"),
        ({"code": "AI_SERVICE_TIMEOUT"}, 504, "AI_SERVICE_TIMEOUT"),
        ({"code": "ERROR_USER_LOCKED"}, 403, "ERROR_USER_LOCKED"),
        ({"code": "ERROR_CONTENT_NON_COMPLIANCE"}, 422, "ERROR_CONTENT_NON_COMPLIANCE"),
        ({"code": "PROCESSING_FAILURE", "http_status": 502}, 502, "PROCESSING_FAILURE"),
        ({"http_status": 502}, 502, "AI_SERVICE_ERROR"),
        ({"retry_after": 2}, 429, "EXCEEDING_LIMITS"),
    ],
)
@pytest.mark.parametrize("endpoint", ["ailab", "ailab_basic"])
def test_scripted_ailab_errors(emu: ProviderEmulator, endpoint: str, script: dict[str, Any],
                               status: int, code: str) -> None:
    emu.script(endpoint, **script)
    response = (good_ailab if endpoint == "ailab" else good_basic)(emu)
    assert response.status_code == status
    assert error_code(response) == code
    assert ("Retry-After" in response.headers) == ("retry_after" in script)


def test_scripts_are_consumed_first_in_order_before_key_checks(emu: ProviderEmulator) -> None:
    emu.script("ailab", json={"first": True})
    emu.script("ailab", raw="<html>502 Bad Gateway</html>", http_status=502,
               headers={"X-Upstream": "nginx"})
    first = good_ailab(emu, key="not-a-key")
    assert first.status_code == 200 and first.json() == {"first": True}
    second = good_ailab(emu, key=None)
    assert second.status_code == 502
    assert second.text == "<html>502 Bad Gateway</html>"
    assert second.headers["Content-Type"].startswith("text/html")
    assert second.headers["X-Upstream"] == "nginx"
    assert good_ailab(emu, key=None).status_code == 401


def test_scripts_are_queued_per_endpoint(emu: ProviderEmulator) -> None:
    emu.script("ailab_basic", http_status=500)
    assert good_ailab(emu).status_code == 200  # the advanced endpoint is not affected
    assert good_basic(emu).status_code == 500
    assert good_basic(emu).status_code == 200


def test_scripted_drop_and_delay(real_emu: ProviderEmulator) -> None:
    emu = real_emu
    emu.script("ailab", drop=True)
    with pytest.raises(requests.ConnectionError):
        good_ailab(emu)
    emu.script("ailab", delay=0.3)
    started = time.perf_counter()
    assert good_ailab(emu).status_code == 200
    assert time.perf_counter() - started >= 0.3
    emu.script("ml_upload", delay=0.2, http_status=500)
    started = time.perf_counter()
    assert upload(emu, b"x").status_code == 500
    assert time.perf_counter() - started >= 0.2


def test_scripted_delay_moves_a_manual_clock_instead_of_blocking(
    emu: ProviderEmulator, clock: ManualClock
) -> None:
    emu.script("ailab", delay=30)
    emu.script("ml_upload", delay=12.5, http_status=500)
    before, started = clock.now(), time.perf_counter()
    assert good_ailab(emu).status_code == 200
    assert clock.now() - before == pytest.approx(30)
    assert upload(emu, b"x").status_code == 500
    assert clock.now() - before == pytest.approx(42.5)
    assert time.perf_counter() - started < 5  # nobody waited half a minute


@pytest.mark.parametrize(
    "kind", ["not_json", "truncated_json", "no_data", "empty_list", "bad_base64", "not_an_image"]
)
def test_scripted_malformed_ailab_answers(emu: ProviderEmulator, kind: str) -> None:
    emu.script("ailab", malformed=kind)
    response = good_ailab(emu)
    assert response.status_code == 200
    if kind in ("not_json", "truncated_json"):
        with pytest.raises(ValueError):
            json.loads(response.text)
        return
    payload = response.json()
    assert payload["error_code"] == 0
    if kind == "no_data":
        assert "data" not in payload
        return
    images = payload["data"]["binary_data_base64"]
    if kind == "empty_list":
        assert images == []
    elif kind == "bad_base64":
        with pytest.raises(ValueError):
            base64.b64decode(images[0])
    else:
        with pytest.raises(OSError):
            Image.open(io.BytesIO(base64.b64decode(images[0], validate=True)))


@pytest.mark.parametrize(
    "kind", ["not_json", "truncated_json", "no_data", "empty_url", "not_an_image"]
)
def test_scripted_malformed_basic_answers(emu: ProviderEmulator, kind: str) -> None:
    emu.script("ailab_basic", malformed=kind)
    response = good_basic(emu)
    assert response.status_code == 200
    if kind in ("not_json", "truncated_json"):
        with pytest.raises(ValueError):
            json.loads(response.text)
        return
    payload = response.json()
    assert payload["error_code"] == 0 and payload["error_detail"]["code"] == ""
    if kind == "no_data":
        assert "data" not in payload
    elif kind == "empty_url":
        assert payload["data"] == {"image_url": ""}
    else:
        url = payload["data"]["image_url"]
        assert url.startswith(emu.cdn_url + "/outputs/ailab/")
        stored = requests.get(url, timeout=5)
        assert stored.status_code == 200 and stored.content
        with pytest.raises(OSError):
            Image.open(io.BytesIO(stored.content))


@pytest.mark.parametrize(
    ("endpoint", "kind"),
    [("ml_submit", "not_json"), ("ml_submit", "truncated_json"), ("ml_submit", "no_status"),
     ("ml_submit", "success_without_output"), ("ml_upload", "success_without_output"),
     ("ml_fetch", "no_status"), ("ml_mask_submit", "no_status"),
     ("ml_mask_submit", "success_without_output"), ("ml_mask_fetch", "truncated_json"),
     ("ml_mask_fetch", "not_json")],
)
def test_scripted_malformed_modelslab_answers(emu: ProviderEmulator, endpoint: str,
                                              kind: str) -> None:
    emu.script(endpoint, malformed=kind)
    call = {"ml_submit": lambda: submit(emu, "https://nowhere.invalid/x.png"),
            "ml_upload": lambda: upload(emu, b"abc"),
            "ml_fetch": lambda: fetch(emu, 123),
            "ml_mask_submit": lambda: mask_submit(emu, "https://nowhere.invalid/x.png", "m"),
            "ml_mask_fetch": lambda: mask_fetch(emu, 123)}[endpoint]
    response = call()
    assert response.status_code == 200
    if kind in ("not_json", "truncated_json"):
        with pytest.raises(ValueError):
            json.loads(response.text)
    elif kind == "no_status":
        assert "status" not in response.json()
    else:
        assert response.json()["status"] == "success" and response.json()["output"] == []


def test_malformed_modelslab_bodies_carry_the_fetched_id(emu: ProviderEmulator) -> None:
    emu.script("ml_mask_fetch", malformed="no_status")
    assert mask_fetch(emu, 4242).json()["id"] == 4242
    emu.script("ml_fetch", malformed="success_without_output")
    assert fetch(emu, 77).json()["id"] == 77


def test_scripted_modelslab_rate_limit_and_cdn_answers(emu: ProviderEmulator) -> None:
    emu.script("ml_submit", http_status=429, retry_after=3)
    response = submit(emu, "https://nowhere.invalid/x.png")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json()["retry_after"] == 3 and response.json()["status"] == "error"
    emu.script("ml_fetch", json={"status": "error", "message": "busy"}, retry_after=2)
    assert fetch(emu, 1).json() == {"status": "error", "message": "busy", "retry_after": 2}
    emu.script("ml_mask_submit", http_status=402)
    refused = mask_submit(emu, "https://nowhere.invalid/x.png", "m")
    assert refused.status_code == 402 and "credits" in refused.json()["message"]
    emu.script("cdn", http_status=503)
    assert requests.get(emu.cdn_url + "/uploads/a.png", timeout=5).status_code == 503
    assert requests.get(emu.cdn_url + "/uploads/a.png", timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "fields"),
    [("nowhere", {"http_status": 500}), ("control", {"http_status": 500}),
     ("unknown", {"http_status": 500}),
     ("ml_submit", {"code": "EXCEEDING_LIMITS"}), ("ailab", {"code": "NO_SUCH_CODE"}),
     ("ailab", {"malformed": "no_status"}), ("cdn", {"malformed": "not_json"}),
     ("ailab", {"malformed": "empty_url"}), ("ailab_basic", {"malformed": "empty_list"}),
     ("ml_mask_fetch", {"code": "EXCEEDING_LIMITS"}), ("ml_mask_submit", {"malformed": "x"}),
     ("ailab", {"drop": True, "json": {}}), ("ailab", {"http_status": 99}),
     ("ailab", {"colour": "red"}), ("ailab", {"delay": -1})],
)
def test_script_mistakes_are_refused(emu: ProviderEmulator, endpoint: str,
                                     fields: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        emu.script(endpoint, **fields)
