"""What declares an endpoint: one `Endpoint(...)` per path, in its vendor's module.

Everything else (routing, which endpoints may be scripted, where a key is read,
which malformed answers a script may ask for) is derived from these
declarations by `catalogue`, so adding an endpoint touches one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .behaviour import Behaviour
    from .recording import Headers, RecordedRequest
    from .replies import Reply
    from .scripts import ScriptedReply
    from .state import EmulatorState

# (request, shared state, this request's Behaviour snapshot) -> the answer.
Handler = Callable[["RecordedRequest", "EmulatorState", "Behaviour"], "Reply"]
# (headers, JSON body or None) -> the key the request presents, whatever its type.
KeyReader = Callable[["Headers", Any], Any]
# (script, legacy ModelsLab spelling) -> the error body for a scripted code/status.
ScriptedError = Callable[["ScriptedReply", bool], "Reply"]


@dataclass(frozen=True)
class Vendor:
    """What all endpoints of one provider share."""

    name: str
    # Unknown paths under this prefix get this vendor's "not found" (longest prefix wins).
    path_prefix: str
    read_key: KeyReader
    scripted_error: ScriptedError
    not_found: Handler
    # Error codes a script may name (`code=`); empty when the vendor has none.
    codes: frozenset[str] = frozenset()
    # Whether a scripted `retry_after` is also put into a scripted JSON body.
    retry_after_in_json: bool = False
    # The Behaviour field capping calls in flight per key (0 there: no cap), and the
    # error code a call beyond it gets; None when the vendor has no such cap.
    crowd_setting: str | None = None
    crowd_code: str | None = None


@dataclass(frozen=True)
class Malformed:
    """One broken answer a script may ask for by `kind`, and how it is made."""

    kind: str
    reply: Handler


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: its name (used by tests), vendor, path and handler.

    `prefix` endpoints own every path starting with `path` (ids in the path).
    """

    name: str
    vendor: Vendor
    path: str
    handler: Handler
    prefix: bool = False
    malformed: tuple[Malformed, ...] = field(default=())

    @property
    def malformed_kinds(self) -> tuple[str, ...]:
        return tuple(m.kind for m in self.malformed)

    def malformed_reply(self, kind: str) -> Handler:
        """The maker of one malformed answer; KeyError if the kind is not declared."""
        for entry in self.malformed:
            if entry.kind == kind:
                return entry.reply
        raise KeyError(kind)

    def matches(self, route: str) -> bool:
        """Whether a URL path (without query) is this endpoint's."""
        return route.startswith(self.path) if self.prefix else route == self.path
