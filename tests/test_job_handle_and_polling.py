"""Job handles, what FetchResult accepts, and the polling schedule."""

import pytest

from object_removal.errors import ObjectRemovalError
from object_removal.job_handle import JobReference, parse_job_reference
from object_removal.polling import MAX_POLL_SECONDS, MIN_POLL_SECONDS, next_poll_delay

ORIGIN = "https://modelslab.com"


def test_handle_round_trip():
    reference = JobReference(("123", "456"), (1024, 768))
    text = reference.format()
    assert text == "modelslab:123,456@1024x768"
    assert parse_job_reference(f"  {text}\n", ORIGIN) == reference


def test_a_handle_carries_the_originals_and_old_handles_still_parse():
    originals = ("0123456789abcdef", "fedcba9876543210")
    reference = JobReference(("123", "456"), (1024, 768), originals)
    text = reference.format()
    assert text == "modelslab:123,456@1024x768#0123456789abcdef,fedcba9876543210"
    assert parse_job_reference(text, ORIGIN) == reference
    old = parse_job_reference("modelslab:123,456@1024x768", ORIGIN)  # from before originals
    assert old.originals == () and old.size == (1024, 768) and old.job_ids == ("123", "456")


@pytest.mark.parametrize("text", [
    "modelslab:123,456@1024x768#0123456789abcdef",  # one original for two jobs
    "modelslab:123@1024x768#0123456789abcde",  # 15 digits
    "modelslab:123@1024x768#0123456789ABCDEF",  # not as written
    "modelslab:123@1024x768#",
    "modelslab:123@99999x768#0123456789abcdef",  # over MAX_SIDE: the cap stands
])
def test_handles_with_broken_originals_are_refused(text):
    with pytest.raises(ObjectRemovalError):
        parse_job_reference(text, ORIGIN)


def test_bare_id_and_fetch_url():
    assert parse_job_reference("130000001", ORIGIN) == JobReference(("130000001",))
    url = "https://modelslab.com/api/v6/interior/fetch/130000002"
    assert parse_job_reference(url, ORIGIN).job_ids == ("130000002",)
    assert parse_job_reference(url + "/", ORIGIN).job_ids == ("130000002",)


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.example/api/v6/interior/fetch/1",
        "http://modelslab.com/api/v6/interior/fetch/1",
        "https://modelslab.com.evil.example/api/v6/interior/fetch/1",
        "https://modelslab.com@evil.example/api/v6/interior/fetch/1",
        "https://modelslab.com:444/api/v6/interior/fetch/1",
    ],
)
def test_urls_on_other_origins_are_refused(text):
    with pytest.raises(ObjectRemovalError, match="not on the configured ModelsLab origin"):
        parse_job_reference(text, ORIGIN)


@pytest.mark.parametrize("text", ["", "abc", "modelslab:12@0x5", "12; rm -rf", "ftp://x/1",
                                  "https://modelslab.com/somewhere/else"])
def test_anything_else_is_a_clear_error(text):
    with pytest.raises(ObjectRemovalError):
        parse_job_reference(text, ORIGIN)


def test_polling_follows_eta_then_backs_off_within_bounds():
    assert next_poll_delay(3, 0) == 3
    assert next_poll_delay(None, 0) == MIN_POLL_SECONDS
    assert next_poll_delay(0.1, 0) == MIN_POLL_SECONDS
    assert next_poll_delay(500, 0) == MAX_POLL_SECONDS
    # A stale small eta does not become hammering: the backoff takes over.
    delays = [next_poll_delay(1, n) for n in range(12)]
    assert delays == sorted(delays) and delays[-1] == MAX_POLL_SECONDS
    assert next_poll_delay(float("nan"), 2) == 2.25
