"""Downloading a model file over real HTTP on 127.0.0.1: resume, checksums, failures.

The server (tests/model_server.py) serves one file with Range support, and can ignore
Range, cut a response short, or answer 404; "no network" is a closed port.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import socket
from pathlib import Path

import pytest
from model_server import PAYLOAD, running_server

from object_removal.errors import Cancelled
from object_removal.inpainting.model_download import ModelDownloadError, download_model
from object_removal.inpainting.model_files import MODEL_FILES, ModelFile


def model_at(url: str, payload: bytes = PAYLOAD) -> ModelFile:
    """The catalogue's MI-GAN entry with the test server's URL and the payload's MD5."""
    return dataclasses.replace(MODEL_FILES["migan"], url=url,
                               md5=hashlib.md5(payload).hexdigest())


@pytest.fixture
def server():
    with running_server() as srv:
        yield srv


def test_downloads_into_the_folder_with_progress(server, tmp_path):
    seen: list[tuple[int, int | None]] = []
    path = download_model(model_at(server.url), tmp_path / "inpaint",
                          progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "inpaint" / "migan_traced.pt"
    assert path.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD)) and len(seen) >= 2
    assert not list(path.parent.glob("*.part"))
    assert server.ranges == [None]


def test_an_existing_file_is_not_downloaded_again(server, tmp_path):
    (tmp_path / "migan_traced.pt").write_bytes(b"mine")
    assert download_model(model_at(server.url), tmp_path).read_bytes() == b"mine"
    assert server.ranges == []


def test_a_broken_download_resumes_where_it_stopped(server, tmp_path):
    model = model_at(server.url)
    server.cut_after = 300_000
    with pytest.raises(ModelDownloadError, match="run again to resume"):
        download_model(model, tmp_path)
    partial = tmp_path / "migan_traced.pt.part"
    kept = partial.stat().st_size
    assert 200_000 <= kept <= 300_000 and partial.read_bytes() == PAYLOAD[:kept]
    assert not (tmp_path / "migan_traced.pt").exists()

    server.cut_after = None
    path = download_model(model, tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={kept}-"]


def test_a_server_that_ignores_range_starts_over(server, tmp_path):
    (tmp_path / "migan_traced.pt.part").write_bytes(PAYLOAD[:1000])
    server.honour_range = False
    assert download_model(model_at(server.url), tmp_path).read_bytes() == PAYLOAD
    assert server.ranges == ["bytes=1000-"]


def test_a_complete_part_file_is_checked_and_kept(server, tmp_path):
    (tmp_path / "migan_traced.pt.part").write_bytes(PAYLOAD)
    assert download_model(model_at(server.url), tmp_path).read_bytes() == PAYLOAD
    assert server.ranges == [f"bytes={len(PAYLOAD)}-"]  # answered 416: nothing left


def test_a_checksum_mismatch_deletes_the_file_and_says_where_to_get_it(server, tmp_path):
    model = dataclasses.replace(model_at(server.url), md5="0" * 32)
    with pytest.raises(ModelDownloadError) as error:
        download_model(model, tmp_path)
    message = str(error.value)
    assert "checksum" in message and "0" * 32 in message
    assert hashlib.md5(PAYLOAD).hexdigest() in message
    assert "migan_traced.pt" in message and str(tmp_path) in message and server.url in message
    assert list(tmp_path.iterdir()) == []


def test_a_moved_url_is_a_clear_error(server, tmp_path):
    model = model_at(server.url.replace("test.pt", "moved.pt"))
    with pytest.raises(ModelDownloadError) as error:
        download_model(model, tmp_path / "inpaint")
    message = str(error.value)
    assert "HTTP 404" in message
    assert f"put it into {tmp_path / 'inpaint'}" in message
    assert "OBJECT_REMOVAL_MIGAN_MODEL" in message


def test_no_network_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(ModelDownloadError) as error:
        download_model(model_at(f"http://127.0.0.1:{port}/migan_traced.pt"), tmp_path)
    assert "cannot be reached" in str(error.value)
    assert "migan_traced.pt" in str(error.value)


def test_only_https_outside_this_machine(tmp_path):
    with pytest.raises(ModelDownloadError, match="https"):
        download_model(model_at("http://example.com/migan_traced.pt"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cancel_keeps_the_part_for_later(server, tmp_path):
    calls = []
    with pytest.raises(Cancelled):
        download_model(model_at(server.url), tmp_path,
                       progress=lambda done, total: calls.append(done),
                       cancelled=lambda: len(calls) >= 1)
    assert (tmp_path / "migan_traced.pt.part").stat().st_size == calls[-1]
    assert download_model(model_at(server.url), tmp_path).read_bytes() == PAYLOAD


def test_the_published_files_are_pinned():
    for model in MODEL_FILES.values():
        assert model.url.startswith("https://")
        assert re.fullmatch(r"[0-9a-f]{32}", model.md5)
        assert model.licence in ("Apache-2.0", "MIT")
    assert Path(MODEL_FILES["lama"].url).name == "big-lama.pt"
