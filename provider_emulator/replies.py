"""The answer a handler gives, before the HTTP layer writes it."""

from __future__ import annotations

import http
import json
import threading
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass
class Reply:
    """Status, body and headers to send, or `drop` to close the connection unanswered.

    How it travels (see `wire`): `trickle` seconds between every byte of the whole
    response; `chunked` without a Content-Length; `filler` bytes of streamed JSON
    instead of `body`; `silent`: accept and never answer; `held`: sent only once the
    event is set (a reply held back on its way).
    """

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    trickle: float = 0.0
    chunked: bool = False
    filler: int | None = None
    silent: bool = False
    held: threading.Event | None = None


def json_reply(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer."""
    body = json.dumps(payload).encode("utf-8")
    return Reply(status=status, body=body, content_type=JSON_TYPE, headers=dict(headers or {}))


def text_reply(text: str | bytes, status: int = 200, content_type: str = TEXT_TYPE) -> Reply:
    """A plain text (or any non-JSON) answer."""
    body = text.encode("utf-8") if isinstance(text, str) else text
    return Reply(status=status, body=body, content_type=content_type)


def format_retry_after(seconds: float) -> str:
    """Retry-After value: whole seconds as an integer, anything else as given."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def status_phrase(status: int) -> str:
    """"Bad Gateway" for 502; "HTTP 599" for a status without a standard phrase."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
