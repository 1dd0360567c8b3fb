"""The CDN origin: serves uploads and job results, never asks for a key."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .behaviour import Behaviour
from .recording import RecordedRequest
from .replies import TEXT_TYPE, Reply, text_reply
from .state import EmulatorState

_FILE_PATH = re.compile(r"/(uploads|outputs)/[A-Za-z0-9_.-]+")


def handle_cdn(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """GET/HEAD /uploads/<name> and /outputs/<name>: the stored bytes, else 404."""
    if request.method not in ("GET", "HEAD"):
        return Reply(405, b"Method Not Allowed", TEXT_TYPE, headers={"Allow": "GET, HEAD"})
    path = urlsplit(request.path).path
    blob = state.blobs.get(path[1:]) if _FILE_PATH.fullmatch(path) else None
    if blob is None:
        return text_reply("Not Found", status=404)
    return Reply(200, blob.data, blob.content_type, headers={"Cache-Control": "max-age=86400"})
