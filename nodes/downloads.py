"""Fetching result files from the hosts a provider points to (CDNs).

These hosts are not the provider's API origin, so nothing secret goes with the
request: a fresh session, no key header, no key in the body. A cap on the size
and timeouts keep a bad link from filling memory or hanging a run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import requests

from .errors import ObjectRemovalError, ProviderError
from .http_retry import RetryPolicy, call_with_retries

MAX_RESULT_BYTES = 64 * 1024 * 1024
DOWNLOAD_TIMEOUT = (10.0, 120.0)
_CHUNK = 256 * 1024


def download_result(
    url: str,
    *,
    provider: str,
    secrets: Iterable[str],
    wait: Callable[[float], None],
    max_bytes: int = MAX_RESULT_BYTES,
    timeout: tuple[float, float] = DOWNLOAD_TIMEOUT,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
) -> bytes:
    """GET `url` and return its bytes; retries connection failures and 5xx (a GET is safe)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError(
            f"{provider} returned a result link that is not an http(s) URL; nothing was "
            "downloaded.",
            provider=provider,
        )
    if any(secret and secret in url for secret in secrets):
        raise ProviderError(
            f"{provider} returned a result link that contains an API key; refusing to "
            "request it.",
            provider=provider,
        )

    def attempt() -> bytes:
        with requests.Session() as session:  # fresh: no header of any other call rides along
            try:
                response = session.get(url, timeout=timeout, stream=True, allow_redirects=True)
            except requests.RequestException as exc:
                raise ProviderError(
                    f"could not download the result from {parts.hostname}: "
                    f"{type(exc).__name__}.",
                    provider=provider,
                    retryable=True,
                ) from None
            with response:
                if response.status_code != 200:
                    raise ProviderError(
                        f"downloading the result from {parts.hostname} failed with HTTP "
                        f"{response.status_code}. Result links expire (ModelsLab keeps them "
                        "about 24 hours).",
                        provider=provider,
                        http_status=response.status_code,
                        retryable=response.status_code >= 500 or response.status_code == 429,
                    )
                return _read_capped(response, max_bytes, parts.hostname, provider)

    return call_with_retries(
        attempt,
        policy=policy or RetryPolicy(attempts=3),
        should_retry=lambda exc: isinstance(exc, ProviderError) and exc.retryable,
        wait=wait,
        rng=rng,
    )


def _read_capped(
    response: requests.Response, max_bytes: int, host: str, provider: str
) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ObjectRemovalError(
            f"the result at {host} is {int(declared)} bytes, over the {max_bytes} byte cap."
        )
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise ObjectRemovalError(
                    f"the result at {host} is larger than the {max_bytes} byte cap."
                )
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise ProviderError(
            f"the download from {host} broke off: {type(exc).__name__}.",
            provider=provider,
            retryable=True,
        ) from None
    return b"".join(chunks)

