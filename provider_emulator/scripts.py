"""Scripted answers: what a test asks the next request to an endpoint to get."""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .replies import Reply

if TYPE_CHECKING:
    from .endpoints import Endpoint

# Each of these picks the body; a script may give at most one of them.
_BODY_CHOICES = ("drop", "malformed", "raw", "json", "code", "filler", "silent")


@dataclass(frozen=True)
class ScriptedReply:
    """One queued answer; see ProviderEmulator.script for the fields."""

    code: str | None = None
    http_status: int | None = None
    json: Any = None
    raw: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    malformed: str | None = None
    message: Any = None
    # How the answer travels (any answer, the normal one included):
    trickle: float = 0.0
    """Seconds between every byte of the response, status line and headers included."""
    chunked: bool = False
    """Send the body chunked, with no Content-Length."""
    filler: int | None = None
    """A streamed JSON body of this many bytes (never held in memory whole)."""
    silent: bool = False
    """Accept the request and never answer, until the client gives up."""
    hold: bool = False
    """Make the answer (the job is queued, the file stored) but send it only when the
    test releases it (`ProviderEmulator.release`): a reply held back on its way."""

    def answers_normally(self) -> bool:
        """True when the script only delays, reshapes or adds headers to the normal answer."""
        return (not self.drop and self.malformed is None and self.raw is None
                and self.json is None and self.code is None and self.http_status is None
                and self.retry_after is None and self.message is None
                and self.filler is None and not self.silent)

    def shaped(self, reply: Reply) -> Reply:
        """`reply` sent the way this script asks."""
        reply.trickle = self.trickle
        reply.chunked = self.chunked
        return reply


def make_script(endpoint: Endpoint, **fields: Any) -> ScriptedReply:
    """A validated ScriptedReply for `endpoint`; ValueError/TypeError on a mistake.

    Codes and malformed kinds are checked against the endpoint's declaration.
    """
    unknown = set(fields) - set(ScriptedReply.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown script fields: {sorted(unknown)}")
    given = [name for name in _BODY_CHOICES if fields.get(name) not in (None, False)]
    if len(given) > 1:
        raise ValueError(f"give only one of {given}")

    if fields.get("message") is not None and all(
        fields.get(name) is None for name in ("code", "http_status", "retry_after")
    ):
        raise ValueError("message needs code, http_status or retry_after to go with it")
    code = fields.get("code")
    if code is not None and code not in endpoint.vendor.codes:
        raise ValueError(
            f"code {code!r} is not a {endpoint.vendor.name} error code usable on {endpoint.name!r}"
        )
    malformed = fields.get("malformed")
    if malformed is not None and malformed not in endpoint.malformed_kinds:
        raise ValueError(
            f"malformed {malformed!r} is not one of {endpoint.malformed_kinds} "
            f"for {endpoint.name!r}"
        )
    status = fields.get("http_status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)
                               or not 100 <= status <= 599):
        raise ValueError(f"http_status must be an int in 100..599, got {status!r}")
    raw = fields.get("raw")
    if isinstance(raw, str):
        fields["raw"] = raw.encode("utf-8")
    elif isinstance(raw, bytearray):
        fields["raw"] = bytes(raw)
    elif raw is not None and not isinstance(raw, bytes):
        raise TypeError("raw must be str or bytes")
    if fields.get("json") is not None:
        json.dumps(fields["json"])  # fail here, not later in a server thread
    headers = fields.get("headers") or {}
    if not isinstance(headers, dict):
        raise TypeError("headers must be a dict")
    fields["headers"] = {str(k): str(v) for k, v in headers.items()}
    for name in ("retry_after", "delay"):
        value = fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not math.isfinite(value) or value < 0):
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if fields.get("delay") is None:
        fields.pop("delay", None)
    trickle = fields.pop("trickle", None) or 0.0
    if isinstance(trickle, bool) or not isinstance(trickle, int | float) or not (
            math.isfinite(trickle) and 0 <= trickle <= 60):
        raise ValueError(f"trickle must be seconds from 0 to 60, got {trickle!r}")
    fields["trickle"] = float(trickle)
    filler = fields.get("filler")
    if filler is not None and (isinstance(filler, bool) or not isinstance(filler, int)
                               or filler < 0):
        raise ValueError(f"filler must be a number of bytes >= 0, got {filler!r}")
    if fields.get("hold") and (fields.get("drop") or fields.get("silent")):
        raise ValueError("hold needs an answer to hold back; drop and silent send none")
    for flag in ("drop", "chunked", "silent", "hold"):
        fields[flag] = bool(fields.get(flag, False))
    return ScriptedReply(**fields)


class ScriptBook:
    """Thread-safe FIFO queues of scripted answers, one per endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[ScriptedReply]] = {}

    def push(self, endpoint: str, reply: ScriptedReply) -> None:
        with self._lock:
            self._queues.setdefault(endpoint, deque()).append(reply)

    def pop(self, endpoint: str) -> ScriptedReply | None:
        """The next scripted answer for an endpoint, consumed; None if none is queued."""
        with self._lock:
            queue = self._queues.get(endpoint)
            return queue.popleft() if queue else None

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
