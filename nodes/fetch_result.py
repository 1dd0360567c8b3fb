"""FetchResult: collect a queued ModelsLab job, from this graph or a later run."""

from __future__ import annotations

import torch

from ..object_removal.comfy_bridge import ComfyRunContext
from ..object_removal.text.removal import collect_result
from .node_support import CATEGORY, SEARCH_ALIASES, errors_named_for, node_description
from .text_object_remove import COMPOSITE_TOOLTIP, DEFAULT_TIMEOUT_SECONDS, composite_input


class FetchResult:
    """Collects the result of a ModelsLab job queued by TextObjectRemove: connect its job
    output, or paste a job handle or id from an earlier run. With a handle the image comes
    back at the original input's size, composited into the original kept on this machine;
    with a bare id, at the provider's size and not composited (there is no original to
    compare with). Results already collected are reused without asking ModelsLab again."""

    DESCRIPTION = node_description(__doc__)
    CATEGORY = CATEGORY
    SEARCH_ALIASES = [*SEARCH_ALIASES, "fetch job", "collect result", "job handle",
                      "modelslab"]
    FUNCTION = "fetch"
    # Outputs are only ever appended: saved workflows link them by position.
    RETURN_TYPES = ("IMAGE", "MASK")
    RETURN_NAMES = ("image", "mask")
    OUTPUT_TOOLTIPS = (
        "The job's result image(s).",
        "Where the provider changed the picture (1); all 0 when there was no original to "
        "compare with (a bare job id, or the original is no longer kept).",
    )

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
            # Optional for the same reason as TextObjectRemove's: old prompts lack it.
            "optional": {"composite": composite_input(
                COMPOSITE_TOOLTIP + " Needs the handle from Text Object Remove and the original "
                "it kept on this machine; a bare job id returns the provider's picture.")},
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    async def fetch(
        self, job: str, timeout: int, composite: bool = True, unique_id: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        with errors_named_for("Fetch Result"):
            return await collect_result(job, timeout=timeout, ctx=ComfyRunContext(unique_id),
                                        composite=composite)
