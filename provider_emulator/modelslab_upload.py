"""ModelsLab's base64_to_url: images stored on the CDN origin, and finding them again."""

from __future__ import annotations

import base64
import re

from .behaviour import Behaviour
from .blobs import Blob
from .image_files import CONTENT_TYPES, EXTENSIONS, sniff_image_type
from .modelslab_shapes import modelslab_error, refusal
from .recording import RecordedRequest
from .replies import Reply, json_reply
from .state import EmulatorState

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def handle_upload(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """Store a base64 (data URI) image on the CDN origin and answer its URL."""
    legacy = behaviour.legacy_error_spelling
    refused = refusal(request, state, legacy)
    if refused is not None:
        return refused
    text = request.json.get("base64_string")
    if not isinstance(text, str) or not text.strip():
        return modelslab_error("The base64_string field is required.", legacy=legacy)
    try:
        data, mime = decode_data_uri(text)
    except ValueError:
        return modelslab_error("base64_string could not be decoded as base64.", legacy=legacy)
    if len(data) > MAX_UPLOAD_BYTES:
        return modelslab_error(
            f"The file is {len(data)} bytes and exceeds 5 MB, the upload limit.", legacy=legacy
        )
    kind = sniff_image_type(data)
    if kind is not None:
        extension, content_type = EXTENSIONS[kind], CONTENT_TYPES[kind]
    else:
        subtype = (mime or "").split("/")[-1].split("+")[0].lower()
        extension = re.sub(r"[^a-z0-9]", "", subtype)[:8] or "bin"
        content_type = mime or "application/octet-stream"
    upload_id, path = state.blobs.store_upload(data, extension, content_type)
    return json_reply({"status": "success", "id": upload_id, "output": [f"{state.cdn_url}/{path}"]})


def decode_data_uri(text: str) -> tuple[bytes, str | None]:
    """(bytes, MIME type or None) of a `data:<mime>;base64,...` string or bare base64."""
    mime = None
    if text.startswith("data:"):
        header, comma, text = text.partition(",")
        if not comma or not header.endswith(";base64"):
            raise ValueError("not a base64 data URI")
        mime = header[5:].split(";")[0] or None
    data = base64.b64decode("".join(text.split()), validate=True)
    if not data:
        raise ValueError("empty")
    return data, mime


def uploaded_blob(state: EmulatorState, url: object) -> Blob | None:
    """The upload a URL names, if it is one of this emulator's upload URLs.

    The real service downloads any public URL; here only our own uploads
    exist, so anything else "could not be downloaded".
    """
    prefix = f"{state.cdn_url}/uploads/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    return state.blobs.get(url[len(state.cdn_url) + 1 :])
