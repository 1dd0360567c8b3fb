"""ModelsLab's queued removals: interior (by object name) and image_editing (by mask).

Both kinds share one JobBook, so one key's queue limit counts them together,
and each is fetched only through its own fetch endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from .behaviour import Behaviour
from .endpoints import Handler
from .image_files import decode_grey, decode_rgb, encode_image
from .jobs import Job, QueueFull
from .modelslab_shapes import (
    failed_payload,
    modelslab_error,
    output_path,
    processing_payload,
    refusal,
    success_payload,
)
from .modelslab_upload import uploaded_blob
from .recording import RecordedRequest
from .removal import emulated_mask_job_removal, emulated_text_removal
from .replies import Reply, json_reply
from .state import EmulatorState

# The real limit is undocumented; this only keeps a tiny file from claiming a huge bitmap.
MAX_INIT_PIXELS = 8192 * 8192

# What a submit reads from its body: (result pixels, job meta), or the refusal to send.
JobReader = Callable[[dict[str, Any], EmulatorState, Behaviour],
                     "tuple[np.ndarray, dict[str, Any]] | Reply"]


def read_interior_job(
    payload: dict[str, Any], state: EmulatorState, behaviour: Behaviour
) -> tuple[np.ndarray, dict[str, Any]] | Reply:
    """interior/object_removal: an object name and an uploaded init_image."""
    legacy = behaviour.legacy_error_spelling
    object_name = payload.get("object_name")
    if not isinstance(object_name, str) or not object_name.strip():
        # The real service sometimes answers validation errors as field -> messages.
        return modelslab_error(
            {"object_name": ["The object name field is required."]}, legacy=legacy
        )
    images = _downloaded(payload, state, legacy, init_image=decode_rgb)
    if isinstance(images, Reply):
        return images
    result = emulated_text_removal(images["init_image"], behaviour.modelslab_output_size,
                                   behaviour.text_render)
    return result, {
        "object_name": object_name,
        "init_image": payload.get("init_image"),
        "base64": "yes" if payload.get("base64") is True else "no",
        "webhook": payload.get("webhook"),
        "track_id": payload.get("track_id"),
    }


def read_mask_job(
    payload: dict[str, Any], state: EmulatorState, behaviour: Behaviour
) -> tuple[np.ndarray, dict[str, Any]] | Reply:
    """image_editing/object_removal: an uploaded init_image and mask_image (white = remove)."""
    legacy = behaviour.legacy_error_spelling
    mask_image = payload.get("mask_image")
    if not isinstance(mask_image, str) or not mask_image.strip():
        return modelslab_error({"mask_image": ["The mask image field is required."]},
                               legacy=legacy)
    images = _downloaded(payload, state, legacy, init_image=decode_rgb, mask_image=decode_grey)
    if isinstance(images, Reply):
        return images
    result = emulated_mask_job_removal(
        images["init_image"], images["mask_image"], behaviour.modelslab_output_size
    )
    return result, {
        "init_image": payload.get("init_image"),
        "mask_image": mask_image,
        "webhook": payload.get("webhook"),
        "track_id": payload.get("track_id"),
    }


def submit_handler(fetch_path: str, read_job: JobReader) -> Handler:
    """A submit endpoint whose jobs are fetched under `fetch_path`."""

    def handle(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
        refused = refusal(request, state, behaviour.legacy_error_spelling)
        if refused is not None:
            return refused
        read = read_job(request.json, state, behaviour)
        if isinstance(read, Reply):
            return read
        result, meta = read
        return _queue(request.key or "", state, behaviour, fetch_path, result, meta)

    return handle


def fetch_handler(fetch_path: str) -> Handler:
    """A fetch endpoint answering for the key's jobs submitted with `fetch_path`."""

    def handle(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
        refused = refusal(request, state, behaviour.legacy_error_spelling)
        if refused is not None:
            return refused
        job_id = job_id_in(request.path, fetch_path)
        key = request.key or ""
        job = state.jobs.find(job_id, key, fetch_path) if job_id is not None else None
        if job is None:
            return modelslab_error("Request not found", legacy=behaviour.legacy_error_spelling)
        return job_reply(job, state, behaviour, state.clock.now())

    return handle


def job_id_in(path: str, fetch_path: str) -> int | None:
    """The job id after `fetch_path` (`.../fetch/123`), or None if there is none."""
    route = path.split("?", 1)[0]
    if not route.startswith(fetch_path):
        return None
    tail = route[len(fetch_path) :].rstrip("/")
    return int(tail) if tail.isascii() and tail.isdigit() else None


def job_reply(job: Job, state: EmulatorState, behaviour: Behaviour, now: float) -> Reply:
    """The processing, success or failed shape of a job at time `now`."""
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


def _downloaded(
    payload: dict[str, Any], state: EmulatorState, legacy: bool,
    **decoders: Callable[..., np.ndarray],
) -> dict[str, np.ndarray] | Reply:
    # Every URL field must be one of our uploads, then decodable; in that order.
    blobs = {}
    for field in decoders:
        blob = uploaded_blob(state, payload.get(field))
        if blob is None:
            return modelslab_error(f"{field} could not be downloaded", legacy=legacy)
        blobs[field] = blob
    images = {}
    for field, decode in decoders.items():
        try:
            images[field] = decode(blobs[field].data, max_pixels=MAX_INIT_PIXELS)
        except ValueError:
            return modelslab_error(f"{field} is not a readable image", legacy=legacy)
    return images


def _queue(
    key: str, state: EmulatorState, behaviour: Behaviour, fetch_path: str,
    result: np.ndarray, meta: dict[str, Any],
) -> Reply:
    now = state.clock.now()
    meta = {**meta, "W": int(result.shape[1]), "H": int(result.shape[0]), "outdir": "outputs",
            "file_prefix": str(uuid.uuid4())}
    try:
        job = state.jobs.create(key, now, behaviour.job_seconds, behaviour.job_outcome,
                                behaviour.queue_limit, fetch_path, meta)
    except QueueFull as full:
        return modelslab_error(
            f"You have reached your queue limit of {full.limit} requests. Please wait for "
            "your queued requests to finish and try again.",
            status=429, legacy=behaviour.legacy_error_spelling,
            extra={"retry_after": full.retry_after},
            headers={"Retry-After": str(full.retry_after)},
        )
    if job.outcome == "success":
        # Stored now, downloadable once the job is done, like real future_links.
        state.blobs.store(output_path(job), encode_image(result), "image/png", job.ready_at)
    return job_reply(job, state, behaviour, now)
