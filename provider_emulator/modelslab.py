"""The emulated ModelsLab endpoints, declared once each in `ENDPOINTS`.

`catalogue` derives routing, scripting and key reading from these declarations;
the handlers live in modelslab_upload and modelslab_removal.
"""

from __future__ import annotations

from typing import Any

from .behaviour import Behaviour
from .endpoints import Endpoint, Malformed, Vendor
from .modelslab_removal import fetch_handler, read_interior_job, read_mask_job, submit_handler
from .modelslab_shapes import modelslab_error, modelslab_scripted_error
from .modelslab_upload import handle_upload
from .recording import Headers, RecordedRequest
from .replies import Reply, json_reply
from .scripted_replies import not_json, truncated_json
from .state import EmulatorState

INTERIOR_FETCH = "/api/v6/interior/fetch/"
MASK_FETCH = "/api/v6/image_editing/fetch/"


def _read_key(headers: Headers, body: Any) -> Any:
    # The key travels in every JSON body; no header.
    return body.get("key") if isinstance(body, dict) else None


def _not_found(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    return modelslab_error("Not found", status=404, legacy=behaviour.legacy_error_spelling)


def _id_in_path(request: RecordedRequest) -> int:
    # Made-up bodies carry the id a fetch asked for (0 on other paths).
    tail = request.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isascii() and tail.isdigit() else 0


def _truncated(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    return truncated_json(
        {"status": "success", "id": _id_in_path(request), "output": ["https://cdn/x.png"]}
    )


def _no_status(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    return json_reply({"id": _id_in_path(request), "message": "Request received", "output": []})


def _empty_success(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    return json_reply({"status": "success", "generationTime": 1.0, "id": _id_in_path(request),
                       "output": [], "proxy_links": [], "meta": {}})


# Every ModelsLab endpoint answers in the same shapes, so it can break in the same ways.
MALFORMED: tuple[Malformed, ...] = (
    Malformed("not_json", not_json),
    Malformed("truncated_json", _truncated),
    Malformed("no_status", _no_status),
    Malformed("success_without_output", _empty_success),
)

VENDOR = Vendor(
    name="modelslab",
    path_prefix="/api/v6/",
    read_key=_read_key,
    scripted_error=modelslab_scripted_error,
    not_found=_not_found,
    retry_after_in_json=True,
)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("ml_upload", VENDOR, "/api/v6/base64_to_url", handle_upload, malformed=MALFORMED),
    Endpoint("ml_submit", VENDOR, "/api/v6/interior/object_removal",
             submit_handler(INTERIOR_FETCH, read_interior_job), malformed=MALFORMED),
    Endpoint("ml_fetch", VENDOR, INTERIOR_FETCH, fetch_handler(INTERIOR_FETCH), prefix=True,
             malformed=MALFORMED),
    Endpoint("ml_mask_submit", VENDOR, "/api/v6/image_editing/object_removal",
             submit_handler(MASK_FETCH, read_mask_job), malformed=MALFORMED),
    Endpoint("ml_mask_fetch", VENDOR, MASK_FETCH, fetch_handler(MASK_FETCH), prefix=True,
             malformed=MALFORMED),
)
