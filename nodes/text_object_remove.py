"""TextObjectRemove: remove an object named in words, through ModelsLab."""

from __future__ import annotations

import torch

from ..object_removal.comfy_bridge import ComfyRunContext
from ..object_removal.text.removal import remove_by_text
from .node_support import CATEGORY, SEARCH_ALIASES, errors_named_for, node_description

DEFAULT_TIMEOUT_SECONDS = 600
COMPOSITE_TOOLTIP = (
    "On: keep your own pixels, at full resolution, everywhere the provider changed nothing; "
    "only the changed area takes its pixels. Off: the provider's whole re-rendered picture, "
    "resized to yours."
)


def composite_input(tooltip: str = COMPOSITE_TOOLTIP) -> tuple[str, dict]:
    return ("BOOLEAN", {"default": True, "tooltip": tooltip})


class TextObjectRemove:
    """Removes the object you name (e.g. "sofa") with ModelsLab's Interior object removal
    (paid per image, key from MODELSLAB_API_KEY). The job is queued at ModelsLab: with wait
    on, the node waits for it and returns the result at the input's size, keeping your own
    pixels everywhere the provider changed nothing (composite), plus a mask of where it
    removed something; with wait off it returns at once with the input unchanged and a job
    handle for FetchResult, so many jobs run side by side. Queueing the same image and name
    again resumes the same job instead of paying twice. Batches become one job per image."""

    DESCRIPTION = node_description(__doc__)
    CATEGORY = CATEGORY
    SEARCH_ALIASES = [*SEARCH_ALIASES, "remove by text", "remove by name", "text remove",
                      "modelslab", "interior"]
    FUNCTION = "remove"
    # Outputs are only ever appended: saved workflows link them by position.
    RETURN_TYPES = ("IMAGE", "STRING", "MASK")
    RETURN_NAMES = ("image", "job", "mask")
    OUTPUT_TOOLTIPS = (
        "The result at the input's exact size (wait on), or the input unchanged (wait off).",
        "The job handle: give it to FetchResult, now or in a later run.",
        "Where the provider changed the picture (1) and the output may differ from the "
        "input; all 0 with wait off (nothing removed yet), all 1 if it changed everything. "
        "Feed it to Mask Object Remove for a second opinion, or to an inpainting step.",
    )

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "image": ("IMAGE", {"tooltip": "The image(s) to remove the object from."}),
                "object_name": ("STRING", {
                    "default": "", "multiline": False,
                    "tooltip": "What to remove, in words: e.g. \"sofa\", \"the red car\".",
                }),
                "wait": ("BOOLEAN", {
                    "default": True,
                    "tooltip": "On: wait for the result. Off: submit, return the job handle at "
                               "once and collect it with FetchResult.",
                }),
                "timeout": ("INT", {
                    "default": DEFAULT_TIMEOUT_SECONDS, "min": 1, "max": 86400,
                    "tooltip": "Seconds to wait for the result. If it runs out the job keeps "
                               "running at ModelsLab; the error gives the handle to collect it.",
                }),
            },
            # Optional, so API-format prompts saved before it existed still validate
            # (ComfyUI refuses a prompt that lacks a required input); the default applies.
            "optional": {"composite": composite_input()},
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    async def remove(
        self,
        image: torch.Tensor,
        object_name: str,
        wait: bool,
        timeout: int,
        composite: bool = True,
        unique_id: str | None = None,
    ) -> tuple[torch.Tensor, str, torch.Tensor]:
        with errors_named_for("Text Object Remove"):
            return await remove_by_text(
                image, object_name, wait=wait, timeout=timeout, ctx=ComfyRunContext(unique_id),
                composite=composite,
            )
