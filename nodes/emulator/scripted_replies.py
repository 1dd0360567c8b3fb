"""Turning a ScriptedReply into the Reply an endpoint sends."""

from __future__ import annotations

import base64
import http
import json
from typing import Any

from .ailab_envelope import ailab_error, code_for_status, envelope
from .modelslab_shapes import modelslab_error
from .replies import HTML_TYPE, JSON_TYPE, TEXT_TYPE, Reply, format_retry_after, json_reply
from .scripts import MODELSLAB_ENDPOINTS, ScriptedReply

# What a proxy in front of a real service answers when it is not the service.
NOT_JSON_BODY = b"<html><body><h1>Service busy</h1><p>Please try again later.</p></body></html>"
NOT_AN_IMAGE = b"These bytes are plain text, not any image format. " * 4
# Not decodable by base64.b64decode, with or without validate: 14 data characters.
BAD_BASE64 = "not*base64*at*all"
_MODELSLAB_MESSAGES = {
    400: "Bad request",
    401: "Invalid API key. Please check your API key.",
    402: "You have insufficient credits. Please top up your wallet.",
    403: "This endpoint is not available on your plan.",
    429: "You have reached your queue limit. Please wait for your queued requests to finish.",
    500: "Server error, please try again.",
    503: "Service temporarily unavailable, please try again.",
}


def render_script(
    endpoint: str, script: ScriptedReply, legacy_spelling: bool, job_id: int
) -> Reply:
    """The reply a script asks for; `job_id` fills ids in made-up ModelsLab bodies."""
    if script.drop:
        return Reply(drop=True)
    modelslab = endpoint in MODELSLAB_ENDPOINTS
    if script.malformed is not None:
        reply = _malformed(endpoint, script.malformed, job_id)
    elif script.raw is not None:
        reply = Reply(body=script.raw, content_type=HTML_TYPE)
    elif script.json is not None:
        payload = script.json
        if modelslab and script.retry_after is not None and isinstance(payload, dict):
            payload = {**payload, "retry_after": payload.get("retry_after", script.retry_after)}
        reply = json_reply(payload)
    else:
        reply = _error_for_status(endpoint, script, legacy_spelling)

    if script.http_status is not None:
        reply.status = script.http_status
    if script.content_type is not None:
        reply.content_type = script.content_type
    if script.retry_after is not None:
        reply.headers["Retry-After"] = format_retry_after(script.retry_after)
    reply.headers.update(script.headers)
    return reply


def _error_for_status(endpoint: str, script: ScriptedReply, legacy_spelling: bool) -> Reply:
    # Only a code, a status and/or retry_after: build that provider's error body.
    if endpoint == "ailab" and script.code:
        return ailab_error(script.code, script.message, script.http_status)
    # retry_after without a status means "rate limited".
    status = script.http_status or 429
    if endpoint == "ailab":
        return ailab_error(code_for_status(status), script.message, status)
    if endpoint in MODELSLAB_ENDPOINTS:
        message = script.message or _MODELSLAB_MESSAGES.get(status) or _phrase(status)
        extra = {"retry_after": script.retry_after} if script.retry_after is not None else None
        return modelslab_error(message, status=status, legacy=legacy_spelling, extra=extra)
    return Reply(status=status, body=str(script.message or _phrase(status)).encode("utf-8"),
                 content_type=TEXT_TYPE)


def _malformed(endpoint: str, kind: str, job_id: int) -> Reply:
    if kind == "not_json":
        return Reply(body=NOT_JSON_BODY, content_type=HTML_TYPE)
    if endpoint == "ailab":
        return _malformed_ailab(kind)
    if kind == "truncated_json":
        whole = json.dumps({"status": "success", "id": job_id, "output": ["https://cdn/x.png"]})
        return Reply(body=whole[: len(whole) // 2].encode("utf-8"), content_type=JSON_TYPE)
    if kind == "no_status":
        return json_reply({"id": job_id, "message": "Request received", "output": []})
    # success_without_output
    return json_reply({"status": "success", "generationTime": 1.0, "id": job_id,
                       "output": [], "proxy_links": [], "meta": {}})


def _malformed_ailab(kind: str) -> Reply:
    success: dict[str, Any] = envelope(200, "", "")
    if kind == "truncated_json":
        whole = json.dumps({**success, "data": {"binary_data_base64": ["iVBORw0KGgo" * 8]}})
        return Reply(body=whole[: len(whole) // 2].encode("utf-8"), content_type=JSON_TYPE)
    if kind == "no_data":
        return json_reply(success)
    images = {
        "empty_list": [],
        "bad_base64": [BAD_BASE64],
        "not_an_image": [base64.b64encode(NOT_AN_IMAGE).decode("ascii")],
    }[kind]
    return json_reply({**success, "data": {"binary_data_base64": images}})


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"

