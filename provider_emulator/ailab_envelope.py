"""AILabTools' reply envelope and its error codes."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .replies import Reply, json_reply

if TYPE_CHECKING:
    from .scripts import ScriptedReply

# Where Remove Objects stores its results on the CDN origin (its `image_url`).
OUTPUT_FOLDER = "outputs/ailab"

# code -> (HTTP status, what the code means), after providers.md and AILabTools'
# error table (statuses as mapped since 2026-01-08).
AILAB_ERRORS: dict[str, tuple[int, str]] = {
    "MISSING_PARAMETERS": (400, "Required parameters are missing."),
    "ERROR_INVALID_PARAMETER": (400, "A parameter value is invalid."),
    "ERROR_MASK_IMAGE_RESOLUTION_MISMATCH": (400, "The mask and the image differ in size."),
    "ERROR_USER_NOT_EXISTS": (401, "Invalid or unknown API key."),
    "ERROR_APPLICATIONS_NOT_EXISTS": (401, "The application does not exist."),
    "ERROR_USER_LOCKED": (403, "The account is locked."),
    "ERROR_AI_NOT_EXISTS": (404, "The API does not exist."),
    "FILE_SIZE_EXCEEDS_LIMIT": (413, "The file is too large."),
    "FILE_RESOLUTION_EXCEEDS_LIMITS": (413, "The image resolution is too high."),
    "UNSUPPORTED_FILE_TYPES": (415, "The file type is not supported."),
    "FILE_DECODING_FAILURE": (422, "The file cannot be decoded as an image."),
    "ERROR_LOW_RESOLUTION": (422, "The image resolution is too low."),
    "ERROR_CONTENT_NON_COMPLIANCE": (422, "The content failed the safety review."),
    "ERROR_NOT_ENOUGH_CREDITS": (429, "The account does not have enough credits."),
    "EXCEEDING_LIMITS": (429, "Request or concurrency limits were exceeded."),
    "PROCESSING_FAILURE": (500, "The service failed while processing the request."),
    "AI_SERVICE_ERROR": (502, "Upstream AI service error."),
    "AI_SERVICE_FLOW_RESTRICTION": (503, "The AI service is rate limited."),
    "ERROR_INSUFFICIENT_RESOURCES": (503, "Temporary resource shortage."),
    "AI_SERVICE_TIMEOUT": (504, "Processing timed out."),
}

# For a script that gives only an HTTP status: the code such a status usually carries.
_CODE_FOR_STATUS = {
    400: "ERROR_INVALID_PARAMETER",
    401: "ERROR_USER_NOT_EXISTS",
    403: "ERROR_USER_LOCKED",
    404: "ERROR_AI_NOT_EXISTS",
    413: "FILE_SIZE_EXCEEDS_LIMIT",
    415: "UNSUPPORTED_FILE_TYPES",
    422: "FILE_DECODING_FAILURE",
    429: "EXCEEDING_LIMITS",
    500: "PROCESSING_FAILURE",
    502: "AI_SERVICE_ERROR",
    503: "AI_SERVICE_FLOW_RESTRICTION",
    504: "AI_SERVICE_TIMEOUT",
}


def code_for_status(status: int) -> str:
    """The AILab code that usually comes with an HTTP status (PROCESSING_FAILURE if none)."""
    return _CODE_FOR_STATUS.get(status, "PROCESSING_FAILURE")


def envelope(status: int, code: str, message: str, data: Any = None) -> dict[str, Any]:
    """The public response fields, with `data` only when given (success).

    `error_code` is 0 on success and the HTTP status otherwise: the docs do not
    say which numbers the real service uses, clients branch on `error_detail.code`.
    """
    payload: dict[str, Any] = {
        "request_id": uuid.uuid4().hex,
        "log_id": uuid.uuid4().hex[:16].upper(),
        "error_code": 0 if not code else status,
        "error_code_str": code,
        "error_msg": message,
        "error_detail": {
            "status_code": status,
            "code": code,
            "code_message": AILAB_ERRORS[code][1] if code in AILAB_ERRORS else "",
            "message": message,
        },
    }
    if data is not None:
        payload["data"] = data
    return payload


def ailab_error(code: str, message: str | None = None, status: int | None = None) -> Reply:
    """An AILab error reply; the status comes from the table unless overridden."""
    table_status, meaning = AILAB_ERRORS.get(code, (500, "Unknown error."))
    status = status or table_status
    return json_reply(envelope(status, code, message or meaning), status=status)


def ailab_success(image_base64: str) -> Reply:
    """Remove Objects Advanced's success reply: one base64 image."""
    return json_reply(envelope(200, "", "", data={"binary_data_base64": [image_base64]}))


def ailab_url_success(image_url: str) -> Reply:
    """Remove Objects' success reply: the result's URL on the CDN, no base64."""
    return json_reply(envelope(200, "", "", data={"image_url": image_url}))


def ailab_scripted_error(script: ScriptedReply, legacy_spelling: bool = False) -> Reply:
    """The error a script gives with only a code, a status and/or retry_after.

    Without a code the status picks the usual one; retry_after alone means
    "rate limited" (429). `legacy_spelling` is ModelsLab's and ignored here.
    """
    if script.code:
        return ailab_error(script.code, script.message, script.http_status)
    status = script.http_status or 429
    return ailab_error(code_for_status(status), script.message, status)
