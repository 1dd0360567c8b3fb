"""Fetching result files from the hosts a provider points to (CDNs).

These hosts are not the provider's API origin, so nothing secret goes with the
request: a fresh session, no key header, no key in the body. Redirects are
followed here, a few at most, each link checked like the first: http(s) only, no
key in it, and no loopback or private address unless the provider itself is
configured on this machine (the emulator), so a reply cannot aim the pack at
local services. Size and time are capped (`bounded_http`).
"""

from __future__ import annotations

import ipaddress
import time
from urllib.parse import urljoin, urlsplit

import requests

from ..config import is_loopback_host
from ..errors import Cancelled, ObjectRemovalError, ProviderError
from .bounded_http import DeadlinePassed, HttpReply, ReplyTooLarge, UnreadableEncoding, send
from .keyed_http import KeyedHttp
from .retry import RetryPolicy, call_with_retries, cancellable_wait

MAX_RESULT_BYTES = 64 * 1024 * 1024
DOWNLOAD_SECONDS = 120.0
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


def download_result(
    url: str,
    *,
    http: KeyedHttp,
    max_bytes: int = MAX_RESULT_BYTES,
    policy: RetryPolicy | None = None,
) -> bytes:
    """GET `url` (a link a provider's reply gave) and return its bytes.

    Connection failures and 5xx are retried (a GET is safe); the whole download,
    retries included, ends by the node's deadline or DOWNLOAD_SECONDS.
    """
    provider = http.provider
    local_origin = is_loopback_host(urlsplit(http.config.base_url).hostname or "")
    own_deadline = time.monotonic() + DOWNLOAD_SECONDS
    deadline = own_deadline if http.deadline is None else min(own_deadline, http.deadline)

    def attempt() -> bytes:
        if http.cancel is not None and http.cancel.is_set():
            raise Cancelled("cancelled")  # nothing more is sent after Cancel
        link = url
        for _ in range(MAX_REDIRECTS + 1):
            host = _checked_host(link, provider, http.key, local_origin)
            reply = _get(link, host, provider, deadline, max_bytes)
            if reply.status in _REDIRECTS and reply.headers.get("Location"):
                link = urljoin(link, reply.headers["Location"])
                continue
            if reply.status != 200:
                raise ProviderError(
                    f"downloading the result from {host} failed with HTTP {reply.status}. "
                    "Result links expire (kept about 24 hours).",
                    provider=provider, http_status=reply.status,
                    retryable=reply.status >= 500 or reply.status == 429,
                )
            return reply.body
        raise ProviderError(
            f"the result link redirected more than {MAX_REDIRECTS} times; not followed further.",
            provider=provider,
        )

    return call_with_retries(
        attempt,
        policy=policy or RetryPolicy(attempts=3),
        should_retry=lambda exc: isinstance(exc, ProviderError) and exc.retryable,
        wait=cancellable_wait(http.cancel),
        rng=http.rng,
        deadline=deadline,
    )


def _checked_host(url: str, provider: str, key: str, local_origin: bool) -> str:
    """The link's host, or an error when the link must not be requested at all."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError(
            f"{provider} gave a result link that is not an http(s) URL; nothing was "
            "downloaded.",
            provider=provider,
        )
    if key and key in url:
        raise ProviderError(
            f"{provider} gave a result link that contains the API key; refusing to request it.",
            provider=provider,
        )
    host = parts.hostname.lower()
    if not local_origin and _is_local_address(host):
        raise ProviderError(
            f"{provider} gave a result link to a local or private address ({host}); refusing "
            "to request it.",
            provider=provider,
        )
    return host


def _is_local_address(host: str) -> bool:
    if is_loopback_host(host) or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_unspecified


def _get(url: str, host: str, provider: str, deadline: float, max_bytes: int) -> HttpReply:
    try:
        return send("GET", url, deadline=deadline, max_bytes=max_bytes)
    except DeadlinePassed:
        raise ProviderError(
            f"the download from {host} did not finish in time.", provider=provider,
        ) from None
    except ReplyTooLarge as large:
        raise ObjectRemovalError(
            f"the result at {host} is larger than the {large.limit} byte cap; refused "
            "without reading the rest."
        ) from None
    except UnreadableEncoding as odd:
        raise ProviderError(
            f"the result at {host} is unreadable ({odd.encoding}).", provider=provider
        ) from None
    except requests.RequestException as exc:
        raise ProviderError(
            f"could not download the result from {host}: {type(exc).__name__}.",
            provider=provider, retryable=True,
        ) from None
