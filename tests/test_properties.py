"""Property tests: whatever a provider (or a shared workflow) hands over, the parsers and
conversions answer with a result or the pack's own error, never a crash."""

import base64
import json
import math

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from object_removal.clients import ailab, modelslab
from object_removal.clients.bounded_http import HttpReply
from object_removal.clients.keyed_http import json_object
from object_removal.clients.retry import parse_retry_after
from object_removal.errors import MAX_QUOTED_CHARS, ObjectRemovalError, ProviderError, quoted
from object_removal.imaging.codec import decode_image
from object_removal.imaging.tensors import binary_mask, from_uint8, to_uint8
from object_removal.text.job_handle import JobReference, parse_job_reference

ORIGIN = "https://modelslab.com"
KEY = "property-test-key-123456"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=20,
)
# Objects shaped like provider replies, with every field of any type.
reply_objects = st.fixed_dictionaries({}, optional={
    name: json_values for name in (
        "status", "id", "output", "proxy_links", "eta", "message", "messege", "retry_after",
        "error_code", "error_code_str", "error_msg", "error_detail", "data")
})
statuses = st.sampled_from([200, 201, 204, 301, 400, 401, 402, 403, 404, 413, 422, 429, 500,
                            502, 503, 504])
headers = st.fixed_dictionaries({}, optional={"Retry-After": st.text(max_size=40)})
relaxed = settings(max_examples=300, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])


def reply(status, heads, body: bytes) -> HttpReply:
    return HttpReply(status, heads, body)


@relaxed
@given(st.binary(max_size=300))
def test_any_bytes_are_a_json_object_or_none(body):
    value = json_object(body)
    assert value is None or isinstance(value, dict)


@relaxed
@given(statuses, headers, reply_objects | json_values)
def test_ailab_replies_become_a_result_or_a_provider_error(status, heads, payload):
    body = json.dumps(payload).encode()
    try:
        envelope = ailab.parse_reply(reply(status, heads, body), "AILAB_API_KEY")
        image = ailab._base64_image(envelope)
    except ProviderError as error:
        assert len(str(error)) < 1200
        return
    assert isinstance(envelope, dict) and status < 400
    assert isinstance(image, bytes)  # the only other outcome: the image's bytes


# The base64 image of a success reply as providers send it: whole, broken into lines,
# with or without a data: prefix, alone or in a list.
@relaxed
@given(st.binary(min_size=1, max_size=600), st.booleans(), st.booleans(),
       st.integers(0, 3), st.sampled_from([200, 201]))
def test_ailab_success_replies_give_back_exactly_the_images_bytes(
        picture, prefixed, in_a_list, line_breaks, status):
    text = base64.b64encode(picture).decode()
    for _ in range(line_breaks):
        text = text[: len(text) // 2] + "\n" + text[len(text) // 2:]
    if prefixed:
        text = "data:image/png;base64," + text
    payload = {"error_code": 0, "data": {"binary_data_base64": [text] if in_a_list else text}}
    envelope = ailab.parse_reply(reply(status, {}, json.dumps(payload).encode()), "KEY")
    assert ailab._base64_image(envelope) == picture


@relaxed
@given(statuses, headers, reply_objects | json_values, st.booleans())
def test_modelslab_replies_become_a_job_state_or_a_provider_error(status, heads, payload, paid):
    body = json.dumps(payload).encode()
    try:
        answer = modelslab.parse_reply(reply(status, heads, body), "hint", "fetch", paid)
        state = modelslab._job_status(answer, "130000001")
    except ProviderError as error:
        assert len(str(error)) < 1200
        return
    assert state.state in ("processing", "success", "failed")
    assert all(isinstance(url, str) and url for url in state.output_urls)
    assert state.eta is None or (math.isfinite(state.eta) and state.eta >= 0)


@relaxed
@given(st.binary(max_size=2000))
def test_any_bytes_decode_to_an_image_or_the_packs_error(data):
    try:
        rgb = decode_image(data)
    except ObjectRemovalError:
        return
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3


@relaxed
@given(st.text(max_size=120))
def test_any_job_text_is_a_reference_or_the_packs_error(text):
    try:
        reference = parse_job_reference(text, ORIGIN)
    except ObjectRemovalError as error:
        assert len(str(error)) < 600
        return
    assert isinstance(reference, JobReference) and reference.job_ids
    assert all(job_id.isdigit() for job_id in reference.job_ids)


@relaxed
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=80)))
def test_retry_after_is_a_finite_wait_or_none(value):
    seconds = parse_retry_after(value, now=1_800_000_000.0)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


@relaxed
@given(st.text())
def test_quoted_text_is_one_short_line(text):
    line = quoted(text)
    assert len(line) <= MAX_QUOTED_CHARS and "\n" not in line


@relaxed
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_8_bit_pixels_survive_the_float_round_trip(height, width, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert np.array_equal(to_uint8(from_uint8(pixels)), pixels)


@relaxed
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_any_float_pixel_becomes_its_nearest_8_bit_value(height, width, seed):
    """What other nodes hand over is rarely k/255: each value goes to the nearest level
    (off by at most half a level), out-of-range values to 0 or 255."""
    values = np.random.default_rng(seed).uniform(-0.2, 1.2, (height, width, 3))
    levels = to_uint8(torch.from_numpy(values.astype(np.float32))).astype(np.float64)
    nearest = np.clip(values.astype(np.float32).astype(np.float64) * 255, 0, 255)
    assert np.abs(levels - nearest).max() <= 0.5 + 1e-4


@relaxed
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_a_mask_of_the_images_shape_resizes_and_keeps_what_it_marks(h, w, factor, seed):
    """Every pixel: where all the mask values it is interpolated from are >= 0.5 it is
    marked, where all are below it is not (bilinear: a weighted mean of them); at the
    image's own size, exactly the values >= 0.5."""
    values = np.random.default_rng(seed).random((h, w)).astype(np.float32)
    hole = binary_mask(torch.from_numpy(values), h * factor, w * factor)
    assert hole.shape == (h * factor, w * factor) and hole.dtype == bool
    if factor == 1:
        assert np.array_equal(hole, values >= 0.5)
    # The source rows and columns each output pixel is interpolated from.
    low, high = np.full(hole.shape, np.inf), np.full(hole.shape, -np.inf)
    rows = [_sources((np.arange(h * factor) + 0.5) / factor - 0.5, h)]
    cols = [_sources((np.arange(w * factor) + 0.5) / factor - 0.5, w)]
    for row in rows[0]:
        for col in cols[0]:
            picked = values[np.ix_(row, col)]
            low, high = np.minimum(low, picked), np.maximum(high, picked)
    assert hole[low >= 0.5].all() and not hole[high < 0.5].any()
    assert (low >= 0.5).any() or (high < 0.5).any()  # something was checked


def _sources(position: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """For positions in source pixels, the two source indices interpolated between."""
    clamped = np.clip(position, 0, size - 1)
    first = np.floor(clamped).astype(int)
    return first, np.minimum(first + 1, size - 1)
