"""Every way MaskObjectRemove can fill a mask, in the order of its `provider` choice.

The node's choices and tooltips, the command line's choices and provider
construction all read this list, so a provider is added in one place: its vendor's
provider module, which lists it in its `SPECS`. A new vendor adds its module to
`_VENDOR_MODULES`. A spec's `position` fixes its place among the choices: saved
workflows store the choice by name, and new ones are appended after the old.
"""

from __future__ import annotations

from types import ModuleType

from ..errors import ObjectRemovalError
from . import ailab, local, modelslab
from .base import ProviderSpec

_VENDOR_MODULES: tuple[ModuleType, ...] = (ailab, local, modelslab)


def _collect() -> tuple[ProviderSpec, ...]:
    specs = sorted((s for m in _VENDOR_MODULES for s in m.SPECS), key=lambda s: s.position)
    positions = [s.position for s in specs]
    if positions != list(range(len(specs))):
        raise RuntimeError(f"provider positions must be 0..{len(specs) - 1}, got {positions}")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise RuntimeError(f"provider names must be unique, got {names}")
    return tuple(specs)


MASK_PROVIDERS: tuple[ProviderSpec, ...] = _collect()
PROVIDER_NAMES: tuple[str, ...] = tuple(s.name for s in MASK_PROVIDERS)


def provider_spec(name: str) -> ProviderSpec:
    """The provider called `name`, or an error listing the choices."""
    for spec in MASK_PROVIDERS:
        if spec.name == name:
            return spec
    raise ObjectRemovalError(
        f"unknown provider {name!r}; choose one of {', '.join(PROVIDER_NAMES)}."
    )


def ignored_by(parameter: str) -> tuple[str, ...]:
    """The providers that do not read `parameter`, in choice order."""
    return tuple(s.name for s in MASK_PROVIDERS if parameter not in s.uses)


def provider_choices() -> str:
    """The choices, one line each, for the `provider` tooltip and the node's description."""
    lines = [f"{spec.name}: {spec.label}; {spec.summary}; {price(spec)}; "
             f"{'needs ' + spec.key_setting if spec.key_setting else 'offline, no key'}."
             for spec in MASK_PROVIDERS]
    return "Who fills the mask:\n" + "\n".join(lines)


def price(spec: ProviderSpec) -> str:
    """What one call costs, in words."""
    if spec.credits_per_call == 0:
        return "free"
    if spec.credits_per_call is None:
        return "billed per image by the provider"
    return f"{spec.credits_per_call} credits a call"
