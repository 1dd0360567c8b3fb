"""The AILabTools client against the emulator, over real HTTP."""


import numpy as np
import pytest

from object_removal.clients.ailab import AILabClient
from object_removal.clients.keyed_http import KeyedHttp
from object_removal.clients.retry import RetryPolicy
from object_removal.errors import Cancelled, ObjectRemovalError, ProviderError
from object_removal.imaging.codec import decode_image, encode_mask_png, encode_png
from object_removal.mask.parameters import MaskInputs
from object_removal.providers.ailab import AdvancedParams
from support import AILAB_KEY, photo_like

FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2)
FIELDS = AdvancedParams.from_inputs(MaskInputs()).form_fields()


@pytest.fixture
def payload():
    rgb = photo_like(96, 128)
    mask = np.zeros((96, 128), bool)
    mask[30:50, 40:70] = True
    return rgb, encode_png(rgb), encode_mask_png(mask)


def client(settings, cancel=None, policy=FAST):
    return AILabClient(KeyedHttp(settings.ailab, cancel=cancel), policy)


def test_success_returns_the_result_image(settings, emulator, payload):
    rgb, image, mask = payload
    result = client(settings).remove_objects_advanced(
        image, "image/png", mask, AdvancedParams.from_inputs(MaskInputs(seed=3)).form_fields())
    assert decode_image(result).shape == rgb.shape
    (request,) = emulator.requests("ailab")
    assert request.headers["ailabapi-api-key"] == AILAB_KEY
    assert request.form == {"steps": "30", "strength": "0.8", "scale": "7", "seed": "3",
                            "dilate_size": "15", "quality": "M"}
    assert request.files["image"].data == image
    assert request.files["mask"].data == mask


def test_data_prefix_on_the_base64_is_accepted(settings, emulator, payload):
    emulator.behaviour.ailab_data_prefix = True
    _, image, mask = payload
    result = client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert decode_image(result).shape == (96, 128, 3)


# (code, retryable, words the message must contain)
CODES = [
    ("ERROR_USER_NOT_EXISTS", False, "AILAB_API_KEY"),
    ("ERROR_APPLICATIONS_NOT_EXISTS", False, "AILAB_API_KEY"),
    ("ERROR_USER_LOCKED", False, "locked"),
    ("ERROR_NOT_ENOUGH_CREDITS", False, "out of credits"),
    ("FILE_SIZE_EXCEEDS_LIMIT", False, "5 MB"),
    ("FILE_RESOLUTION_EXCEEDS_LIMITS", False, "size"),
    ("UNSUPPORTED_FILE_TYPES", False, "JPEG or PNG"),
    ("FILE_DECODING_FAILURE", False, "could not read"),
    ("ERROR_LOW_RESOLUTION", False, "too small"),
    ("ERROR_CONTENT_NON_COMPLIANCE", False, "content policy"),
    ("ERROR_MASK_IMAGE_RESOLUTION_MISMATCH", False, "differ in size"),
    ("MISSING_PARAMETERS", False, "missing"),
    ("ERROR_INVALID_PARAMETER", False, "parameter"),
    ("EXCEEDING_LIMITS", True, "too many requests"),
    ("AI_SERVICE_FLOW_RESTRICTION", True, "throttling"),
    ("PROCESSING_FAILURE", True, "Try again"),
    ("AI_SERVICE_ERROR", True, "Try again"),
    ("AI_SERVICE_TIMEOUT", True, "Try again"),
]


@pytest.mark.parametrize("code,retryable,words", CODES)
def test_every_documented_code_becomes_a_clear_error(settings, emulator, payload, code,
                                                     retryable, words):
    _, image, mask = payload
    for _ in range(FAST.attempts):
        emulator.script("ailab", code=code)
    with pytest.raises(ProviderError) as error:
        client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert error.value.code == code
    assert error.value.retryable is retryable
    assert words in str(error.value)
    assert AILAB_KEY not in str(error.value)
    # Retryable codes were tried again; the others were sent once.
    assert len(emulator.requests("ailab")) == (FAST.attempts if retryable else 1)


def test_rate_limit_is_retried_after_the_hint_and_succeeds(settings, emulator, payload):
    _, image, mask = payload
    emulator.script("ailab", code="EXCEEDING_LIMITS", retry_after=1)
    result = client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert decode_image(result).shape == (96, 128, 3)
    first, second = emulator.requests("ailab")
    assert second.time - first.time >= 1.0


def test_non_json_502_is_retried(settings, emulator, payload):
    _, image, mask = payload
    emulator.script("ailab", http_status=502, raw="<html>Bad Gateway</html>",
                    content_type="text/html")
    result = client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert result
    assert len(emulator.requests("ailab")) == 2


def test_a_connection_dropped_after_sending_is_not_sent_again(settings, emulator, payload):
    """The call is the paid call: once the request arrived it may have been billed."""
    _, image, mask = payload
    emulator.script("ailab", drop=True)
    with pytest.raises(ProviderError, match="may have reached AILabTools and been billed"):
        client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert len(emulator.requests("ailab")) == 1


def test_an_unreachable_provider_is_a_clear_error(settings, payload, monkeypatch):
    from object_removal.config import load_settings

    monkeypatch.setenv("AILAB_BASE_URL", "http://127.0.0.1:9")
    _, image, mask = payload
    with pytest.raises(ProviderError, match="AILabTools .*could not connect.*AILAB_BASE_URL"):
        client(load_settings()).remove_objects_advanced(image, "image/png", mask, FIELDS)


@pytest.mark.parametrize("kind", ["not_json", "truncated_json", "no_data", "empty_list",
                                  "bad_base64"])
def test_malformed_success_replies_are_errors_not_crashes(settings, emulator, payload, kind):
    _, image, mask = payload
    emulator.script("ailab", malformed=kind)
    with pytest.raises(ProviderError) as error:
        client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert "AILabTools" in str(error.value)
    assert len(emulator.requests("ailab")) == 1  # a 200 that is garbage is not retried


def test_a_wrong_key_is_refused_and_never_echoed(settings, emulator, payload, monkeypatch):
    from object_removal.config import load_settings

    wrong = "wrong-key-abcdefghijkl"
    monkeypatch.setenv("AILAB_API_KEY", wrong)
    _, image, mask = payload
    with pytest.raises(ProviderError) as error:
        client(load_settings()).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert error.value.http_status == 401
    assert "AILAB_API_KEY" in str(error.value)
    assert wrong not in str(error.value)


def test_a_provider_echoing_the_key_is_redacted(settings, emulator, payload):
    _, image, mask = payload
    emulator.script("ailab", http_status=400, json={
        "error_code": 1, "error_detail": {"code": "ERROR_INVALID_PARAMETER",
                                          "message": f"bad request from key {AILAB_KEY}"}})
    with pytest.raises(ProviderError) as error:
        client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert AILAB_KEY not in str(error.value)
    assert "***" in str(error.value)


def test_redirects_are_not_followed_so_the_key_stays_home(settings, emulator, payload):
    _, image, mask = payload
    emulator.script("ailab", http_status=307,
                    headers={"Location": emulator.cdn_url + "/uploads/steal"})
    with pytest.raises(ProviderError, match="redirect"):
        client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert emulator.requests("cdn") == []
    assert emulator.keys_seen_on_cdn() == set()


def test_bad_parameters_are_refused_by_their_own_type():
    with pytest.raises(ObjectRemovalError, match="strength.*quality"):
        AdvancedParams.from_inputs(MaskInputs(strength=1.5, quality="X"))


def test_a_retry_after_too_long_to_wait_fails_at_once(settings, emulator, payload):
    _, image, mask = payload
    emulator.script("ailab", code="EXCEEDING_LIMITS", retry_after=3600)
    with pytest.raises(ProviderError, match="too many requests.*asked to wait 60 minutes"):
        client(settings).remove_objects_advanced(image, "image/png", mask, FIELDS)
    assert len(emulator.requests("ailab")) == 1  # not waited for, not sent again


def test_cancel_stops_the_retry_wait(settings, emulator, payload):
    import threading

    _, image, mask = payload
    emulator.script("ailab", code="EXCEEDING_LIMITS", retry_after=30)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(Cancelled):
        client(settings, cancel=cancel, policy=RetryPolicy()).remove_objects_advanced(
            image, "image/png", mask, FIELDS)
    assert len(emulator.requests("ailab")) == 1  # the 30 s wait ended: no retry went out
