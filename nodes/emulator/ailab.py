"""The emulated AILabTools Remove Objects Advanced endpoint."""

from __future__ import annotations

import base64

from .ailab_checks import Rejection, check_image, check_mask, parse_parameters
from .ailab_envelope import ailab_error, ailab_success
from .behaviour import Behaviour
from .image_files import encode_image, resize_rgb
from .multipart import boundary_from_content_type
from .recording import RecordedRequest
from .removal import emulated_removal
from .replies import Reply
from .state import EmulatorState

AILAB_PATH = "/api/image/editing/remove-objects-advanced"


def handle_ailab(request: RecordedRequest, state: EmulatorState, behaviour: Behaviour) -> Reply:
    """Check the request as the real service does, then answer the emulated removal."""
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
        rgb = check_image(request.files["image"].data)
        mask = check_mask(request.files["mask"].data, (rgb.shape[1], rgb.shape[0]))
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
