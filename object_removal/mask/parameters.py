"""MaskObjectRemove's parameters, declared once.

The node's inputs (types, defaults, ranges, tooltips) and the command line's flags
are both built from `MASK_PARAMETERS`; `MaskInputs` carries the values a user set.
Each provider turns those values into its own typed, validated parameters and
ignores the ones it does not use (the registry says which, for the tooltips).
Names, order and defaults are a public interface: saved workflows depend on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import ObjectRemovalError


@dataclass(frozen=True, kw_only=True)
class MaskInputs:
    """The values of MaskObjectRemove's provider parameters, as the user set them."""

    steps: int = 30
    strength: float = 0.8
    scale: float = 7.0
    seed: int = 0
    dilate_size: int = 15
    quality: str = "M"


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """One node input / command-line flag: its kind, default, range and help."""

    name: str
    kind: str
    """"INT", "FLOAT", "BOOLEAN" or "CHOICE"."""
    default: Any
    tooltip: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    widget: dict[str, Any] = field(default_factory=dict)
    """Further widget options for the node only."""

    def check(self, value: Any) -> Any:
        """`value` if it is within this parameter's range, else an error naming it."""
        if self.kind == "CHOICE" and value not in self.choices:
            raise ObjectRemovalError(
                f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}."
            )
        if self.kind in ("INT", "FLOAT"):
            low, high = self.minimum, self.maximum
            # NaN is outside every range, though it compares false with both ends.
            if (not math.isfinite(value) or (low is not None and value < low)
                    or (high is not None and value > high)):
                raise ObjectRemovalError(f"{self.name} must be {self.range_text()}, got {value}.")
        return value

    def range_text(self) -> str:
        """"from 1 to 4096", for messages and help."""
        return f"from {_plain(self.minimum)} to {_plain(self.maximum)}"


QUALITIES = ("M", "H", "L")
# The widget ranges are AILabTools' documented ones, where it documents any.
MASK_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        name="steps", kind="INT", default=30, minimum=1, maximum=1000,
        tooltip="Sampling steps: more can add detail but take longer.",
    ),
    Parameter(
        name="strength", kind="FLOAT", default=0.8, minimum=0.1, maximum=1.0, step=0.01,
        tooltip="Lower keeps the result closer to the original.",
    ),
    Parameter(
        name="scale", kind="FLOAT", default=7.0, minimum=1.0, maximum=20.0, step=0.5,
        tooltip="How strongly the provider's guidance shapes the fill.",
    ),
    Parameter(
        name="seed", kind="INT", default=0, minimum=-1, maximum=2**32 - 1,
        # Re-randomising after every run would bill every run again.
        widget={"control_after_generate": False},
        tooltip="Same seed and inputs give the same result, reused without a second bill. "
                "-1 = a new result every time (nothing is reused).",
    ),
    Parameter(
        name="dilate_size", kind="INT", default=15, minimum=1, maximum=4096,
        tooltip="Grow the mask by this many pixels so it covers the object's edges and "
                "shadow. Raise it for tight, segmentation-made masks. The offline (local) "
                "providers grow it by half of this: they fill from what surrounds the hole.",
    ),
    Parameter(
        name="quality", kind="CHOICE", default="M", choices=QUALITIES,
        tooltip="H: best and slowest, M: balanced, L: fastest.",
    ),
)

COMPOSITE = Parameter(
    name="composite", kind="BOOLEAN", default=True,
    tooltip="On: keep the provider's pixels only around the mask and the original "
            "everywhere else (bit-identical). Off: the provider's whole image.",
)


def mask_inputs(values: dict[str, Any]) -> MaskInputs:
    """MaskInputs from named values, each checked against its declared range."""
    declared = {p.name: p for p in MASK_PARAMETERS}
    return MaskInputs(**{
        f.name: declared[f.name].check(values[f.name])
        for f in fields(MaskInputs) if f.name in values
    })


def _plain(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else format(value, "g")
