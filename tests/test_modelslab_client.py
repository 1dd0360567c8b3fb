"""The ModelsLab client against the emulator, over real HTTP."""

import time

import pytest

from object_removal.clients.keyed_http import KeyedHttp
from object_removal.clients.modelslab import INTERIOR_REMOVAL, MASK_REMOVAL, ModelsLabClient
from object_removal.clients.retry import RetryPolicy
from object_removal.errors import ProviderError
from object_removal.imaging.codec import decode_image, encode_mask_png, encode_png
from object_removal.imaging.provider_limits import EncodedImage
from support import AILAB_KEY, MODELSLAB_KEY, photo_like

FAST = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2)


class InteriorJobs:
    """The client at the interior endpoint, as TextObjectRemove uses it."""

    def __init__(self, settings, on_retry=None):
        self.client = ModelsLabClient(KeyedHttp(settings.modelslab, on_retry=on_retry),
                                      policy=FAST, submit_policy=FAST)

    def upload(self, image):
        return self.client.upload(image)

    def submit(self, url, object_name):
        return self.client.submit(INTERIOR_REMOVAL, {
            "init_image": url, "object_name": object_name, "base64": False})

    def fetch(self, job_id):
        return self.client.fetch(INTERIOR_REMOVAL, job_id)

    def download(self, status):
        return self.client.download(status)


def client(settings, **kwargs):
    return InteriorJobs(settings, **kwargs)


def upload(settings, rgb=None):
    rgb = photo_like(96, 128) if rgb is None else rgb
    return client(settings).upload(EncodedImage(encode_png(rgb), "image/png", 128, 96))


def test_upload_submit_poll_download(settings, emulator):
    emulator.behaviour.job_seconds = 0.6
    url = upload(settings)
    assert url.startswith(emulator.cdn_url)
    ml = client(settings)
    submitted = ml.submit(url, "sofa")
    assert submitted.state == "processing" and submitted.job_id and submitted.eta >= 1
    assert ml.fetch(submitted.job_id).state == "processing"
    time.sleep(0.7)
    done = ml.fetch(submitted.job_id)
    assert done.state == "success" and done.output_urls[0].startswith(emulator.cdn_url)
    image = decode_image(ml.download(done))
    assert image.shape == (64, 128, 3)  # the emulator answers at multiples of 64

    upload_request, submit_request = emulator.requests("ml_upload") + emulator.requests(
        "ml_submit")
    assert upload_request.json["key"] == MODELSLAB_KEY
    assert upload_request.json["base64_string"].startswith("data:image/png;base64,")
    assert submit_request.json == {"key": MODELSLAB_KEY, "init_image": url,
                                   "object_name": "sofa", "base64": False, "webhook": None,
                                   "track_id": None}
    # Keys reach the API origin only: never the CDN, never the other provider's key.
    assert emulator.keys_seen_on_cdn() == set()
    for request in emulator.requests():
        if request.endpoint == "cdn":
            assert "key" not in {k.lower() for k in request.headers}
        assert AILAB_KEY not in request.body.decode("latin-1")


def test_immediate_success(settings, emulator):
    emulator.behaviour.job_seconds = 0
    status = client(settings).submit(upload(settings), "lamp")
    assert status.state == "success" and status.output_urls


@pytest.mark.parametrize("style", ["list", "string"])
def test_processing_output_may_be_a_list_or_a_string(settings, emulator, style):
    emulator.behaviour.processing_output = style
    status = client(settings).submit(upload(settings), "lamp")
    assert status.state == "processing"
    assert client(settings).fetch(status.job_id).state == "processing"


def test_a_failed_job_is_reported_as_failed(settings, emulator):
    emulator.behaviour.job_outcome = "failed"
    emulator.behaviour.job_seconds = 0.1
    status = client(settings).submit(upload(settings), "lamp")
    time.sleep(0.2)
    failed = client(settings).fetch(status.job_id)
    assert failed.state == "failed" and "Try Again" in failed.message


@pytest.mark.parametrize("legacy", [False, True])
def test_error_messages_as_objects_and_legacy_spelling(settings, emulator, legacy):
    emulator.behaviour.legacy_error_spelling = legacy
    with pytest.raises(ProviderError, match="object_name: The object name field is required"):
        client(settings).submit(upload(settings), "")
    with pytest.raises(ProviderError, match="Request not found"):
        client(settings).fetch("999")


@pytest.mark.parametrize(
    "status,words",
    [(401, "MODELSLAB_API_KEY"), (402, "out of credits"), (403, "plan")],
)
def test_account_errors_are_clear_and_not_retried(settings, emulator, status, words):
    url = upload(settings)
    emulator.script("ml_submit", http_status=status,
                    json={"status": "error", "message": f"nope {MODELSLAB_KEY}"})
    with pytest.raises(ProviderError) as error:
        client(settings).submit(url, "sofa")
    assert words in str(error.value)
    assert MODELSLAB_KEY not in str(error.value)
    assert len(emulator.requests("ml_submit")) == 1


def test_a_wrong_key_is_refused(settings, emulator, monkeypatch):
    from object_removal.config import load_settings

    monkeypatch.setenv("MODELSLAB_API_KEY", "wrong-wrong-wrong-key")
    with pytest.raises(ProviderError, match="MODELSLAB_API_KEY") as error:
        upload(load_settings())
    assert "wrong-wrong-wrong-key" not in str(error.value)


def test_queue_limit_on_submit_is_retried_after_retry_after(settings, emulator):
    url = upload(settings)
    emulator.script("ml_submit", http_status=429, retry_after=1,
                    json={"status": "error", "message": "queue limit", "retry_after": 1})
    status = client(settings).submit(url, "sofa")
    assert status.state == "processing"
    first, second = emulator.requests("ml_submit")
    assert second.time - first.time >= 1.0


@pytest.mark.parametrize("script", [
    {"http_status": 500, "json": {"status": "error", "message": "boom"}},
    {"http_status": 502, "raw": "<html>bad gateway</html>", "content_type": "text/html"},
    {"drop": True},
])
def test_a_submit_that_may_have_been_queued_is_never_resent(settings, emulator, script):
    url = upload(settings)
    emulator.script("ml_submit", **script)
    with pytest.raises(ProviderError, match="may have reached ModelsLab and been billed"):
        client(settings).submit(url, "sofa")
    assert len(emulator.requests("ml_submit")) == 1


def test_a_submit_that_never_connected_is_retried(settings, monkeypatch):
    from object_removal.config import load_settings

    monkeypatch.setenv("MODELSLAB_BASE_URL", "http://127.0.0.1:9")
    retries = []
    ml = InteriorJobs(load_settings(), on_retry=lambda n, d, e: retries.append(n))
    with pytest.raises(ProviderError, match="could not connect"):
        ml.submit("http://127.0.0.1:9/x.png", "sofa")
    assert retries == [1, 2]


def test_fetch_retries_server_trouble(settings, emulator):
    status = client(settings).submit(upload(settings), "sofa")
    emulator.script("ml_fetch", http_status=503, raw="unavailable")
    assert client(settings).fetch(status.job_id).state == "processing"
    assert len(emulator.requests("ml_fetch")) == 2


@pytest.mark.parametrize("kind", ["not_json", "truncated_json", "no_status",
                                  "success_without_output"])
def test_malformed_replies_are_clear_errors(settings, emulator, kind):
    status = client(settings).submit(upload(settings), "sofa")
    emulator.script("ml_fetch", malformed=kind)
    with pytest.raises(ProviderError, match="ModelsLab"):
        client(settings).fetch(status.job_id)


def test_fetch_goes_to_the_configured_origin_whatever_the_reply_says(settings, emulator):
    url = upload(settings)
    emulator.script("ml_submit", json={
        "status": "processing", "id": 424242, "eta": 1, "output": [],
        "fetch_result": emulator.cdn_url + "/api/v6/interior/fetch/424242"})
    status = client(settings).submit(url, "sofa")
    with pytest.raises(ProviderError):
        client(settings).fetch(status.job_id)  # unknown to the emulator, but asked at home
    assert emulator.requests("cdn") == []
    assert emulator.requests("ml_fetch")[0].path.endswith("/fetch/424242")


def test_ids_are_checked_before_anything_is_sent(settings, emulator):
    with pytest.raises(Exception, match="not a ModelsLab job id"):
        client(settings).fetch("../../etc")
    assert emulator.requests() == []


def test_mask_removal_uploads_both_and_polls_its_own_endpoint(settings, emulator):
    emulator.behaviour.job_seconds = 0.3
    rgb = photo_like(96, 128)
    mask = __import__("numpy").zeros((96, 128), bool)
    mask[30:60, 40:90] = True
    ml = ModelsLabClient(KeyedHttp(settings.modelslab), policy=FAST, submit_policy=FAST)
    image_url = ml.upload(EncodedImage(encode_png(rgb), "image/png", 128, 96))
    mask_url = ml.upload(EncodedImage(encode_mask_png(mask), "image/png", 128, 96))
    submitted = ml.submit(MASK_REMOVAL, {"init_image": image_url, "mask_image": mask_url})
    assert submitted.state == "processing"
    time.sleep(0.4)
    done = ml.fetch(MASK_REMOVAL, submitted.job_id)
    assert done.state == "success"
    assert decode_image(ml.download(done)).shape == (64, 128, 3)
    (submit_request,) = emulator.requests("ml_mask_submit")
    assert submit_request.json == {"key": MODELSLAB_KEY, "init_image": image_url,
                                   "mask_image": mask_url, "webhook": None, "track_id": None}
    assert emulator.requests("ml_mask_fetch")[0].path.endswith(
        f"/image_editing/fetch/{submitted.job_id}")
    assert emulator.requests("ml_submit") == [] and emulator.requests("ml_fetch") == []
    assert emulator.keys_seen_on_cdn() == set()
