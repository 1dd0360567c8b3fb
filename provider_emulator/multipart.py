"""A small multipart/form-data parser (RFC 7578): the standard library no longer has one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

# `; name=value` or `; name="quoted \" value"` after a header's main value.
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_ESCAPE = re.compile(r"\\(.)")


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart body."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class MultipartForm:
    """Plain fields (decoded as UTF-8) and file parts, by name; the first of a name wins."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


def parse_header_value(value: str) -> tuple[str, dict[str, str]]:
    """Split `main; a=1; b="x"` into ("main", {"a": "1", "b": "x"}); names lower-cased."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = _ESCAPE.sub(r"\1", raw[1:-1])
        params.setdefault(match.group(1).lower(), raw)
    # RFC 5987 `filename*=UTF-8''na%C3%AFve.png` beats the plain parameter.
    for name in [n for n in params if n.endswith("*")]:
        charset, sep, encoded = params[name].partition("'")
        if sep:
            _, _, encoded = encoded.partition("'")
            params[name[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="replace")
    return main.strip().lower(), params


def boundary_from_content_type(content_type: str | None) -> str | None:
    """The boundary of a multipart/form-data Content-Type, or None if it is not one."""
    if not content_type:
        return None
    main, params = parse_header_value(content_type)
    boundary = params.get("boundary", "")
    if main != "multipart/form-data" or not 1 <= len(boundary) <= 200:
        return None
    return boundary


def parse_multipart(body: bytes, boundary: str) -> MultipartForm:
    """Parse a multipart/form-data body; MultipartError if it is malformed or truncated."""
    form = MultipartForm()
    for part in _split_parts(body, boundary.encode("latin-1")):
        headers, content = _split_part(part)
        disposition, params = parse_header_value(headers.get("content-disposition", ""))
        name = params.get("name")
        if disposition != "form-data" or name is None:
            continue  # RFC 7578 requires both; a part without them names nothing.
        if "filename" in params:
            content_type = headers.get("content-type", "application/octet-stream")
            form.files.setdefault(name, UploadedFile(params["filename"], content_type, content))
        else:
            form.fields.setdefault(name, content.decode("utf-8", errors="replace"))
    return form


def _split_parts(body: bytes, boundary: bytes) -> list[bytes]:
    delimiter = b"--" + boundary
    if body.startswith(delimiter):
        pos = len(delimiter)
    else:
        # A preamble is allowed before the first delimiter line.
        start = body.find(b"\r\n" + delimiter)
        if start < 0:
            raise MultipartError("the body has no opening boundary")
        pos = start + 2 + len(delimiter)
    parts: list[bytes] = []
    while not body.startswith(b"--", pos):
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise MultipartError("a boundary line is malformed")
        start = line_end + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise MultipartError("the body ends before its closing boundary")
        parts.append(body[start:end])
        pos = end + 2 + len(delimiter)
    return parts


def _split_part(part: bytes) -> tuple[dict[str, str], bytes]:
    if part.startswith(b"\r\n"):
        return {}, part[2:]  # a part with no headers at all
    head_end = part.find(b"\r\n\r\n")
    if head_end < 0:
        raise MultipartError("a part's headers do not end")
    headers: dict[str, str] = {}
    for line in part[:head_end].split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if not colon:
            raise MultipartError("a part header has no colon")
        key = name.strip().decode("latin-1").lower()
        headers.setdefault(key, value.strip().decode("utf-8", errors="replace"))
    return headers, part[head_end + 4 :]
