"""What is parsed from a request before it is handled: JSON, form data, the key."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from .endpoints import KeyReader
from .multipart import MultipartError, MultipartForm, boundary_from_content_type, parse_multipart
from .recording import Headers, RecordedRequest


def build_record(
    endpoint: str,
    read_key: KeyReader | None,
    method: str,
    path: str,
    headers: Headers,
    body: bytes,
    now: float,
) -> RecordedRequest:
    """A RecordedRequest with the body parsed as JSON or form data, and the key it
    presents where its vendor reads one (`read_key` None: nowhere)."""
    parsed_json = _json_object(body)
    form = _form(headers.get("content-type"), body)
    key = read_key(headers, parsed_json) if read_key is not None else None
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
        time=now,
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
