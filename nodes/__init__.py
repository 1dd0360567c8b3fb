"""The pack's nodes, as ComfyUI's classic node API lists them."""

from ..object_removal.comfy_bridge import warn_if_comfyui_too_old
from ..object_removal.server_routes import register_routes
from .fetch_result import FetchResult
from .mask_object_remove import MaskObjectRemove
from .text_object_remove import TextObjectRemove
from .video_object_remove import VideoObjectRemove

NODE_CLASS_MAPPINGS = {
    "MaskObjectRemove": MaskObjectRemove,
    "TextObjectRemove": TextObjectRemove,
    "FetchResult": FetchResult,
    "VideoObjectRemove": VideoObjectRemove,
}

NODE_DISPLAY_NAME_MAPPINGS = {
    "MaskObjectRemove": "Mask Object Remove",
    "TextObjectRemove": "Text Object Remove",
    "FetchResult": "Fetch Result (ModelsLab)",
    "VideoObjectRemove": "Video Object Remove",
}

warn_if_comfyui_too_old()
register_routes({name: node.SEARCH_ALIASES for name, node in NODE_CLASS_MAPPINGS.items()})
