"""ModelsLab's Interior object removal over HTTP: upload, submit, fetch, download.

The key travels in the JSON body, only to the configured origin; redirects are
never followed (a 307 would re-send the body, key included, elsewhere). Replies
are read by their `status` field whatever the HTTP code. A request that
creates a job is never re-sent once it may have reached ModelsLab: only a
queue-limit refusal or a connection that never opened is retried.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from .config import ProviderConfig
from .downloads import download_result
from .errors import ObjectRemovalError, ProviderError
from .http_retry import (
    RetryPolicy,
    call_provider,
    cancellable_wait,
    failed_before_sending,
    parse_retry_after,
)
from .provider_limits import EncodedImage

PROVIDER = "ModelsLab"
UPLOAD_PATH = "/api/v6/base64_to_url"
SUBMIT_PATH = "/api/v6/interior/object_removal"
FETCH_PATH = "/api/v6/interior/fetch/{job_id}"
DEFAULT_TIMEOUT = (10.0, 60.0)
# base64_to_url takes at most 5 MB; the data URL is 4/3 the size of the bytes.
UPLOAD_LIMIT_BYTES = (5_000_000 - 64) // 4 * 3

_JOB_ID = re.compile(r"^\d{1,20}$")


@dataclass(frozen=True)
class JobStatus:
    """One reading of a job: `state` is "processing", "success" or "failed"."""

    state: str
    job_id: str | None
    eta: float | None = None
    output_urls: tuple[str, ...] = ()
    message: str = ""


class ModelsLabClient:
    """One configured ModelsLab account. Methods block; call them from worker threads."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        submit_policy: RetryPolicy | None = None,
        cancel: threading.Event | None = None,
        rng: random.Random | None = None,
        on_retry: Callable[[int, float, Exception], None] | None = None,
    ) -> None:
        self._config = config
        self._key = config.require_key()
        self._timeout = timeout
        self._policy = policy or RetryPolicy(attempts=4)
        # Queue-limit refusals clear as earlier jobs finish: worth waiting longer.
        self._submit_policy = submit_policy or RetryPolicy(attempts=10, max_delay=30.0)
        self._cancel = cancel
        self._rng = rng
        self._on_retry = on_retry

    @property
    def origin(self) -> str:
        return self._config.base_url

    def upload(self, image: EncodedImage) -> str:
        """Store a local image at ModelsLab; returns the URL to submit (valid 24 h)."""
        data_url = f"data:{image.mime};base64," + base64.b64encode(image.data).decode("ascii")
        reply = self._call(
            UPLOAD_PATH, {"base64_string": data_url}, what="upload",
            should_retry=_retry_anything_retryable,
        )
        urls = _output_urls(reply)
        if reply.get("status") != "success" or not urls:
            raise ProviderError(
                f"{PROVIDER} accepted the upload but returned no image URL.", provider=PROVIDER
            )
        return urls[0]

    def submit(self, init_image_url: str, object_name: str) -> JobStatus:
        """Queue an object removal. Billed: never re-sent once it may have arrived."""
        body = {
            "init_image": init_image_url,
            "object_name": object_name,
            "base64": False,
            "webhook": None,
            "track_id": None,
        }
        try:
            reply = self._call(
                SUBMIT_PATH, body, what="submit", should_retry=_retry_only_unsent,
                policy=self._submit_policy,
            )
        except ProviderError as exc:
            if exc.code == "MAYBE_SENT" or (exc.http_status or 0) >= 500:
                exc.args = (
                    f"{exc} The job may have been queued (and billed) anyway, so it was not "
                    "sent again; check your ModelsLab dashboard before retrying.",
                )
            raise
        return _job_status(reply, None)

    def fetch(self, job_id: str) -> JobStatus:
        """Read a job's state. Safe to repeat."""
        if not _JOB_ID.match(job_id):
            raise ObjectRemovalError(f"{job_id!r} is not a ModelsLab job id (digits only).")
        # Built from our base URL and the id: URLs in replies are never trusted with the key.
        reply = self._call(
            FETCH_PATH.format(job_id=job_id), {}, what="fetch",
            should_retry=_retry_anything_retryable,
        )
        return _job_status(reply, job_id)

    def download(self, status: JobStatus) -> bytes:
        """The result file, from the CDN host it lives on; no key goes with it."""
        last_error: ObjectRemovalError | None = None
        for url in status.output_urls:
            try:
                return download_result(
                    url, provider=PROVIDER, secrets=[self._key],
                    wait=cancellable_wait(self._cancel), rng=self._rng,
                )
            except ObjectRemovalError as exc:
                last_error = exc  # try the next link (proxy_links mirror output)
        if last_error is not None:
            raise last_error
        raise ProviderError(f"{PROVIDER} reported success but gave no result link.",
                            provider=PROVIDER)

    def _call(
        self,
        path: str,
        body: dict[str, Any],
        *,
        what: str,
        should_retry: Callable[[Exception], bool],
        policy: RetryPolicy | None = None,
    ) -> dict[str, Any]:
        url = self._config.base_url + path
        payload = {"key": self._key, **body}
        return call_provider(
            lambda: self._post_once(url, payload, what),
            key=self._key,
            policy=policy or self._policy,
            should_retry=should_retry,
            cancel=self._cancel,
            rng=self._rng,
            on_retry=self._on_retry,
        )

    def _post_once(self, url: str, payload: dict[str, Any], what: str) -> dict[str, Any]:
        try:
            response = requests.post(
                url, json=payload, timeout=self._timeout, allow_redirects=False,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            before = failed_before_sending(exc)
            detail = (
                "could not connect" if before
                else "the connection broke after the request was sent"
            )
            raise ProviderError(
                f"{PROVIDER} {what}: {detail} ({type(exc).__name__}). Check the network, or "
                f"{self._config.base_url_env} (now {self._config.base_url}).",
                provider=PROVIDER,
                retryable=True,
                code="NOT_SENT" if before else "MAYBE_SENT",
            ) from None
        return parse_reply(response.status_code, response.headers, response.content,
                           self._config, what)


def parse_reply(
    status: int, headers: Any, body: bytes, config: ProviderConfig, what: str
) -> dict[str, Any]:
    """The reply's JSON object if it is not an error; else the ProviderError it amounts to."""
    header_retry_after = headers.get("Retry-After") if headers is not None else None
    if 300 <= status < 400:
        raise ProviderError(
            f"{PROVIDER} {what}: answered with a redirect (HTTP {status}); not followed, since "
            f"the key would go with it. Check {config.base_url_env} (now {config.base_url}).",
            provider=PROVIDER, http_status=status,
        )
    try:
        reply = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        reply = None
    if not isinstance(reply, dict):
        raise _http_error(status, "", config, what, parse_retry_after(header_retry_after),
                          unreadable=True)
    state = str(reply.get("status") or "").lower()
    retry_after = parse_retry_after(reply.get("retry_after"))
    if retry_after is None:
        retry_after = parse_retry_after(header_retry_after)
    if state == "error" or status >= 400:
        said = _message(reply)
        raise _http_error(status, said, config, what, retry_after)
    if state not in ("success", "processing", "failed"):
        raise ProviderError(
            f"{PROVIDER} {what}: unexpected reply (status {state or 'missing'!r}, "
            f"HTTP {status}).",
            provider=PROVIDER, http_status=status,
        )
    return reply


def _http_error(
    status: int,
    said: str,
    config: ProviderConfig,
    what: str,
    retry_after: float | None,
    unreadable: bool = False,
) -> ProviderError:
    key_help = f"{config.key_env} (or [modelslab] api_key in {config.config_path})"
    if status == 401:
        advice, retryable = f"rejected the API key. Check {key_help}.", False
    elif status == 402:
        advice, retryable = "reports the account is out of credits. Top up at modelslab.com.", False
    elif status == 403:
        advice, retryable = "says your plan does not include this API. Check your plan.", False
    elif status == 429:
        advice, retryable = (
            "is at your account's queue limit (too many jobs at once). Waiting and retrying; "
            "lower MODELSLAB_QUEUE_LIMIT if this persists.", True,
        )
    elif status >= 500:
        advice, retryable = "had server trouble. Try again later.", True
    elif unreadable:
        advice, retryable = f"sent an unreadable reply (HTTP {status}, not JSON).", False
    elif _looks_like_key_problem(said):
        advice, retryable = f"rejected the API key. Check {key_help}.", False
    else:
        advice, retryable = "refused the request.", False
    message = f"{PROVIDER} {what}: {advice}"
    if said:
        message += f" Provider said: {said[:300]}"
    return ProviderError(
        message, provider=PROVIDER, http_status=status, retryable=retryable,
        retry_after=retry_after, code=f"HTTP_{status}",
    )


def _retry_anything_retryable(exc: Exception) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _retry_only_unsent(exc: Exception) -> bool:
    """For job-creating calls: a queue-limit refusal (nothing was queued) or a
    connection that never opened. A 5xx or a broken connection may have queued
    the job, and a second one would be billed again."""
    return isinstance(exc, ProviderError) and (
        exc.http_status == 429 or exc.code == "NOT_SENT"
    )


def _job_status(reply: dict[str, Any], job_id: str | None) -> JobStatus:
    state = str(reply.get("status")).lower()
    returned_id = reply.get("id")
    if returned_id is not None and _JOB_ID.match(str(returned_id)):
        job_id = str(returned_id)
    if state == "success":
        urls = _output_urls(reply)
        if not urls:
            raise ProviderError(
                f"{PROVIDER} reported job {job_id} as done but listed no output.",
                provider=PROVIDER,
            )
        return JobStatus("success", job_id, output_urls=urls)
    if state == "processing":
        if job_id is None:
            raise ProviderError(
                f"{PROVIDER} queued the job but its reply carries no job id.", provider=PROVIDER
            )
        return JobStatus("processing", job_id, eta=_eta(reply.get("eta")),
                         message=_message(reply))
    return JobStatus("failed", job_id, message=_message(reply) or "Failed")


def _output_urls(reply: dict[str, Any]) -> tuple[str, ...]:
    urls: list[str] = []
    for field in ("output", "proxy_links"):
        value = reply.get(field)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        urls += [u.strip() for u in items if isinstance(u, str) and u.strip()]
    return tuple(dict.fromkeys(urls))


def _message(reply: dict[str, Any]) -> str:
    value = reply.get("message", reply.get("messege"))
    if isinstance(value, dict):
        # Laravel-style {field: [errors]}: flatten to "field: error; ..."
        parts = []
        for field, errors in value.items():
            texts = errors if isinstance(errors, list) else [errors]
            parts.append(f"{field}: {' '.join(str(t) for t in texts)}")
        return "; ".join(parts)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _eta(value: object) -> float | None:
    try:
        eta = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return eta if eta >= 0 else None


def _looks_like_key_problem(message: str) -> bool:
    lowered = message.lower()
    return "key" in lowered and any(w in lowered for w in ("invalid", "wrong", "not valid"))
