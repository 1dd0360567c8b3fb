"""Broken AILabTools answers a script may ask for, by endpoint."""

from __future__ import annotations

import base64
from typing import Any

from .ailab_envelope import OUTPUT_FOLDER, envelope
from .behaviour import Behaviour
from .endpoints import Handler, Malformed
from .recording import RecordedRequest
from .replies import Reply, json_reply
from .scripted_replies import NOT_AN_IMAGE, not_json, truncated_json
from .state import EmulatorState

# Not decodable by base64.b64decode, with or without validate: 14 data characters.
BAD_BASE64 = "not*base64*at*all"


def _success(data: Any = None) -> dict[str, Any]:
    return envelope(200, "", "", data=data)


def _answer(data: Any) -> Handler:
    # A fresh envelope (request_id, log_id) per reply; data None leaves `data` out.
    def reply(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
        return json_reply(_success(data))

    return reply


def _truncated(data: dict[str, Any]) -> Handler:
    def reply(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
        return truncated_json(_success(data))

    return reply


def _url_to_text(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    # A real, downloadable CDN file whose bytes are no image.
    path = state.blobs.store_unguessable(OUTPUT_FOLDER, NOT_AN_IMAGE, "png", "image/png")
    return json_reply(_success({"image_url": f"{state.cdn_url}/{path}"}))


ADVANCED_MALFORMED: tuple[Malformed, ...] = (
    Malformed("not_json", not_json),
    Malformed("truncated_json", _truncated({"binary_data_base64": ["iVBORw0KGgo" * 8]})),
    Malformed("no_data", _answer(None)),
    Malformed("empty_list", _answer({"binary_data_base64": []})),
    Malformed("bad_base64", _answer({"binary_data_base64": [BAD_BASE64]})),
    Malformed("not_an_image",
              _answer({"binary_data_base64": [base64.b64encode(NOT_AN_IMAGE).decode("ascii")]})),
)

BASIC_MALFORMED: tuple[Malformed, ...] = (
    Malformed("not_json", not_json),
    Malformed("truncated_json", _truncated({"image_url": "https://cdn.invalid/result.png"})),
    Malformed("no_data", _answer(None)),
    Malformed("empty_url", _answer({"image_url": ""})),
    Malformed("not_an_image", _url_to_text),
)
