"""Providers, proxies and CDNs that answer badly or not at all, through the nodes.

Each case ends within its deadline with a clear error that names the node, with no
key in it, and with no second paid call. The emulator plays the hostile party
(trickle, silent, filler, raw bodies, redirects: see provider_emulator/README.md).
"""

import base64
import gzip
import struct
import time
import tracemalloc
import zlib

import pytest
import torch

from object_removal.clients.ailab import AILabClient
from object_removal.clients.keyed_http import KeyedHttp, Timeouts
from object_removal.clients.retry import RetryPolicy
from object_removal.errors import ProviderError
from object_removal.imaging.codec import encode_mask_png, encode_png
from object_removal.mask.parameters import MaskInputs
from object_removal.providers.ailab import AdvancedParams
from support import (
    AILAB_KEY,
    MODELSLAB_KEY,
    disc_mask,
    image_tensor,
    node_class,
    pack_module,
    photo_like,
    run,
)

MaskObjectRemove = node_class("MaskObjectRemove")
TextObjectRemove = node_class("TextObjectRemove")
node_errors = pack_module("object_removal.errors")
MASK_INPUTS = dict(steps=30, strength=0.8, scale=7.0, seed=0, dilate_size=15, quality="M",
                   composite=True)
KEYS = (AILAB_KEY, MODELSLAB_KEY)


def mask_remove(provider="ailab", **overrides):
    image = image_tensor(photo_like(80, 96))
    return run(MaskObjectRemove().remove(image, disc_mask(80, 96, 40, 48, 10), provider,
                                         **{**MASK_INPUTS, **overrides}))


def text_remove(timeout, wait=True):
    image = image_tensor(photo_like(64, 128))
    return run(TextObjectRemove().remove(image, "lamp", wait, timeout))


def assert_clear(error: BaseException, node: str) -> str:
    message = str(error)
    assert message.startswith(f"{node}: ")
    assert not any(key in message for key in KEYS)
    assert "Traceback" not in message and len(message) < 1500
    return message


def timed(action):
    started = time.monotonic()
    try:
        action()
    except Exception as exc:  # the error is the point; its type is checked by the caller
        return exc, time.monotonic() - started
    raise AssertionError("no error")


# --- waits that end -------------------------------------------------------------------------


# A trickle of 1 s a byte passes the deadline in the headers; 0.01 s a byte passes it in
# the body, after the headers arrived (read from the raw stream, its errors differ).
# These tests check the deadline's mechanism (the error it raises, what was sent); how
# soon after it the node ends is a figure of benchmarks/bench_speed_cost.py, not a
# wall-clock bound a loaded machine could break. Were a deadline ignored, the trickled
# answers would complete and the run succeed (or outlast pytest's timeout).
TRICKLES = pytest.mark.parametrize("trickle", [1.0, 0.01], ids=["in_headers", "in_body"])


@TRICKLES
def test_a_trickling_poll_ends_at_the_nodes_timeout_with_the_handle(settings, emulator, trickle):
    emulator.behaviour.job_seconds = 60
    for _ in range(20):
        emulator.script("ml_fetch", trickle=trickle)
    error, _ = timed(lambda: text_remove(timeout=4))
    assert isinstance(error, node_errors.JobTimeoutError)
    assert "still processing after 4 s" in str(error)
    assert error.handle.startswith("modelslab:") and error.handle in str(error)
    assert_clear(error, "Text Object Remove")


@TRICKLES
def test_a_trickling_submit_ends_at_the_timeout_and_is_not_sent_again(settings, emulator,
                                                                      trickle):
    emulator.script("ml_submit", trickle=trickle)
    error, _ = timed(lambda: text_remove(timeout=3))
    message = assert_clear(error, "Text Object Remove")
    # The node stops waiting; the submit's answer is still read (and its job kept).
    assert isinstance(error, node_errors.JobTimeoutError)
    assert "had not yet answered 1 submit" in message and "may exist and be billed" in message
    assert len(emulator.requests("ml_submit")) == 1


def test_a_trickling_cdn_ends_at_the_timeout(settings, emulator):
    emulator.behaviour.job_seconds = 0
    emulator.script("cdn", trickle=1.0)  # the upload's URL is not downloaded; the result is
    emulator.script("cdn", trickle=1.0)
    error, _ = timed(lambda: text_remove(timeout=3))
    assert "did not finish in time" in assert_clear(error, "Text Object Remove")


@pytest.mark.parametrize("script", [{"silent": True}, {"trickle": 1.0}, {"trickle": 0.005}],
                         ids=["silent", "trickle_in_headers", "trickle_in_body"])
def test_a_paid_call_that_never_completes_ends_by_its_total_and_is_not_resent(
        settings, emulator, script):
    emulator.script("ailab", **script)
    fields = AdvancedParams.from_inputs(MaskInputs()).form_fields()
    client = AILabClient(KeyedHttp(settings.ailab, timeouts=Timeouts(read=60, total=2)))
    image, mask = encode_png(photo_like(80, 96)), encode_mask_png(disc_mask(80, 96, 40, 48, 9)
                                                                  .numpy() > 0)
    error, _ = timed(lambda: client.remove_objects_advanced(image, "image/png", mask, fields))
    assert isinstance(error, ProviderError)
    assert "no complete answer within 2 s" in str(error)
    assert "may have reached AILabTools and been billed" in str(error)
    assert len(emulator.requests("ailab")) == 1


def test_a_queue_limit_forever_ends_at_the_timeout(settings, emulator):
    for _ in range(40):
        emulator.script("ml_submit", http_status=429, retry_after=1,
                        json={"status": "error", "message": "queue limit"})
    error, _ = timed(lambda: text_remove(timeout=5))
    assert "queue limit" in assert_clear(error, "Text Object Remove")
    assert len(emulator.requests("ml_submit")) <= 6


def test_a_retry_after_of_an_hour_says_so_at_once(settings, emulator):
    emulator.script("ailab", code="EXCEEDING_LIMITS", retry_after=3600)
    error, _ = timed(lambda: mask_remove())  # an hour's wait would outlast pytest's timeout
    assert "asked to wait 60 minutes" in assert_clear(error, "Mask Object Remove")
    assert len(emulator.requests("ailab")) == 1


# --- bounded replies ------------------------------------------------------------------------


@pytest.mark.parametrize("script", [{"filler": 300_000_000},
                                    {"filler": 100_000_000, "chunked": True}],
                         ids=["declared", "chunked"])
def test_a_huge_reply_is_refused_without_reading_it_all(settings, emulator, script):
    emulator.script("ailab", **script)
    tracemalloc.start()
    try:
        error, seconds = timed(lambda: mask_remove())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than" in assert_clear(error, "Mask Object Remove")
    assert peak < 80_000_000  # the 32 MB cap and its copies, not the 100 or 300 MB
    assert len(emulator.requests("ailab")) == 1


def test_a_compressed_bomb_is_refused_at_the_cap(settings, emulator):
    bomb = gzip.compress(b'{"pad":"' + b"a" * 200_000_000 + b'"}', compresslevel=9)
    assert len(bomb) < 1_000_000
    emulator.script("ailab", raw=bomb, headers={"Content-Encoding": "gzip"})
    error, _ = timed(lambda: mask_remove())
    assert "larger than" in assert_clear(error, "Mask Object Remove")


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height: refused before any pixel is decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1000)  # the start of the rows; the rest is missing
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels)


def test_a_result_of_88_megapixels_is_refused_before_decoding(settings, emulator):
    picture = base64.b64encode(huge_png_header(11000, 8000)).decode()
    emulator.script("ailab", json={"error_code": 0, "data": {"binary_data_base64": [picture]}})
    error, _ = timed(lambda: mask_remove())
    assert "11000x8000 pixels, more than the 40 megapixels" in assert_clear(
        error, "Mask Object Remove")


def test_a_huge_result_file_is_refused_at_its_cap(settings, emulator):
    emulator.behaviour.job_seconds = 0
    emulator.script("cdn", filler=200_000_000)
    error, _ = timed(lambda: text_remove(timeout=30))
    assert "larger than the 67108864 byte cap" in assert_clear(error, "Text Object Remove")


# --- replies that break parsers or messages -------------------------------------------------


def test_deeply_nested_json_is_the_packs_own_error(settings, emulator):
    emulator.script("ailab", raw="[" * 200_000, content_type="application/json")
    error, _ = timed(lambda: mask_remove())
    assert isinstance(error, node_errors.ObjectRemovalError)
    assert "unreadable reply" in assert_clear(error, "Mask Object Remove")


def test_huge_provider_text_is_cut(settings, emulator):
    emulator.script("ailab", http_status=400, json={
        "error_code": 1, "error_detail": {"code": "Z" * 100_000,
                                          "message": "x" * 5_000_000 + AILAB_KEY}})
    error, _ = timed(lambda: mask_remove())
    message = assert_clear(error, "Mask Object Remove")
    assert "xxxx" in message


@pytest.mark.parametrize("payload,says", [
    ({"status": "success", "id": 1, "output": {"a": 1}}, "listed no output"),
    ({"status": 5, "id": 1}, "unexpected reply"),
    ({"status": "success", "id": 1, "output": ["file:///etc/passwd"]}, "not an http(s) URL"),
    ({"status": "processing", "id": [], "eta": "soon"}, "no job id"),
])
def test_wrong_field_types_and_links_are_clear_errors(settings, emulator, payload, says):
    emulator.script("ml_submit", json=payload)
    error, _ = timed(lambda: text_remove(timeout=10))
    assert says in assert_clear(error, "Text Object Remove")
    assert len(emulator.requests("ml_submit")) == 1


def test_a_redirect_loop_on_the_cdn_ends(settings, emulator):
    emulator.behaviour.job_seconds = 0
    for _ in range(12):
        emulator.script("cdn", http_status=302, raw="",
                        headers={"Location": "/outputs/loop.png"})
    error, _ = timed(lambda: text_remove(timeout=30))
    assert "redirected more than 5 times" in assert_clear(error, "Text Object Remove")
    assert emulator.keys_seen_on_cdn() == set()


def test_comfyui_interrupts_are_not_turned_into_errors():
    """Before ComfyUI 0.33 its interrupt was an Exception; it must pass as a cancel."""
    import sys
    import types

    interrupt = type("InterruptProcessingException", (Exception,), {})
    comfy = types.ModuleType("comfy")
    comfy.model_management = types.SimpleNamespace(InterruptProcessingException=interrupt,
                                                   processing_interrupted=lambda: False)
    support = pack_module("nodes.node_support")
    sys.modules["comfy"], sys.modules["comfy.model_management"] = comfy, \
        comfy.model_management
    try:
        with pytest.raises(interrupt), support.errors_named_for("Mask Object Remove"):
            raise interrupt()
        with pytest.raises(node_errors.ObjectRemovalError, match="unexpected KeyError"), \
                support.errors_named_for("Mask Object Remove"):
            raise KeyError("x")
    finally:
        del sys.modules["comfy"], sys.modules["comfy.model_management"]


def test_unexpected_errors_name_the_node_and_no_key(settings, emulator):
    image = torch.zeros(1, 64, 64, 3)
    with pytest.raises(node_errors.ObjectRemovalError) as error:
        run(MaskObjectRemove().remove(image, object(), "ailab", **MASK_INPUTS))
    assert_clear(error.value, "Mask Object Remove")


def test_no_policy_retries_a_paid_call_after_a_broken_connection(settings, emulator):
    client = AILabClient(KeyedHttp(settings.ailab), RetryPolicy(attempts=5, base_delay=0.01))
    emulator.script("ailab", drop=True)
    fields = AdvancedParams.from_inputs(MaskInputs()).form_fields()
    image = encode_png(photo_like(80, 96))
    mask = encode_mask_png(disc_mask(80, 96, 40, 48, 9).numpy() > 0)
    with pytest.raises(ProviderError, match="may have reached AILabTools and been billed"):
        client.remove_objects_advanced(image, "image/png", mask, fields)
    assert len(emulator.requests("ailab")) == 1
