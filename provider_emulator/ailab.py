"""The emulated AILabTools endpoints: Remove Objects Advanced, Remove Objects and
Remove Objects Pro.

`ENDPOINTS` at the bottom declares them; `catalogue` derives everything else.
"""

from __future__ import annotations

import base64

import numpy as np

from .ailab_checks import (
    ADVANCED_IMAGES,
    BASIC_IMAGES,
    ImageRules,
    Rejection,
    check_image,
    check_mask,
    parse_parameters,
)
from .ailab_envelope import (
    AILAB_ERRORS,
    OUTPUT_FOLDER,
    ailab_error,
    ailab_scripted_error,
    ailab_success,
    ailab_url_success,
)
from .ailab_malformed import ADVANCED_MALFORMED, BASIC_MALFORMED
from .behaviour import Behaviour
from .endpoints import Endpoint, Vendor
from .image_files import encode_image, resize_rgb
from .multipart import boundary_from_content_type
from .recording import Headers, RecordedRequest
from .removal import emulated_basic_removal, emulated_removal
from .replies import Reply
from .state import EmulatorState

KEY_HEADER = "ailabapi-api-key"


def handle_advanced(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """Remove Objects Advanced: check as the real service does, answer base64 inline."""
    checked = _checked_pair(request, state, ADVANCED_IMAGES)
    if isinstance(checked, Reply):
        return checked
    rgb, mask = checked
    try:
        params = parse_parameters(request.form)
    except Rejection as rejection:
        return ailab_error(rejection.code, rejection.message)

    result = emulated_removal(rgb, mask, params.dilate_size, params.seed, behaviour.ailab_noise)
    result = resize_rgb(result, behaviour.ailab_output_scale)
    fmt = behaviour.ailab_output_format
    encoded = base64.b64encode(encode_image(result, fmt)).decode("ascii")
    if behaviour.ailab_data_prefix:
        encoded = f"data:image/{fmt};base64,{encoded}"
    return ailab_success(encoded)


def handle_basic(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """Remove Objects (and Pro, which answers alike): only `image` and `mask` count; the
    result is a URL on the CDN.

    Other form fields are ignored, as the endpoint documents none.
    """
    checked = _checked_pair(request, state, BASIC_IMAGES)
    if isinstance(checked, Reply):
        return checked
    rgb, mask = checked
    png = encode_image(emulated_basic_removal(rgb, mask))
    path = state.blobs.store_unguessable(OUTPUT_FOLDER, png, "png", "image/png")
    return ailab_url_success(f"{state.cdn_url}/{path}")


def _checked_pair(
    request: RecordedRequest, state: EmulatorState, rules: ImageRules
) -> tuple[np.ndarray, np.ndarray] | Reply:
    # What both endpoints check, in order: method, key, multipart, parts, image, mask.
    if request.method != "POST":
        return ailab_error("ERROR_AI_NOT_EXISTS", "This API only accepts POST.", status=405)
    if not state.accepts(request.key):
        # Never echo the presented key: it could be a real one sent here by mistake.
        return ailab_error("ERROR_USER_NOT_EXISTS", "The API key is invalid or does not exist.")
    if boundary_from_content_type(request.headers.get("content-type")) is None:
        return ailab_error(
            "MISSING_PARAMETERS",
            "The request must be multipart/form-data with the files 'image' and 'mask'.",
        )
    missing = [name for name in ("image", "mask") if name not in request.files]
    if missing:
        return ailab_error(
            "MISSING_PARAMETERS", f"Missing required file field(s): {', '.join(missing)}."
        )
    try:
        rgb = check_image(request.files["image"].data, rules)
        mask = check_mask(request.files["mask"].data, (rgb.shape[1], rgb.shape[0]))
    except Rejection as rejection:
        return ailab_error(rejection.code, rejection.message)
    return rgb, mask


def _read_key(headers: Headers, body: object) -> object:
    return headers.get(KEY_HEADER)


def _not_found(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    return ailab_error("ERROR_AI_NOT_EXISTS", "No such API.", status=404)


VENDOR = Vendor(
    name="ailab",
    # Any path outside another vendor's prefix is answered in AILab's style.
    path_prefix="/",
    read_key=_read_key,
    scripted_error=ailab_scripted_error,
    not_found=_not_found,
    codes=frozenset(AILAB_ERRORS),
    crowd_setting="ailab_concurrency",
    crowd_code="EXCEEDING_LIMITS",
)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("ailab", VENDOR, "/api/image/editing/remove-objects-advanced", handle_advanced,
             malformed=ADVANCED_MALFORMED),
    Endpoint("ailab_basic", VENDOR, "/api/image/editing/remove-objects", handle_basic,
             malformed=BASIC_MALFORMED),
    Endpoint("ailab_pro", VENDOR, "/api/image/editing/remove-objects-pro", handle_basic,
             malformed=BASIC_MALFORMED),
)
