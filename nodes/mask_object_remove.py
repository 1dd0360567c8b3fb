"""MaskObjectRemove: remove what a MASK covers, remotely (AILabTools) or locally."""

from __future__ import annotations

import torch

from .ailab_client import QUALITIES, AILabParams
from .comfy_bridge import ComfyRunContext
from .mask_providers import PROVIDER_NAMES
from .mask_removal import MaskRemovalOptions, remove_by_mask
from .node_support import CATEGORY, errors_named_for

_LOCAL_IGNORES = " Ignored by the local provider."


class MaskObjectRemove:
    """Removes what the mask covers (white = remove) and fills it in to match the
    surroundings. provider "ailab" sends the image to AILabTools' Remove Objects Advanced
    (20 credits per image, key from AILAB_API_KEY); "local" runs PatchMatch inpainting on
    this machine, free and offline. Batches: B images with one mask, one image with B
    masks, or B with B. An empty mask costs nothing and returns the image unchanged. With
    composite on, pixels away from the mask stay bit-identical to the input."""

    DESCRIPTION = __doc__
    CATEGORY = CATEGORY
    FUNCTION = "remove"
    RETURN_TYPES = ("IMAGE",)
    RETURN_NAMES = ("image",)
    OUTPUT_TOOLTIPS = ("The image with the masked objects removed, at the input's exact size.",)

    @classmethod
    def INPUT_TYPES(cls) -> dict:
        defaults = AILabParams()
        return {
            "required": {
                "image": ("IMAGE", {"tooltip": "The image(s) to remove objects from."}),
                "mask": ("MASK", {
                    "tooltip": "What to remove: 1 (white) = remove. Any size: it is resized "
                               "to the image.",
                }),
                "provider": (list(PROVIDER_NAMES), {
                    "default": "ailab",
                    "tooltip": "ailab: AILabTools' generative removal (paid, needs "
                               "AILAB_API_KEY). local: PatchMatch on this machine (free, "
                               "offline; best on textures and backgrounds).",
                }),
                "steps": ("INT", {
                    "default": defaults.steps, "min": 1, "max": 1000,
                    "tooltip": "Sampling steps: more can add detail but take longer."
                               + _LOCAL_IGNORES,
                }),
                "strength": ("FLOAT", {
                    "default": defaults.strength, "min": 0.1, "max": 1.0, "step": 0.01,
                    "tooltip": "Lower keeps the result closer to the original." + _LOCAL_IGNORES,
                }),
                "scale": ("FLOAT", {
                    "default": defaults.scale, "min": 1.0, "max": 20.0, "step": 0.5,
                    "tooltip": "How strongly the provider's guidance shapes the fill."
                               + _LOCAL_IGNORES,
                }),
                "seed": ("INT", {
                    "default": defaults.seed, "min": -1, "max": 2**32 - 1,
                    # Re-randomising after every run would bill every run again.
                    "control_after_generate": False,
                    "tooltip": "Same seed and inputs give the same result (and reuse it "
                               "without a second bill). -1 = random every time.",
                }),
                "dilate_size": ("INT", {
                    "default": defaults.dilate_size, "min": 1, "max": 4096,
                    "tooltip": "Grow the mask by this many pixels so it covers the object's "
                               "edges and shadow. Raise it for tight, segmentation-made masks.",
                }),
                "quality": (list(QUALITIES), {
                    "default": defaults.quality,
                    "tooltip": "H: best and slowest, M: balanced, L: fastest." + _LOCAL_IGNORES,
                }),
                "composite": ("BOOLEAN", {
                    "default": True,
                    "tooltip": "On: keep the provider's pixels only around the mask and the "
                               "original everywhere else (bit-identical). Off: the provider's "
                               "whole image.",
                }),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

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
        options = MaskRemovalOptions(
            provider=provider,
            params=AILabParams(
                steps=steps, strength=strength, scale=scale, seed=seed,
                dilate_size=dilate_size, quality=quality,
            ),
            composite=composite,
        )
        with errors_named_for("Mask Object Remove"):
            result = await remove_by_mask(image, mask, options, ComfyRunContext(unique_id))
        return (result,)
