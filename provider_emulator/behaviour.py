"""What the emulated providers do when nothing is scripted: the adjustable knobs."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Allowed values of the fields that pick one behaviour among a few.
CHOICES: dict[str, tuple[str, ...]] = {
    "ailab_output_format": ("png", "jpeg"),
    "job_outcome": ("success", "failed"),
    "processing_output": ("list", "string", "alternate"),
    "modelslab_output_size": ("same", "multiple_of_64"),
    "text_render": ("realistic", "flat"),
}
_ALIASES = {"jpg": "jpeg"}
_FLOATS = ("latency", "job_seconds", "ailab_output_scale")
_INTS = ("ailab_noise", "queue_limit", "ailab_concurrency")
_BOOLS = ("ailab_data_prefix", "legacy_error_spelling")


@dataclass
class Behaviour:
    """The emulator's knobs; every assignment is validated, so a typo fails at once.

    Handlers take a `snapshot()` per request, so changing a field mid-request
    never gives a half-old, half-new answer.
    """

    latency: float = 0.0
    ailab_output_format: str = "png"
    ailab_data_prefix: bool = False
    ailab_output_scale: float = 1.0
    ailab_noise: int = 2
    job_seconds: float = 3.0
    job_outcome: str = "success"
    eta: int | None = None
    processing_output: str = "alternate"
    queue_limit: int = 5
    # AILabTools calls one key may have in flight; more are refused EXCEEDING_LIMITS (0: any).
    ailab_concurrency: int = 0
    modelslab_output_size: str = "multiple_of_64"
    # How interior (text) removal answers: a whole re-render, or the old flat centre box.
    text_render: str = "realistic"
    legacy_error_spelling: bool = False

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, coerce_field(name, value))

    def snapshot(self) -> Behaviour:
        """An independent copy, read by one request."""
        return dataclasses.replace(self)

    def as_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-ready values."""
        return dataclasses.asdict(self)

    def update(self, changes: Mapping[str, Any]) -> None:
        """Set several fields; nothing changes unless every value is valid."""
        checked = {name: coerce_field(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def restore_defaults(self) -> None:
        """Back to the defaults, in place, so references held by tests stay valid."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, f.default)


def coerce_field(name: str, value: Any) -> Any:
    """`value` checked (and normalised) for the Behaviour field `name`; ValueError if not."""
    if name in _FLOATS:
        number = _number(name, value)
        if number < 0 or (name == "ailab_output_scale" and number == 0):
            raise ValueError(f"{name} must be positive, got {value!r}")
        return number
    if name in _INTS:
        number = _integer(name, value)
        if number < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
        return number
    if name == "eta":
        if value is None:
            return None
        number = _integer(name, value)
        if number < 0:
            raise ValueError(f"eta must be >= 0 or None, got {value!r}")
        return number
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if name in CHOICES:
        choice = _ALIASES.get(value, value) if isinstance(value, str) else value
        if choice not in CHOICES[name]:
            raise ValueError(f"{name} must be one of {CHOICES[name]}, got {value!r}")
        return choice
    raise ValueError(f"Behaviour has no field {name!r}")


def _number(name: str, value: Any) -> float:
    # bool is an int subclass: `True` seconds is almost certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _integer(name: str, value: Any) -> int:
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)
