"""Job handles, what FetchResult accepts, and the polling schedule."""

import re

import pytest

from object_removal.errors import ObjectRemovalError
from object_removal.jobs.polling import (
    AFTER_ETA_SECONDS,
    LATENESS,
    MAX_POLL_SECONDS,
    PollSchedule,
)
from object_removal.text.job_handle import JobReference, parse_job_reference

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


def pick_up(duration: float, eta: float | None) -> tuple[float, int]:
    """(how late a job of `duration` s is picked up, how many polls it took) under the
    schedule, when every reading says `eta` (the first one is the submit's reply)."""
    schedule, now, polls = PollSchedule(), 0.0, 0
    while now < duration:
        now = schedule.next_at(now, eta)
        polls += 1
    return now - duration, polls


@pytest.mark.parametrize("duration", [0.5, 2, 4, 6, 15, 30, 60, 200, 900])
def test_a_right_eta_is_picked_up_at_once(duration):
    late, _ = pick_up(duration, eta=duration)
    assert late <= AFTER_ETA_SECONDS + 1e-9


@pytest.mark.parametrize("duration", [1, 3, 4, 6, 10, 20, 45, 60, 120, 600, 3600])
@pytest.mark.parametrize("eta", [None, 0, 1, 5, 20, 60, 1000])
def test_a_wrong_eta_is_picked_up_within_a_quarter_of_the_wait(duration, eta):
    late, _ = pick_up(duration, eta)
    assert late <= max(1.0, LATENESS * duration) + 1e-9


@pytest.mark.parametrize("eta", [60, None, 1, 1000])
def test_a_minute_long_job_is_polled_at_most_20_times(eta):
    _, polls = pick_up(60, eta)
    assert polls <= 20


def test_gaps_stay_within_bounds_whatever_the_eta_says():
    schedule, now = PollSchedule(), 0.0
    for eta in [float("nan"), -5, 1e12, 3, 3, 3] * 20:
        following = schedule.next_at(now, eta)
        assert 0 < following - now <= MAX_POLL_SECONDS
        now = following


@pytest.mark.parametrize("text,says", [
    ("modelslab:1@16384x16384", "16384x16384 pixels"),
    ("modelslab:1@8000x6000", "8000x6000 pixels"),
    ("modelslab:" + ",".join(str(n) for n in range(1, 300)) + "@64x64", "299 jobs"),
    ("modelslab:" + ",".join(str(n) for n in range(1, 200)) + "@1000x1000", "199 image(s)"),
    ("1" * 100_000, "characters long"),
])
def test_handles_claiming_absurd_sizes_or_counts_are_refused(text, says):
    with pytest.raises(ObjectRemovalError, match=re.escape(says)):
        parse_job_reference(text, ORIGIN)


def test_a_handle_of_a_real_batch_is_accepted():
    reference = parse_job_reference("modelslab:" + ",".join(["7"] * 64) + "@1920x1080", ORIGIN)
    assert len(reference.job_ids) == 64 and reference.size == (1920, 1080)
