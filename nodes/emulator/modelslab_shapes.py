"""ModelsLab's reply shapes: error, processing, success, failed."""

from __future__ import annotations

import math
from typing import Any

from .jobs import Job
from .replies import Reply, json_reply

FETCH_PATH = "/api/v6/interior/fetch/"
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


def output_url(cdn_url: str, job: Job) -> str:
    return f"{cdn_url}/outputs/{job.id}.png"


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
        "fetch_result": f"{api_url}{FETCH_PATH}{job.id}",
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
