"""ModelsLab's reply shapes: error, processing, success, failed; and the first
checks every ModelsLab endpoint makes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .jobs import Job
from .recording import RecordedRequest
from .replies import Reply, json_reply, status_phrase

if TYPE_CHECKING:
    from .scripts import ScriptedReply
    from .state import EmulatorState

INVALID_KEY = "Invalid API key. Please check your API key and try again."
# What a script giving only a status gets as `message`.
_SCRIPTED_MESSAGES = {
    400: "Bad request",
    401: "Invalid API key. Please check your API key.",
    402: "You have insufficient credits. Please top up your wallet.",
    403: "This endpoint is not available on your plan.",
    429: "You have reached your queue limit. Please wait for your queued requests to finish.",
    500: "Server error, please try again.",
    503: "Service temporarily unavailable, please try again.",
}
PROCESSING_TIP = "Your image is processing in background, you can get this image using fetch API"


def modelslab_error(
    message: str | dict[str, Any],
    status: int = 200,
    legacy: bool = False,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Every ModelsLab error reply: `{"status": "error", "message": ...}`.

    With `legacy` the key is spelt `messege`, as some of the real replies do.
    """
    payload: dict[str, Any] = {"status": "error", ("messege" if legacy else "message"): message}
    payload.update(extra or {})
    return json_reply(payload, status=status, headers=headers)


def output_path(job: Job) -> str:
    """Where a job's result lives on the CDN origin (both kinds share the ids)."""
    return f"outputs/{job.id}.png"


def output_url(cdn_url: str, job: Job) -> str:
    return f"{cdn_url}/{output_path(job)}"


def processing_payload(
    job: Job, api_url: str, cdn_url: str, now: float, eta: int | None, output: Any
) -> dict[str, Any]:
    """The `processing` shape; `eta` None means the real remaining seconds, rounded up."""
    if eta is None:
        eta = max(1, math.ceil(job.remaining(now)))
    return {
        "status": "processing",
        "tip": PROCESSING_TIP,
        "eta": eta,
        "message": "Try to fetch request after seconds estimated",
        "fetch_result": f"{api_url}{job.fetch_path}{job.id}",
        "id": job.id,
        "output": output,
        "meta": job.meta,
        "future_links": [output_url(cdn_url, job)],
    }


def success_payload(job: Job, cdn_url: str) -> dict[str, Any]:
    """The `success` shape, its output on the CDN origin."""
    url = output_url(cdn_url, job)
    return {
        "status": "success",
        "generationTime": round(job.seconds, 3),
        "id": job.id,
        "output": [url],
        "proxy_links": [url],
        "meta": job.meta,
    }


def failed_payload(job: Job) -> dict[str, Any]:
    """The `failed` shape."""
    return {"status": "failed", "id": job.id, "message": "Failed, Try Again", "output": ""}


def refusal(request: RecordedRequest, state: EmulatorState, legacy: bool) -> Reply | None:
    """What every ModelsLab endpoint checks first: method, JSON body, key."""
    if request.method != "POST":
        return modelslab_error("Method not allowed, use POST.", status=405, legacy=legacy)
    if not isinstance(request.json, dict):
        return modelslab_error("The request body must be a JSON object.", status=400, legacy=legacy)
    if not state.accepts(request.key):
        return modelslab_error(INVALID_KEY, status=401, legacy=legacy)
    return None


def modelslab_scripted_error(script: ScriptedReply, legacy_spelling: bool) -> Reply:
    """The error a script gives with only a status and/or retry_after (429 if no status)."""
    status = script.http_status or 429
    message = script.message or _SCRIPTED_MESSAGES.get(status) or status_phrase(status)
    extra = {"retry_after": script.retry_after} if script.retry_after is not None else None
    return modelslab_error(message, status=status, legacy=legacy_spelling, extra=extra)
