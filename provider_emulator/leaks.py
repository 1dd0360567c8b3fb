"""Finding API keys in requests that should never carry one (those to the CDN)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

from .recording import RecordedRequest

# Keys shorter than this are not searched as substrings: they would match anything.
MIN_SEARCHED_KEY_LENGTH = 4
_KEY_FIELDS = ("key", "api_key", "ailabapi-api-key")


def keys_in_request(request: RecordedRequest, candidates: Iterable[str]) -> set[str]:
    """Keys a request carries: any value in a key-named header, query parameter or
    JSON/form field, plus any candidate key found anywhere in the path, headers or body."""
    found: set[str] = set()
    header_key = request.headers.get("ailabapi-api-key")
    if header_key:
        found.add(header_key)
    query = parse_qs(urlsplit(request.path).query)
    for name in _KEY_FIELDS:
        found.update(value for value in query.get(name, []) if value)
        for fields in (request.json, request.form):
            value = fields.get(name) if isinstance(fields, dict) else None
            if isinstance(value, str) and value:
                found.add(value)

    body = request.body.decode("utf-8", errors="replace")
    texts = [request.path, unquote(request.path), body, unquote_plus(body),
             *request.headers.values()]
    for key in candidates:
        if len(key) >= MIN_SEARCHED_KEY_LENGTH and any(key in text for text in texts):
            found.add(key)
    return found


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (longest first) replaced by `***`."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
