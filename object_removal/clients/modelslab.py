"""ModelsLab's queued endpoints: paths and reply mapping on the keyed layer.

The key travels in the JSON body. Replies are read by their `status` field
whatever the HTTP code (usually 200). A submit creates a billed job, so it is
re-sent only after a queue-limit refusal (nothing was queued) or a connection
that never opened; uploads and fetches are safe to repeat.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from ..concurrency import AccountLimit
from ..errors import ObjectRemovalError, ProviderError, quoted
from ..imaging.provider_limits import EncodedImage
from .bounded_http import HttpReply
from .downloads import download_result
from .keyed_http import KeyedHttp, json_object, unreadable_reply
from .retry import RetryPolicy, parse_retry_after

PROVIDER = "ModelsLab"
UPLOAD_PATH = "/api/v6/base64_to_url"
# base64_to_url takes at most 5 MB; the data URL is 4/3 the size of the bytes.
UPLOAD_LIMIT_BYTES = (5_000_000 - 64) // 4 * 3

_JOB_ID = re.compile(r"^\d{1,20}$")


@dataclass(frozen=True)
class QueuedEndpoint:
    """A ModelsLab endpoint that queues a job, and where its jobs are read."""

    submit_path: str
    fetch_path: str
    """With `{job_id}` where the id goes."""

    def fetch_path_for(self, job_id: str) -> str:
        return self.fetch_path.format(job_id=job_id)


INTERIOR_REMOVAL = QueuedEndpoint(
    "/api/v6/interior/object_removal", "/api/v6/interior/fetch/{job_id}"
)
MASK_REMOVAL = QueuedEndpoint(
    "/api/v6/image_editing/object_removal", "/api/v6/image_editing/fetch/{job_id}"
)


@dataclass(frozen=True)
class JobStatus:
    """One reading of a job: `state` is "processing", "success" or "failed"."""

    state: str
    job_id: str | None
    eta: float | None = None
    output_urls: tuple[str, ...] = ()
    message: str = ""

    @property
    def settled(self) -> bool:
        return self.state != "processing"


class ModelsLabClient:
    """One configured ModelsLab account. Methods block; call them from worker threads."""

    def __init__(
        self,
        http: KeyedHttp,
        *,
        policy: RetryPolicy | None = None,
        submit_policy: RetryPolicy | None = None,
    ) -> None:
        self._http = http
        self._policy = policy or RetryPolicy(attempts=4)
        # Queue-limit refusals clear as earlier jobs finish: worth waiting longer.
        self._submit_policy = submit_policy or RetryPolicy(attempts=10, max_delay=30.0)

    @property
    def origin(self) -> str:
        return self._http.config.base_url

    @property
    def key(self) -> str:
        return self._http.key

    def upload(self, image: EncodedImage) -> str:
        """Store a local image at ModelsLab; returns its URL (valid 24 h)."""
        data_url = f"data:{image.mime};base64," + base64.b64encode(image.data).decode("ascii")
        reply = self._post(UPLOAD_PATH, {"base64_string": data_url}, "upload", paid=False)
        urls = _output_urls(reply)
        if reply.get("status") != "success" or not urls:
            raise ProviderError(
                f"{PROVIDER} accepted the upload but returned no image URL.", provider=PROVIDER
            )
        return urls[0]

    def submit(
        self, endpoint: QueuedEndpoint, fields: dict[str, Any],
        queue: AccountLimit | None = None,
    ) -> JobStatus:
        """Queue a job at `endpoint`. Billed: never re-sent once it may have arrived.

        `queue`, the account's adaptive queue limit, learns of queue-limit refusals.
        """
        body = {**fields, "webhook": None, "track_id": None}
        reply = self._post(endpoint.submit_path, body, "submit", paid=True,
                           policy=self._submit_policy, queue=queue)
        return _job_status(reply, None)

    def fetch(self, endpoint: QueuedEndpoint, job_id: str) -> JobStatus:
        """Read a job's state. Safe to repeat."""
        if not _JOB_ID.match(job_id):
            raise ObjectRemovalError(f"{job_id!r} is not a ModelsLab job id (digits only).")
        # Built from our origin and the id: URLs in replies are never trusted with the key.
        reply = self._post(endpoint.fetch_path_for(job_id), {}, "fetch", paid=False)
        return _job_status(reply, job_id)

    def download(self, status: JobStatus) -> bytes:
        """The result file, from the CDN host it lives on; no key goes with it."""
        last_error: ObjectRemovalError | None = None
        for url in status.output_urls:
            try:
                return download_result(url, http=self._http)
            except ObjectRemovalError as exc:
                last_error = exc  # try the next link (proxy_links mirror output)
        if last_error is not None:
            raise last_error
        raise ProviderError(f"{PROVIDER} reported success but gave no result link.",
                            provider=PROVIDER)

    def _post(
        self, path: str, body: dict[str, Any], what: str, *, paid: bool,
        policy: RetryPolicy | None = None, queue: AccountLimit | None = None,
    ) -> dict[str, Any]:
        # The queue slot is held by the job itself (see modelslab_jobs), not per call.
        return self._http.post(
            path, what=what, paid=paid, policy=policy or self._policy, limit=queue, hold=False,
            parse=lambda reply: parse_reply(reply, self._http.config.key_hint, what, paid),
            json={"key": self._http.key, **body}, headers={"Accept": "application/json"},
        )


def parse_reply(reply: HttpReply, key_hint: str, what: str, paid: bool) -> dict[str, Any]:
    """The reply's JSON object if it is not an error; else the ProviderError it amounts to.

    For a paid call, server trouble may still have queued the job: such errors say
    `maybe_billed`, so the call is not sent again.
    """
    header_retry_after = parse_retry_after(reply.headers.get("Retry-After"))
    answer = json_object(reply.body)
    if answer is None:
        raise unreadable_reply(PROVIDER, what, reply, retry_after=header_retry_after,
                               maybe_billed=paid and reply.status != 429)
    state = str(answer.get("status") or "").lower()
    retry_after = parse_retry_after(answer.get("retry_after"))
    if retry_after is None:
        retry_after = header_retry_after
    if state == "error" or reply.status >= 400:
        raise _refusal(reply.status, _message(answer), key_hint, what, retry_after, paid)
    if state not in ("success", "processing", "failed"):
        raise ProviderError(
            f"{PROVIDER} {what}: unexpected reply (status {quoted(state) or 'missing'!r}, "
            f"HTTP {reply.status}).",
            provider=PROVIDER, http_status=reply.status, maybe_billed=paid,
        )
    return answer


def _refusal(
    status: int, said: str, key_hint: str, what: str, retry_after: float | None, paid: bool
) -> ProviderError:
    maybe_billed = False
    if status == 401:
        advice, retryable = f"rejected the API key. Check {key_hint}.", False
    elif status == 402:
        advice, retryable = "reports the account is out of credits. Top up at modelslab.com.", False
    elif status == 403:
        advice, retryable = "says your plan does not include this API. Check your plan.", False
    elif status == 429:
        advice, retryable = (
            # Retried while the deadline allows; this text is what the user reads if not.
            "is at your account's queue limit (too many jobs at once) and stayed there; "
            "lower MODELSLAB_QUEUE_LIMIT if this persists.", True,
        )
    elif status >= 500:
        advice, retryable = "had server trouble. Try again later.", True
        maybe_billed = paid
    elif _looks_like_key_problem(said):
        advice, retryable = f"rejected the API key. Check {key_hint}.", False
    else:
        advice, retryable = "refused the request.", False
    message = f"{PROVIDER} {what}: {advice}"
    if said:
        message += f" Provider said: {said}"
    return ProviderError(
        message, provider=PROVIDER, http_status=status, retryable=retryable,
        retry_after=retry_after, code=f"HTTP_{status}", maybe_billed=maybe_billed,
        rate_limited=status == 429,
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
                provider=PROVIDER, maybe_billed=True,
            )
        return JobStatus("success", job_id, output_urls=urls)
    if state == "processing":
        if job_id is None:
            raise ProviderError(
                f"{PROVIDER} queued the job but its reply carries no job id.",
                provider=PROVIDER, maybe_billed=True,
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
        for field, errors in list(value.items())[:10]:
            texts = errors if isinstance(errors, list) else [errors]
            parts.append(f"{field}: {' '.join(str(t) for t in texts[:5])}")
        value = "; ".join(parts)
    elif isinstance(value, list):
        value = "; ".join(str(v) for v in value[:10])
    return "" if value is None else quoted(value)


def _eta(value: object) -> float | None:
    try:
        eta = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return eta if 0 <= eta < 1e7 else None


def _looks_like_key_problem(message: str) -> bool:
    lowered = message.lower()
    return "key" in lowered and any(w in lowered for w in ("invalid", "wrong", "not valid"))
