"""What a "fill this hole" provider is, and how the registry describes one.

A provider turns one (image, hole) pair into a request that is fully checked and
encoded before anything is paid for (`prepare`, no network), then fills it
(`fill`, awaited in ComfyUI's event loop; blocking work goes to worker threads) and
returns the result at the input's size. Each provider has its own request type;
the orchestrator reads only the two fields every request shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

from ..config import Settings
from ..errors import ObjectRemovalError
from ..mask.parameters import MaskInputs
from ..run_context import RunContext

# Resampling a result back to the input's size can spread changes a pixel or two.
RESAMPLING_MARGIN = 2


@dataclass(frozen=True)
class SeedAndDilation:
    """The parameters of providers that take no settings of their own: how far the
    hole is grown here, and the seed (PatchMatch's search; for remote providers only
    whether a kept result may be reused: -1 never)."""

    seed: int = 0
    dilate_size: int = 15

    @classmethod
    def from_inputs(cls, inputs: MaskInputs) -> SeedAndDilation:
        if inputs.seed < -1:
            raise ObjectRemovalError(f"seed must be -1 (random) or more, got {inputs.seed}.")
        if inputs.dilate_size < 0:
            raise ObjectRemovalError(f"dilate_size must be 0 or more, got {inputs.dilate_size}.")
        return cls(inputs.seed, inputs.dilate_size)


@dataclass(frozen=True, kw_only=True)
class FillRequest:
    """What the orchestrator needs of every prepared request."""

    cache_key: str | None
    """Identical requests share one fill; None when results must never be reused."""
    changed_radius: int
    """How far around the hole (in input pixels) the provider may alter pixels:
    where compositing takes the provider's pixels."""


@dataclass(frozen=True)
class Filled:
    """A filled request: the (H, W, 3) uint8 result at the input's size, and whether this
    run paid for it (False: a kept copy, a resumed job, or a free provider)."""

    rgb: np.ndarray
    paid: bool


R = TypeVar("R", bound=FillRequest)
P = TypeVar("P")


class FillProvider(Protocol[R]):
    """One configured provider for one node run."""

    @property
    def concurrency(self) -> int:
        """How many fills may run at once."""
        ...

    def prepare(self, rgb: np.ndarray, hole: np.ndarray) -> R:
        """(H, W, 3) uint8 and (H, W) bool (True = remove) -> a request, checked and
        encoded; raises ObjectRemovalError for anything the provider would refuse."""
        ...

    def already_paid(self, request: R) -> bool:
        """Whether filling `request` needs no new paid call (a kept result, a job to
        resume, a free provider): for the run's cost, before anything is sent."""
        ...

    async def fill(self, request: R, ctx: RunContext) -> Filled:
        ...


def outcome_of(provider: object) -> str:
    """What a provider adds to its "done" status, e.g. which offline backend ran.

    Optional: a provider with something to say defines ``outcome() -> str``; the
    remote ones have nothing to add.
    """
    outcome = getattr(provider, "outcome", None)
    return outcome() if callable(outcome) else ""


def unanswered_note_of(provider: object) -> str:
    """What a provider adds when a run stops early: paid calls sent whose answer had not
    come yet, and how to collect what they bought ("" when none).

    Optional: a provider that can leave such calls behind defines
    ``unanswered_note() -> str``.
    """
    note = getattr(provider, "unanswered_note", None)
    return note() if callable(note) else ""


@dataclass(frozen=True)
class ProviderEnvironment:
    """What building a provider may use."""

    ctx: RunContext
    composite: bool
    """Whether the result is composited (then lossy transport loses nothing that shows)."""
    settings: Callable[[], Settings]
    """Read only by providers that need keys, so offline use survives a broken config."""


@dataclass(frozen=True, kw_only=True)
class ProviderSpec(Generic[P]):
    """One entry of MaskObjectRemove's `provider` choice."""

    name: str
    """The choice as saved in workflows: never renamed."""
    position: int
    """Its place among the choices; new providers come after all existing ones."""
    label: str
    """What it is, e.g. "AILabTools Remove Objects Pro"."""
    summary: str
    """A few words on what it is good for (the tooltip adds price and key)."""
    credits_per_call: int | None
    """The provider's price of one successful call in its own credits (0: free);
    None when the provider does not price calls in credits."""
    key_setting: str | None
    """The environment variable holding its key; None when it needs none."""
    uses: frozenset[str]
    """The MaskObjectRemove parameters it reads; it ignores the others."""
    parameters: Callable[[MaskInputs], P]
    """Its own typed parameters from the user's values; raises if they are invalid."""
    build: Callable[[P, ProviderEnvironment], FillProvider[Any]]
    """The provider for one node run (may read settings and require a key)."""
