"""The control endpoints under /_emulator/: scripting and inspecting from another process."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from .behaviour import Behaviour
from .recording import RecordedRequest
from .replies import Reply, json_reply

# Control paths live under a prefix no provider uses.
CONTROL_PREFIX = "/_emulator/"


def is_control(route: str) -> bool:
    """Whether a URL path is one of the emulator's own control paths."""
    return route.startswith(CONTROL_PREFIX) or route == CONTROL_PREFIX.rstrip("/")


class ControlTarget(Protocol):
    """What the control endpoints drive (the ProviderEmulator)."""

    @property
    def behaviour(self) -> Behaviour: ...

    def script(self, endpoint: str, **response: Any) -> None: ...

    def reset(self) -> None: ...

    def requests(self, endpoint: str | None = None) -> list[RecordedRequest]: ...

    def release(self, endpoint: str | None = None) -> int: ...

    def held(self, endpoint: str | None = None) -> int: ...

    def jobs_created(self, key: str | None = None) -> int: ...

    def redact(self, text: str) -> str: ...


def handle_control(request: RecordedRequest, target: ControlTarget) -> Reply:
    """POST script / behaviour / reset / release, GET requests / behaviour / held / jobs."""
    route = urlsplit(request.path).path[len(CONTROL_PREFIX) :].strip("/")
    action = (request.method, route)
    if action == ("POST", "script"):
        return _script(request, target)
    if action == ("POST", "behaviour"):
        if not isinstance(request.json, dict):
            return _bad("the body must be a JSON object of Behaviour fields")
        try:
            target.behaviour.update(request.json)
        except ValueError as exc:
            return _bad(str(exc))
        return json_reply({"ok": True, "behaviour": target.behaviour.as_dict()})
    if action == ("GET", "behaviour"):
        return json_reply({"ok": True, "behaviour": target.behaviour.as_dict()})
    if action == ("POST", "reset"):
        target.reset()
        return json_reply({"ok": True})
    if action == ("POST", "release"):
        body = request.json if isinstance(request.json, dict) else {}
        endpoint = body.get("endpoint")
        if endpoint is not None and not isinstance(endpoint, str):
            return _bad('"endpoint" must be an endpoint name, or left out for all')
        try:
            return json_reply({"ok": True, "released": target.release(endpoint)})
        except ValueError as exc:
            return _bad(str(exc))
    if action == ("GET", "held"):
        wanted = parse_qs(urlsplit(request.path).query).get("endpoint", [None])[0]
        try:
            return json_reply({"ok": True, "held": target.held(wanted)})
        except ValueError as exc:
            return _bad(str(exc))
    if action == ("GET", "jobs"):
        # How many, never whose: keys are never part of an answer here.
        return json_reply({"ok": True, "created": target.jobs_created()})
    if action == ("GET", "requests"):
        wanted = parse_qs(urlsplit(request.path).query).get("endpoint", [None])[0]
        try:
            recorded = target.requests(wanted)
        except ValueError as exc:
            return _bad(str(exc))
        return json_reply([_summary(r, target) for r in recorded])
    return json_reply({"ok": False, "error": f"no control action {request.method} {route!r}"},
                      status=404)


def _script(request: RecordedRequest, target: ControlTarget) -> Reply:
    body = request.json
    if not isinstance(body, dict) or not isinstance(body.get("endpoint"), str):
        return _bad('the body must be a JSON object with "endpoint" and the reply fields')
    fields = {name: value for name, value in body.items() if name != "endpoint"}
    try:
        target.script(body["endpoint"], **fields)
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return json_reply({"ok": True})


def _summary(request: RecordedRequest, target: ControlTarget) -> dict[str, Any]:
    # Never the key itself: the path is redacted too, in case a client put it there. Files
    # are named by a hash, so another process can tell which picture a call carried.
    return {
        "endpoint": request.endpoint,
        "method": request.method,
        "path": target.redact(request.path),
        "key_present": request.key is not None,
        "time": request.time,
        "files": {name: hashlib.sha256(part.data).hexdigest()[:16]
                  for name, part in request.files.items()},
    }


def _bad(message: str) -> Reply:
    return json_reply({"ok": False, "error": message}, status=400)
