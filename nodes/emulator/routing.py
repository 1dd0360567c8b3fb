"""Which endpoint a request is for, and what is parsed from it before it is handled."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .ailab import AILAB_PATH
from .modelslab import SUBMIT_PATH, UPLOAD_PATH
from .modelslab_shapes import FETCH_PATH
from .multipart import MultipartError, MultipartForm, boundary_from_content_type, parse_multipart
from .recording import Headers, RecordedRequest

# Control paths live under a prefix no provider uses.
CONTROL_PREFIX = "/_emulator/"
MODELSLAB_ENDPOINTS = ("ml_upload", "ml_submit", "ml_fetch")


def api_endpoint(path: str) -> str:
    """The endpoint name of a path on the API origin ("unknown" if none)."""
    route = urlsplit(path).path
    if route == AILAB_PATH:
        return "ailab"
    if route == UPLOAD_PATH:
        return "ml_upload"
    if route == SUBMIT_PATH:
        return "ml_submit"
    if route.startswith(FETCH_PATH):
        return "ml_fetch"
    if route.startswith(CONTROL_PREFIX) or route == CONTROL_PREFIX.rstrip("/"):
        return "control"
    return "unknown"


def build_record(
    endpoint: str, method: str, path: str, headers: Headers, body: bytes
) -> RecordedRequest:
    """A RecordedRequest with the body parsed as JSON or form data, and the key it presents."""
    parsed_json = _json_object(body)
    form = _form(headers.get("content-type"), body)
    key: Any = None
    if endpoint == "ailab":
        key = headers.get("ailabapi-api-key")
    elif endpoint in MODELSLAB_ENDPOINTS and parsed_json is not None:
        key = parsed_json.get("key")
    return RecordedRequest(
        endpoint=endpoint,
        method=method,
        path=path,
        headers=headers,
        body=body,
        json=parsed_json,
        form=form.fields,
        files=form.files,
        key=key if isinstance(key, str) and key else None,
        time=time.monotonic(),
    )


def _json_object(body: bytes) -> dict[str, Any] | None:
    if not body or body.lstrip()[:1] != b"{":
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _form(content_type: str | None, body: bytes) -> MultipartForm:
    boundary = boundary_from_content_type(content_type)
    if boundary is not None:
        try:
            return parse_multipart(body, boundary)
        except MultipartError:
            return MultipartForm()  # the handler then finds its parts missing
    if content_type and content_type.split(";")[0].strip().lower() == (
        "application/x-www-form-urlencoded"
    ):
        form = MultipartForm()
        text = body.decode("utf-8", errors="replace")
        for name, value in parse_qsl(text, keep_blank_values=True):
            form.fields.setdefault(name, value)  # first wins, as in multipart bodies
        return form
    return MultipartForm()
