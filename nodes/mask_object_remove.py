"""MaskObjectRemove: remove what a MASK covers, with any provider of the registry."""

from __future__ import annotations

import uuid

import torch

from ..object_removal.comfy_bridge import ComfyRunContext
from ..object_removal.mask.parameters import COMPOSITE, MASK_PARAMETERS, mask_inputs
from ..object_removal.mask.removal import MaskRemovalOptions, remove_by_mask
from ..object_removal.providers.registry import (
    PROVIDER_NAMES,
    ignored_by,
    provider_choices,
)
from .node_support import CATEGORY, SEARCH_ALIASES, errors_named_for, node_description, widget


class MaskObjectRemove:
    """Removes what the mask covers (white = remove) and fills it in to match the
    surroundings, remotely (AILabTools, ModelsLab) or on this machine (free, offline).
    Batches: B images with one mask, one image with B masks, or B with B. An empty
    mask costs nothing and returns the image unchanged. With composite on, pixels away
    from the mask stay bit-identical to the input."""

    DESCRIPTION = node_description(__doc__, provider_choices())
    CATEGORY = CATEGORY
    SEARCH_ALIASES = [*SEARCH_ALIASES, "mask remove", "remove by mask", "ailab", "ailabtools",
                      "modelslab", "offline", "patchmatch", "lama", "mi-gan", "migan", "telea"]
    FUNCTION = "remove"
    RETURN_TYPES = ("IMAGE",)
    RETURN_NAMES = ("image",)
    OUTPUT_TOOLTIPS = ("The image with the masked objects removed, at the input's exact size.",)

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        required = {
            "image": ("IMAGE", {"tooltip": "The image(s) to remove objects from."}),
            "mask": ("MASK", {
                "tooltip": "What to remove: 1 (white) = remove. Any size of the image's "
                           "aspect ratio: it is resized to the image.",
            }),
            "provider": (list(PROVIDER_NAMES), {"default": "ailab",
                                                "tooltip": provider_choices()}),
        }
        for parameter in MASK_PARAMETERS:
            required[parameter.name] = widget(parameter, ignored_by(parameter.name))
        required[COMPOSITE.name] = widget(COMPOSITE)
        return {"required": required, "hidden": {"unique_id": "UNIQUE_ID"}}

    @classmethod
    def IS_CHANGED(cls, seed: int | None = None, **_: object) -> str:
        """ComfyUI reuses a node's last output while this returns what it returned before
        (0.3.64 and 0.33 alike, for classic nodes). seed -1 asks for a new result at every
        run: then it returns something new each time; any other seed re-runs for free.
        Linked inputs arrive as None here, so a seed from another node keeps the cache."""
        return uuid.uuid4().hex if seed == -1 else ""

    async def remove(
        self,
        image: torch.Tensor,
        mask: torch.Tensor,
        provider: str,
        steps: int,
        strength: float,
        scale: float,
        seed: int,
        dilate_size: int,
        quality: str,
        composite: bool,
        unique_id: str | None = None,
    ) -> tuple[torch.Tensor]:
        with errors_named_for("Mask Object Remove"):
            options = MaskRemovalOptions(
                provider=provider,
                inputs=mask_inputs(dict(steps=steps, strength=strength, scale=scale, seed=seed,
                                        dilate_size=dilate_size, quality=quality)),
                composite=composite,
            )
            result = await remove_by_mask(image, mask, options, ComfyRunContext(unique_id))
        return (result,)
