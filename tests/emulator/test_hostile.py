"""Answers that travel badly: trickled, chunked, huge and streamed, or never sent.

These are modes of any scripted answer (the normal one included), for testing
clients against providers, proxies and CDNs that misbehave."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
from emulator_helpers import noisy, png_bytes, upload

from provider_emulator import ProviderEmulator


def raw_exchange(url: str, path: str, timeout: float) -> tuple[bytes, float]:
    """Send a bare POST and read until the server closes; (bytes, seconds taken)."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        received = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                return received, time.monotonic() - started
            received += piece


def test_trickle_sends_every_byte_of_the_answer_slowly(real_emu: ProviderEmulator) -> None:
    real_emu.script("ml_upload", json={"status": "error", "message": "x"}, trickle=0.01)
    received, seconds = raw_exchange(real_emu.api_url, "/api/v6/base64_to_url", timeout=30)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and json.loads(body) == {"status": "error",
                                                                    "message": "x"}
    # Status line, headers and body alike came one byte at a time.
    assert seconds >= 0.01 * (len(received) - 1) * 0.9


def test_trickle_also_slows_the_normal_answer(real_emu: ProviderEmulator) -> None:
    real_emu.script("ml_upload", trickle=0.002)
    started = time.monotonic()
    response = upload(real_emu, png_bytes(noisy(16, 16)))
    assert response.json()["status"] == "success"
    assert time.monotonic() - started >= 0.002 * len(response.content)


def test_filler_streams_a_huge_body_with_its_length_declared(emu: ProviderEmulator) -> None:
    emu.script("ml_fetch", filler=300_000_000)
    with requests.post(emu.api_url + "/api/v6/interior/fetch/1", json={}, stream=True,
                       timeout=30) as response:
        assert response.headers["Content-Length"] == "300000000"
        first = response.raw.read(20)
    assert first.startswith(b'{"pad":"aaaa')


def test_filler_chunked_has_no_length_and_is_valid_json_when_small(
        emu: ProviderEmulator) -> None:
    emu.script("ml_fetch", filler=200_000, chunked=True)
    response = requests.post(emu.api_url + "/api/v6/interior/fetch/1", json={}, timeout=30)
    assert "Content-Length" not in response.headers
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert len(response.content) == 200_000 and set(response.json()) == {"pad"}


def test_silent_accepts_and_never_answers(real_emu: ProviderEmulator) -> None:
    real_emu.script("ml_fetch", silent=True)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(real_emu.api_url + "/api/v6/interior/fetch/1", json={}, timeout=(5, 0.5))
    assert time.monotonic() - started >= 0.5
    assert len(real_emu.requests("ml_fetch")) == 1  # it arrived; nothing came back


def test_stopping_ends_silent_and_trickling_answers_at_once() -> None:
    with ProviderEmulator(keys=("k",)) as emulator:
        emulator.script("cdn", silent=True)
        url = emulator.cdn_url
        sock = socket.create_connection(url.removeprefix("http://").split(":"), timeout=10)
        sock.sendall(b"GET /outputs/x.png HTTP/1.1\r\nHost: x\r\n\r\n")
        while not emulator.requests("cdn"):
            time.sleep(0.01)
    started = time.monotonic()
    assert sock.recv(10) == b""  # the server hung up when it stopped
    assert time.monotonic() - started < 2
    sock.close()


@pytest.mark.parametrize("fields", [
    {"trickle": -1}, {"trickle": 61}, {"filler": -5}, {"filler": 1.5},
    {"filler": 10, "raw": "x"}, {"silent": True, "json": {}},
])
def test_transport_mistakes_are_refused(emu: ProviderEmulator, fields: dict) -> None:
    with pytest.raises(ValueError):
        emu.script("ml_fetch", **fields)
