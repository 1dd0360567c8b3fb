"""FetchResult: collect a queued ModelsLab job, from this graph or a later run."""

from __future__ import annotations

import torch

from ..object_removal.comfy_bridge import ComfyRunContext
from ..object_removal.text_removal import collect_result
from .node_support import CATEGORY, errors_named_for
from .text_object_remove import DEFAULT_TIMEOUT_SECONDS


class FetchResult:
    """Collects the result of a ModelsLab job queued by TextObjectRemove: connect its job
    output, or paste a job handle or id from an earlier run. With a handle the image comes
    back at the original input's size; with a bare id, at the provider's size. Results
    already collected are reused without asking ModelsLab again."""

    DESCRIPTION = __doc__
    CATEGORY = CATEGORY
    FUNCTION = "fetch"
    RETURN_TYPES = ("IMAGE",)
    RETURN_NAMES = ("image",)
    OUTPUT_TOOLTIPS = ("The job's result image(s).",)

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        return {
            "required": {
                "job": ("STRING", {
                    "default": "", "multiline": False,
                    "tooltip": "A job handle from TextObjectRemove (modelslab:<id>@<w>x<h>), a "
                               "ModelsLab job id, or a fetch URL on your ModelsLab origin.",
                }),
                "timeout": ("INT", {
                    "default": DEFAULT_TIMEOUT_SECONDS, "min": 1, "max": 86400,
                    "tooltip": "Seconds to wait for a job that is still processing.",
                }),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    async def fetch(
        self, job: str, timeout: int, unique_id: str | None = None
    ) -> tuple[torch.Tensor]:
        with errors_named_for("Fetch Result"):
            image = await collect_result(job, timeout=timeout, ctx=ComfyRunContext(unique_id))
        return (image,)
