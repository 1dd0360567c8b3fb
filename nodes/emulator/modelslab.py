"""The emulated ModelsLab endpoints: base64_to_url, object_removal, fetch."""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

from .behaviour import Behaviour
from .blobs import Blob
from .image_files import CONTENT_TYPES, EXTENSIONS, decode_rgb, encode_image, sniff_image_type
from .jobs import Job, QueueFull
from .modelslab_shapes import (
    FETCH_PATH,
    failed_payload,
    modelslab_error,
    processing_payload,
    success_payload,
)
from .recording import RecordedRequest
from .removal import emulated_text_removal
from .replies import Reply, json_reply
from .state import EmulatorState

UPLOAD_PATH = "/api/v6/base64_to_url"
SUBMIT_PATH = "/api/v6/interior/object_removal"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# The real limit is undocumented; this only keeps a tiny file from claiming a huge bitmap.
MAX_INIT_PIXELS = 8192 * 8192
INVALID_KEY = "Invalid API key. Please check your API key and try again."


def handle_upload(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """Store a base64 (data URI) image on the CDN origin and answer its URL."""
    refusal = _refusal(request, state, behaviour)
    if refusal is not None:
        return refusal
    legacy = behaviour.legacy_error_spelling
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


def handle_submit(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """Queue an object removal job, or refuse it as the real service would."""
    refusal = _refusal(request, state, behaviour)
    if refusal is not None:
        return refusal
    legacy = behaviour.legacy_error_spelling
    payload: dict[str, Any] = request.json
    object_name = payload.get("object_name")
    if not isinstance(object_name, str) or not object_name.strip():
        # The real service sometimes answers validation errors as field -> messages.
        return modelslab_error(
            {"object_name": ["The object name field is required."]}, legacy=legacy
        )
    upload = uploaded_blob(state, payload.get("init_image"))
    if upload is None:
        return modelslab_error("init_image could not be downloaded", legacy=legacy)
    try:
        rgb = decode_rgb(upload.data, max_pixels=MAX_INIT_PIXELS)
    except ValueError:
        return modelslab_error("init_image is not a readable image", legacy=legacy)

    result = emulated_text_removal(rgb, behaviour.modelslab_output_size)
    now = time.monotonic()
    meta = {
        "object_name": object_name,
        "init_image": payload.get("init_image"),
        "base64": "yes" if payload.get("base64") is True else "no",
        "webhook": payload.get("webhook"),
        "track_id": payload.get("track_id"),
        "W": int(result.shape[1]),
        "H": int(result.shape[0]),
        "outdir": "outputs",
        "file_prefix": str(uuid.uuid4()),
    }
    try:
        job = state.jobs.create(
            request.key or "", now, behaviour.job_seconds, behaviour.job_outcome,
            behaviour.queue_limit, meta,
        )
    except QueueFull as full:
        return modelslab_error(
            f"You have reached your queue limit of {full.limit} requests. Please wait for "
            "your queued requests to finish and try again.",
            status=429, legacy=legacy, extra={"retry_after": full.retry_after},
            headers={"Retry-After": str(full.retry_after)},
        )
    if job.outcome == "success":
        # Stored now, downloadable once the job is done, like real future_links.
        state.blobs.store(f"outputs/{job.id}.png", encode_image(result), "image/png", job.ready_at)
    return _job_reply(job, state, behaviour, now)


def handle_fetch(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """The state of one of the key's jobs."""
    refusal = _refusal(request, state, behaviour)
    if refusal is not None:
        return refusal
    job_id = fetch_job_id(request.path)
    job = state.jobs.find(job_id, request.key or "") if job_id is not None else None
    if job is None:
        return modelslab_error("Request not found", legacy=behaviour.legacy_error_spelling)
    return _job_reply(job, state, behaviour, time.monotonic())


def fetch_job_id(path: str) -> int | None:
    """The job id at the end of a fetch path, or None."""
    route = path.split("?", 1)[0]
    if not route.startswith(FETCH_PATH):
        return None
    tail = route[len(FETCH_PATH) :].rstrip("/")
    return int(tail) if tail.isascii() and tail.isdigit() else None


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
    """The upload a URL names, if it is one of this emulator's upload URLs."""
    prefix = f"{state.cdn_url}/uploads/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    return state.blobs.get(url[len(state.cdn_url) + 1 :])


def _refusal(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply | None:
    # What every ModelsLab endpoint checks first: method, JSON body, key.
    legacy = behaviour.legacy_error_spelling
    if request.method != "POST":
        return modelslab_error("Method not allowed, use POST.", status=405, legacy=legacy)
    if not isinstance(request.json, dict):
        return modelslab_error("The request body must be a JSON object.", status=400, legacy=legacy)
    if not state.accepts(request.key):
        return modelslab_error(INVALID_KEY, status=401, legacy=legacy)
    return None


def _job_reply(job: Job, state: EmulatorState, behaviour: Behaviour, now: float) -> Reply:
    if not job.is_ready(now):
        number = state.jobs.next_processing_reply(job)
        shape = behaviour.processing_output
        as_list = shape == "list" or (shape == "alternate" and number % 2 == 0)
        return json_reply(
            processing_payload(
                job, state.api_url, state.cdn_url, now, behaviour.eta, [] if as_list else ""
            )
        )
    if job.outcome == "success":
        return json_reply(success_payload(job, state.cdn_url))
    return json_reply(failed_payload(job))
