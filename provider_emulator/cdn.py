"""The CDN origin: serves uploads and results, never asks for a key."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .behaviour import Behaviour
from .endpoints import Endpoint, Vendor
from .recording import Headers, RecordedRequest
from .replies import TEXT_TYPE, Reply, text_reply
from .scripted_replies import plain_scripted_error
from .state import EmulatorState

# /uploads/<name>, /outputs/<name>, and one folder deeper (/outputs/ailab/<name>).
_FILE_PATH = re.compile(r"/(uploads|outputs)/([A-Za-z0-9_-]+/)?[A-Za-z0-9_.-]+")


def handle_cdn(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """GET/HEAD a stored file: the stored bytes, else 404."""
    if request.method not in ("GET", "HEAD"):
        return Reply(405, b"Method Not Allowed", TEXT_TYPE, headers={"Allow": "GET, HEAD"})
    path = urlsplit(request.path).path
    blob = state.blobs.get(path[1:]) if _FILE_PATH.fullmatch(path) else None
    if blob is None:
        return text_reply("Not Found", status=404)
    return Reply(200, blob.data, blob.content_type, headers={"Cache-Control": "max-age=86400"})


def _no_key(headers: Headers, body: Any) -> None:
    # A CDN takes no key: one found here is a leak (see leaks.py), not a credential.
    return None


def _not_found(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    return text_reply("Not Found", status=404)


VENDOR = Vendor(
    name="cdn",
    path_prefix="/",
    read_key=_no_key,
    scripted_error=plain_scripted_error,
    not_found=_not_found,
)

# The whole origin is one endpoint: every path is looked up in the blob store.
ENDPOINT = Endpoint("cdn", VENDOR, "/", handle_cdn, prefix=True)
