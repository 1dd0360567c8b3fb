"""Fetching result files from the hosts a provider points to (CDNs).

These hosts are not the provider's API origin, so nothing secret goes with the
request: a fresh session, no key header, no key in the body. Redirects are
followed here, a few at most, each link checked like the first: http(s) only, no
key in it, and its host resolved once, every address it resolves to public
(`link_addresses`), the connection made to the address checked. So a reply cannot
aim the pack at this machine or the user's network, by any spelling of an address or
any DNS answer. The one exception: a provider configured on this machine (the
emulator) may point to that same address (its CDN runs on another port). Through a
proxy set in the environment, the proxy resolves the name. Size and time are capped
(`bounded_http`).
"""

from __future__ import annotations

import time
from urllib.parse import urljoin, urlsplit

import requests

from ..config import is_loopback_host
from ..errors import Cancelled, ObjectRemovalError, ProviderError
from .bounded_http import DeadlinePassed, HttpReply, ReplyTooLarge, UnreadableEncoding, send
from .keyed_http import KeyedHttp
from .link_addresses import Resolver, same_address, system_resolver, why_refused
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
    resolver: Resolver = system_resolver,
) -> bytes:
    """GET `url` (a link a provider's reply gave) and return its bytes.

    Connection failures and 5xx are retried (a GET is safe); the whole download,
    retries included, ends by the node's deadline or DOWNLOAD_SECONDS. `resolver`
    turns a host into its addresses (the system's by default).
    """
    provider = http.provider
    own = _own_local_addresses(http.config.base_url, resolver)
    own_deadline = time.monotonic() + DOWNLOAD_SECONDS
    deadline = own_deadline if http.deadline is None else min(own_deadline, http.deadline)

    def attempt() -> bytes:
        if http.cancel is not None and http.cancel.is_set():
            raise Cancelled("cancelled")  # nothing more is sent after Cancel
        link = url
        for _ in range(MAX_REDIRECTS + 1):
            host, address = _checked_link(link, provider, http.key, own, resolver)
            reply = _get(link, host, address, provider, deadline, max_bytes)
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


def _own_local_addresses(origin: str, resolver: Resolver) -> list[str]:
    """The addresses of the provider's own origin when it is on this machine (the
    emulator): the only local addresses its links may reach. None for any other origin."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    if not is_loopback_host(host):
        return []
    try:
        found = resolver(host, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError:
        return []
    return [a for a in found if why_refused(a) == "loopback"]


def _checked_link(url: str, provider: str, key: str, own: list[str], resolver: Resolver
                  ) -> tuple[str, str]:
    """The link's host and the address to connect to, or an error when the link must not
    be requested at all."""
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
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ProviderError(f"{provider} gave a result link with an invalid port; nothing "
                            "was downloaded.", provider=provider) from None
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise ProviderError(
            f"could not resolve the host of the result link ({host}): {type(exc).__name__}.",
            provider=provider, retryable=True,
        ) from None
    if not addresses:
        raise ProviderError(f"the host of the result link ({host}) has no address.",
                            provider=provider, retryable=True)
    for address in addresses:
        if any(same_address(address, mine) for mine in own):
            continue  # the emulator's own address, where its CDN runs
        why = why_refused(address)
        if why is not None:
            raise ProviderError(
                f"{provider} gave a result link to {host}, whose address {address} is "
                f"{why}; refusing to request it: a provider's reply must not reach this "
                "machine or your network.",
                provider=provider,
            )
    return host, addresses[0]


def _get(url: str, host: str, address: str, provider: str, deadline: float, max_bytes: int
         ) -> HttpReply:
    try:
        return send("GET", url, deadline=deadline, max_bytes=max_bytes, connect_to=address)
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
