"""Retry timing and what counts as never sent."""

import email.utils
import random
import socket
import threading
import time

import pytest
import requests

from object_removal.clients.retry import (
    RetryPolicy,
    backoff_delay,
    call_with_retries,
    cancellable_wait,
    failed_before_sending,
    parse_retry_after,
)
from object_removal.errors import Cancelled, ProviderError


def test_parse_retry_after_seconds_and_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(2.5) == 2.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= parse_retry_after(date, now=now) <= 31


def test_backoff_grows_with_jitter_and_honours_hints():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    for number, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)]:
        delays = [backoff_delay(policy, number, None, rng) for _ in range(50)]
        assert min(delays) >= ceiling / 2 and max(delays) <= ceiling
        assert len(set(delays)) > 10  # jittered
    hinted = backoff_delay(policy, 1, 5.0, rng)
    assert 5.0 <= hinted <= 6.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_counts_as_never_sent():
    with pytest.raises(requests.RequestException) as error:
        requests.post(f"http://127.0.0.1:{free_port()}/", timeout=2)
    assert failed_before_sending(error.value)


def test_a_connection_dropped_after_sending_does_not():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def accept_and_drop():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.close()

    threading.Thread(target=accept_and_drop, daemon=True).start()
    with pytest.raises(requests.RequestException) as error:
        requests.post(f"http://127.0.0.1:{server.getsockname()[1]}/", data=b"x", timeout=5)
    server.close()
    assert not failed_before_sending(error.value)


def test_call_with_retries_retries_only_what_it_is_told():
    calls = []
    waits = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ProviderError("busy", provider="p", retryable=True, retry_after=0.5)
        return "ok"

    result = call_with_retries(
        flaky, policy=RetryPolicy(attempts=5), wait=waits.append,
        should_retry=lambda e: isinstance(e, ProviderError) and e.retryable,
        rng=random.Random(0),
    )
    assert result == "ok" and len(calls) == 3
    assert all(0.5 <= w <= 1.5 for w in waits) and len(waits) == 2

    calls.clear()

    def fatal():
        calls.append(1)
        raise ProviderError("no credits", provider="p", retryable=False)

    with pytest.raises(ProviderError, match="no credits"):
        call_with_retries(fatal, policy=RetryPolicy(), wait=waits.append,
                          should_retry=lambda e: e.retryable)
    assert len(calls) == 1


def test_call_with_retries_stops_after_the_attempts_and_on_long_hints():
    calls = []

    def busy():
        calls.append(1)
        raise ProviderError("busy", provider="p", retryable=True)

    with pytest.raises(ProviderError):
        call_with_retries(busy, policy=RetryPolicy(attempts=3), wait=lambda s: None,
                          should_retry=lambda e: True)
    assert len(calls) == 3

    calls.clear()

    def come_back_tomorrow():
        calls.append(1)
        raise ProviderError("later", provider="p", retryable=True, retry_after=86400)

    with pytest.raises(ProviderError, match="later"):
        call_with_retries(come_back_tomorrow, policy=RetryPolicy(), wait=lambda s: None,
                          should_retry=lambda e: True)
    assert len(calls) == 1


def test_cancellable_wait_ends_early():
    """The wait is the cancel signal's own wait: it ends when Cancel is set, not later."""
    asked = []

    class CancelledDuringTheWait:
        def is_set(self):
            return True

        def wait(self, timeout=None):
            asked.append(timeout)
            return True  # set while waiting

    with pytest.raises(Cancelled):
        cancellable_wait(CancelledDuringTheWait())(10)
    assert asked == [10]
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    with pytest.raises(Cancelled):
        cancellable_wait(cancel)(60)  # pytest's timeout would end a wait that ignored it
